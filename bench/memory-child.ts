/**
 * The measured process of bench/memory.bench.ts: the real app (`createApp`), configured from
 * the environment the parent sets (DATA_DIR…), listening on loopback. Over IPC it reports
 * when it listens, then when the read models have caught up with the log (and how long
 * that took, with the peak memory meanwhile), then its memory whenever asked; `stop` closes
 * it. Run with --expose-gc, so that "after GC" figures are what is still reachable.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PROJECTED_STREAMS } from '../projections/projection-runner';
import { ReadModels } from '../projections/read-models';
import { createApp } from '../src/bootstrap';
import { EventStore } from '../src/event-store/event-store.port';

export interface Usage {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

export interface Memory {
  asIs: Usage;
  afterGc: Usage;
  /** The most RSS the process ever had (getrusage), start and catch-up included. */
  peakRssMb: number;
}

export type ChildMessage =
  | { kind: 'listening'; port: number; startMs: number }
  | { kind: 'caught-up'; catchUpMs: number; events: number; peakDuringCatchUp: Usage; memory: Memory }
  | { kind: 'memory'; memory: Memory }
  | { kind: 'failed'; error: string };

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function usage(): Usage {
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external) };
}

function memory(): Memory {
  const asIs = usage();
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('memory-child needs --expose-gc');
  gc();
  gc();
  return { asIs, afterGc: usage(), peakRssMb: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10 };
}

const send = (message: ChildMessage) => process.send!(message);

async function main(): Promise<void> {
  const started = performance.now();
  const app = await createApp();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  send({ kind: 'listening', port, startMs: Math.round(performance.now() - started) });

  // Caught up: every projection past the last event it follows, its deferred indexes built.
  const readModels = app.get(ReadModels);
  const [last] = await app.get(EventStore).readAll({ direction: 'backwards', maxCount: 1, filter: PROJECTED_STREAMS });
  const peak: Usage = usage();
  for (;;) {
    const now = usage();
    for (const key of Object.keys(peak) as Array<keyof Usage>) peak[key] = Math.max(peak[key], now[key]);
    const positions = readModels.runners.map((r) => r.state);
    const parked = positions.find((p) => p.parked);
    if (parked) throw new Error(`projection ${parked.name} parked: ${JSON.stringify(parked.parked)}`);
    const reached = last === undefined || positions.every((p) => p.status === 'active' && p.position !== null && BigInt(p.position) >= last.position);
    if (reached) {
      const [{ deferred }]: Array<{ deferred: number }> = await readModels.db.query(
        'SELECT count(*) AS deferred FROM projection_checkpoints WHERE deferred_indexes IS NOT NULL',
      );
      if (deferred === 0) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  send({
    kind: 'caught-up',
    catchUpMs: Math.round(performance.now() - started),
    events: last === undefined ? 0 : Number(last.position),
    peakDuringCatchUp: peak,
    memory: memory(),
  });

  process.on('message', (message: 'measure' | 'stop') => {
    if (message === 'measure') send({ kind: 'memory', memory: memory() });
    if (message === 'stop') void app.close().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  send({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
