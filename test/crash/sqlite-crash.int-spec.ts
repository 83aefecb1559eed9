import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';

interface Ack {
  stream: string;
  nextExpectedRevision: bigint;
  position: bigint;
  ids: string[];
}

/** Runs the writer child until it has acknowledged `minAcks` appends, then SIGKILLs it. */
async function appendUntilKilled(file: string, synchronous: 'FULL' | 'NORMAL', minAcks: number): Promise<Ack[]> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'crash-writer.ts'), file, synchronous], {
    cwd: join(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      // Kill at an arbitrary moment after the threshold, most likely in the middle of a commit.
      if (output.split('\n').length > minAcks && !child.killed) {
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 20));
      }
    });
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited with ${code}: ${errors}`)),
    );
  });
  expect(await exited).toBe('SIGKILL');
  // The last line may be cut by the kill: keep complete lines only.
  return output
    .split('\n')
    .filter((line) => /^ack \S+ \d+ \d+ \S+$/.test(line))
    .map((line) => {
      const [, stream, revision, position, ids] = line.split(' ');
      return { stream, nextExpectedRevision: BigInt(revision), position: BigInt(position), ids: ids.split(',') };
    });
}

describe('SQLite event store after kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['FULL', 'NORMAL'] as const)(
    'with synchronous=%s keeps every acknowledged append, with gapless positions and revisions',
    async (synchronous) => {
      const file = join(dir, `crash-${synchronous}.sqlite`);
      const acks = await appendUntilKilled(file, synchronous, 1_500);
      expect(acks.length).toBeGreaterThanOrEqual(1_500);

      const store = await SqliteEventStore.open({ file });
      try {
        const all = await store.readAll();
        // Every acknowledged event is there, at the revision and position it was acknowledged with.
        const byId = new Map(all.map((e) => [e.id, e]));
        for (const ack of acks) {
          const last = byId.get(ack.ids[ack.ids.length - 1]);
          expect(last).toMatchObject({ stream: ack.stream, revision: ack.nextExpectedRevision, position: ack.position });
          for (const id of ack.ids) expect(byId.get(id)?.stream).toBe(ack.stream);
        }
        // No gap in the global log, none in any stream.
        expect(all.map((e) => e.position)).toEqual(all.map((_, i) => BigInt(i + 1)));
        const streams = new Map<string, bigint[]>();
        for (const e of all) streams.set(e.stream, [...(streams.get(e.stream) ?? []), e.revision]);
        for (const revisions of streams.values()) {
          expect(revisions).toEqual(revisions.map((_, i) => BigInt(i)));
        }
        // The store is usable after the crash: appends continue the numbering.
        const [anyStream] = streams.keys();
        const next = await store.append(anyStream, [{ ...oneEvent() }], { expectedRevision: 'any' });
        expect(next.position).toBe(BigInt(all.length + 1));
      } finally {
        await store.close();
      }
    },
  );
});

function oneEvent() {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    type: 'AfterCrash',
    data: {},
    metadata: { $correlationId: 'c', $causationId: 'c', actor: 'test', occurredAt: new Date().toISOString(), schemaVersion: 1 },
  };
}
