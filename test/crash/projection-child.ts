/**
 * Child process of the projection crash test: the backups and audit runners, started as
 * the app starts them, on DATA_DIR/events.sqlite into DATA_DIR/read-models.sqlite. Prints
 * `start <head> <checkpoints>`, then `progress <checkpoints>` each time a batch commits,
 * and `caught-up <head>` before it exits once both reach the head (unless killed first).
 * Checkpoints read `backups=<position> audit=<position>` (`-` before the first batch).
 * PROJECTION_BATCH_SIZE sets the events per batch; PAUSE_INSIDE_BATCH_AFTER holds an audit
 * batch's transaction open (see below) so that a kill lands inside it.
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { auditProjection } from '../../projections/audit/audit.projection';
import { backupsProjection } from '../../projections/backups/backups.projection';
import type { Projection } from '../../projections/projection';
import { ProjectionRunner } from '../../projections/projection-runner';
import { openReadStore } from '../../projections/read-store';

const dataDir = process.env.DATA_DIR;
const batchSize = Number(process.env.PROJECTION_BATCH_SIZE ?? 500);

// Synchronous writes: a line printed is a line the parent can read, even after SIGKILL.
const say = (line: string) => writeSync(1, `${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  if (!dataDir) throw new Error('DATA_DIR is not set');
  const store = await SqliteEventStore.open({ file: join(dataDir, 'events.sqlite') });
  const db = await openReadStore(join(dataDir, 'read-models.sqlite'));
  // PAUSE_INSIDE_BATCH_AFTER=<position>: the audit batch passing it writes its rows, prints
  // `in-batch <first>-<last>` and waits with its transaction open (for the parent's SIGKILL).
  const pauseAfter = process.env.PAUSE_INSIDE_BATCH_AFTER ? BigInt(process.env.PAUSE_INSIDE_BATCH_AFTER) : null;
  const audit: Projection = {
    ...auditProjection,
    applyBatch: async (events, tx) => {
      await auditProjection.applyBatch!(events, tx);
      const last = events[events.length - 1].position;
      if (pauseAfter !== null && last > pauseAfter) {
        say(`in-batch ${events[0].position}-${last}`);
        await sleep(60_000);
      }
    },
  };
  const runners = [backupsProjection, audit].map((p) => new ProjectionRunner(p, store, db, { batchSize, idleMs: 50 }));
  for (const runner of runners) await runner.prepare();
  const head = (await store.headPosition())?.toString() ?? null;
  const checkpoints = () => runners.map((r) => `${r.state.name}=${r.state.position ?? '-'}`).join(' ');
  say(`start ${head} ${checkpoints()}`);
  for (const runner of runners) runner.start();
  let last = checkpoints();
  for (;;) {
    const parked = runners.find((r) => r.state.parked);
    if (parked) throw new Error(`${parked.state.name} parked: ${JSON.stringify(parked.state.parked)}`);
    const now = checkpoints();
    if (now !== last) say(`progress ${(last = now)}`);
    if (runners.every((r) => r.state.position === head)) break;
    await sleep(5);
  }
  for (const runner of runners) await runner.stop();
  await db.destroy();
  await store.close();
  say(`caught-up ${head}`);
}

main().catch((error: unknown) => {
  writeSync(2, `projection-child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
