/**
 * Child process of the crash test: appends as fast as it can from several concurrent
 * writers and prints one line per acknowledged append, then waits to be killed.
 * Usage: crash-writer <file> <FULL|NORMAL>
 * Each line: ack <stream> <nextExpectedRevision> <position> <id>[,<id>…]
 */
import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { NewEvent } from '../../src/event-store/event-store.port';

const [file, synchronous] = process.argv.slice(2) as [string, 'FULL' | 'NORMAL'];
const WRITERS = 6;

function event(i: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'CrashTested',
    data: { i, padding: 'x'.repeat(200) },
    metadata: {
      $correlationId: 'crash',
      $causationId: 'crash',
      actor: 'platform:crash-test',
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    },
  };
}

async function writer(store: SqliteEventStore, w: number): Promise<never> {
  const stream = `crash-w${w}`;
  let revision: bigint | 'no_stream' = 'no_stream';
  for (let i = 0; ; i++) {
    const events = Array.from({ length: 1 + (i % 3) }, () => event(i));
    const result = await store.append(stream, events, { expectedRevision: revision });
    revision = result.nextExpectedRevision;
    // Synchronous write: once it returns, the parent can read the line even after SIGKILL.
    writeSync(1, `ack ${stream} ${result.nextExpectedRevision} ${result.position} ${events.map((e) => e.id).join(',')}\n`);
  }
}

SqliteEventStore.open({ file, synchronous })
  .then((store) => Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(store, w))))
  .catch((error: unknown) => {
    writeSync(2, `crash-writer failed: ${String(error)}\n`);
    process.exit(1);
  });
