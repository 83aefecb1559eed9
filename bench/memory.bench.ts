/**
 * `npm run bench:memory`: the memory of the app (RSS and V8 heap used) with one million
 * events in its store, beside the ceiling: the same app with an empty store, measured in the
 * same run. Prints a table and writes bench/results/memory.json.
 *
 * 1. The empty app: a child process (bench/memory-child.ts, the real app through
 *    `createApp`) on an empty DATA_DIR: memory once started, and after the queries.
 * 2. The log: `generateLog` (bench/projections.bench.ts) writes BENCH_EVENTS_MEMORY
 *    (1,000,000) realistic events into a second DATA_DIR's events.sqlite.
 * 3. The full app: a new child on that DATA_DIR. Its read store is new, so its projections
 *    catch up from zero: how long that takes (from the start of the process's `createApp`),
 *    the peak memory meanwhile, the memory once caught up, and after the queries.
 *
 * The queries, from this process over HTTP with a support token, 8 at a time: first every
 * app (the app, its add-ons, its audit page, its events page) and every add-on (the add-on,
 * its backups) once; then the history of one add-on in 25. Every add-on read goes through
 * the command side's access check, which loads and caches the app's and the add-on's folded
 * streams: the reads fill that cache as a busy day would. Memory is measured after each.
 * The empty app gets the same requests (its answers are mostly 404s).
 *
 * Both children: platform runtime off (it would act on a million events of flows), projections
 * and webhooks on, LOG_LEVEL silent, run by ts-node (its TypeScript compiler is part of both
 * figures; `node dist/src/main.js` carries less). "After GC" is after two forced collections.
 *
 * BENCH_EVENTS_MEMORY=1000000; BENCH_QUICK=1 makes it 100,000.
 */
import 'reflect-metadata';
import Table from 'cli-table3';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store';
import { withUpcasting } from '../src/event-store/upcasting-event-store';
import { benchSecrets, envInt, machine, percentile, QUICK, round, writeResult } from './bench-kit';
import type { ChildMessage, Memory, Usage } from './memory-child';
import { generateLog, GeneratedLog } from './projections.bench';

const EVENTS = envInt('BENCH_EVENTS_MEMORY', QUICK ? 100_000 : 1_000_000);
const CONCURRENCY = 8;

interface Run {
  events: number;
  startMs: number;
  /** From the start of `createApp` until every read model holds the whole log. */
  caughtUpMs: number;
  peakDuringCatchUp: Usage;
  caughtUp: Memory;
  /** Every app and add-on read once: fills the command side's cache of folded streams (access checks). */
  reads: Burst;
  afterReads: Memory;
  /** Then the full history of one add-on in 25 (a replay of its stream, each step with its state). */
  histories: Burst;
  afterHistories: Memory;
}

interface Burst {
  requests: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
}

/** Starts the app in a child process on `dataDir`; answers its port, and a way to talk to it. */
function startChild(dataDir: string, secrets: ReturnType<typeof benchSecrets>) {
  const child = fork(join(__dirname, 'memory-child.ts'), [], {
    execArgv: ['--expose-gc', '-r', 'ts-node/register/transpile-only'],
    env: {
      ...process.env,
      EVENTSTORE_CONNECTION_STRING: '',
      DATA_DIR: dataDir,
      PLATFORM_RUNTIME: 'off',
      PROJECTIONS: 'on',
      WEBHOOKS: 'on',
      LOG_LEVEL: 'silent',
      ...secrets,
    },
    stdio: 'inherit',
  });
  const next = <K extends ChildMessage['kind']>(kind: K) =>
    new Promise<Extract<ChildMessage, { kind: K }>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`memory-child exited (${code}) before "${kind}"`));
      child.once('exit', onExit);
      child.once('message', (message: ChildMessage) => {
        child.off('exit', onExit);
        if (message.kind === 'failed') reject(new Error(`memory-child: ${message.error}`));
        else if (message.kind !== kind) reject(new Error(`memory-child said ${message.kind}, expected ${kind}`));
        else resolve(message as Extract<ChildMessage, { kind: K }>);
      });
    });
  return {
    next,
    measure: async () => {
      const answer = next('memory');
      child.send('measure');
      return (await answer).memory;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

/** The bursts' requests: every app and add-on of the log read once; then the history of one add-on in 25. */
function burstPaths(log: GeneratedLog): { reads: string[]; histories: string[] } {
  const reads: string[] = [];
  const histories: string[] = [];
  for (const app of log.apps) {
    reads.push(`/v1/apps/${app}`, `/v1/apps/${app}/addons`, `/v1/audit?app=${app}&limit=100`, `/v1/apps/${app}/events?limit=100`);
  }
  log.addons.forEach(({ id, app }, i) => {
    reads.push(`/v1/apps/${app}/addons/${id}`, `/v1/apps/${app}/addons/${id}/backups`);
    if (i % 25 === 0) histories.push(`/v1/addons/${id}/history`);
  });
  return { reads, histories };
}

async function supportToken(base: string, adminToken: string): Promise<string> {
  const issued = await fetch(`${base}/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'support', subject: 'bench-support' }),
  });
  if (issued.status !== 201) throw new Error(`token: ${issued.status} ${await issued.text()}`);
  return ((await issued.json()) as { token: { value: string } }).token.value;
}

async function burst(base: string, token: string, paths: readonly string[]): Promise<Burst> {
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < paths.length) {
        const path = paths[next++];
        const t = performance.now();
        const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
        await response.arrayBuffer();
        times.push(performance.now() - t);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      }
    }),
  );
  return {
    requests: paths.length,
    seconds: round((performance.now() - started) / 1000),
    p50Ms: round(percentile(times, 50)),
    p99Ms: round(percentile(times, 99)),
    statuses,
  };
}

async function measureApp(dataDir: string, paths: ReturnType<typeof burstPaths>, secrets: ReturnType<typeof benchSecrets>): Promise<Run> {
  const child = startChild(dataDir, secrets);
  const listening = await child.next('listening');
  const caughtUp = await child.next('caught-up');
  try {
    const base = `http://127.0.0.1:${listening.port}`;
    const token = await supportToken(base, secrets.ADMIN_TOKEN);
    const reads = await burst(base, token, paths.reads);
    const afterReads = await child.measure();
    const histories = await burst(base, token, paths.histories);
    const afterHistories = await child.measure();
    return {
      events: caughtUp.events,
      startMs: listening.startMs,
      caughtUpMs: caughtUp.catchUpMs,
      peakDuringCatchUp: caughtUp.peakDuringCatchUp,
      caughtUp: caughtUp.memory,
      reads,
      afterReads,
      histories,
      afterHistories,
    };
  } finally {
    await child.stop();
  }
}

async function main(): Promise<void> {
  const host = await machine();
  const emptyDir = mkdtempSync(join(tmpdir(), 'db-addons-bench-memory-empty-'));
  const fullDir = mkdtempSync(join(tmpdir(), 'db-addons-bench-memory-full-'));
  try {
    // The log first (its apps and add-ons name the burst's requests), into a store no app holds open.
    console.log(`Generating ${EVENTS} events…`);
    const t = performance.now();
    const store = withUpcasting(await SqliteEventStore.open({ file: join(fullDir, 'events.sqlite'), synchronous: 'NORMAL' }));
    const log = await generateLog(store, EVENTS);
    await store.close();
    const generation = { seconds: round((performance.now() - t) / 1000, 1), apps: log.apps.length, addons: log.addons.length };
    console.log(`Generated ${log.events} events (${log.apps.length} apps, ${log.addons.length} add-ons) in ${generation.seconds} s`);
    const paths = burstPaths(log);

    const empty = await measureApp(emptyDir, paths, benchSecrets());
    const full = await measureApp(fullDir, paths, benchSecrets());
    if (full.events < EVENTS) throw new Error(`the full app caught up with ${full.events} events of ${EVENTS}`);
    // 404: the add-ons removed in the log (their backups and history stay readable).
    for (const answered of [full.reads, full.histories]) {
      if (Object.keys(answered.statuses).some((status) => status !== '200' && status !== '404')) {
        throw new Error(`a burst on the full app answered ${JSON.stringify(answered.statuses)}`);
      }
    }

    const ratio = (a: number, b: number) => round(a / b);
    const figures = {
      rssCaughtUp: { full: full.caughtUp.afterGc.rssMb, empty: empty.caughtUp.afterGc.rssMb },
      heapCaughtUp: { full: full.caughtUp.afterGc.heapUsedMb, empty: empty.caughtUp.afterGc.heapUsedMb },
      rssAfterReads: { full: full.afterReads.afterGc.rssMb, empty: empty.afterReads.afterGc.rssMb },
      heapAfterReads: { full: full.afterReads.afterGc.heapUsedMb, empty: empty.afterReads.afterGc.heapUsedMb },
      rssAfterHistories: { full: full.afterHistories.afterGc.rssMb, empty: empty.afterHistories.afterGc.rssMb },
      heapAfterHistories: { full: full.afterHistories.afterGc.heapUsedMb, empty: empty.afterHistories.afterGc.heapUsedMb },
      peakRss: { full: full.afterHistories.peakRssMb, empty: empty.afterHistories.peakRssMb },
    };
    const table = new Table({ head: ['measure (MB)', `${EVENTS} events`, 'empty store', 'ratio', 'difference'], style: { head: [], border: [] } });
    const rowsOut = [
      ['RSS, caught up (after GC)', figures.rssCaughtUp],
      ['heap used, caught up (after GC)', figures.heapCaughtUp],
      ['RSS, after reading every app and add-on (after GC)', figures.rssAfterReads],
      ['heap used, after those reads (after GC)', figures.heapAfterReads],
      ['RSS, after the histories too (after GC)', figures.rssAfterHistories],
      ['heap used, after the histories too (after GC)', figures.heapAfterHistories],
      ['peak RSS (start, catch-up, bursts)', figures.peakRss],
    ] as const;
    for (const [name, f] of rowsOut) table.push([name, f.full, f.empty, ratio(f.full, f.empty), round(f.full - f.empty, 1)]);
    console.log(`Memory, ${host.cores} cores (${host.cpuModel}), Node ${host.node}, SQLite ${host.sqlite}, load ${host.loadAverage1m}`);
    console.log(table.toString());
    const catchUpSeconds = round((full.caughtUpMs - full.startMs) / 1000, 1);
    const notes = [
      `The log: ${log.events} events of ${log.apps.length} apps and ${log.addons.length} add-ons, generated in ${generation.seconds} s.`,
      `Start: the empty app listened after ${empty.startMs} ms, the full one after ${full.startMs} ms; the full one's read models (6 projections, from zero) caught up ${catchUpSeconds} s later (${Math.round(log.events / catchUpSeconds)} events/s), peak RSS meanwhile ${full.peakDuringCatchUp.rssMb} MB, heap ${full.peakDuringCatchUp.heapUsedMb} MB.`,
      `The reads: ${paths.reads.length} GET requests, ${CONCURRENCY} at a time: full app ${full.reads.seconds} s (p50 ${full.reads.p50Ms} ms, p99 ${full.reads.p99Ms} ms, ${JSON.stringify(full.reads.statuses)}: 404 for the add-ons removed in the log); empty app ${empty.reads.seconds} s (${JSON.stringify(empty.reads.statuses)}).`,
      `The histories: ${paths.histories.length} GET …/history, ${CONCURRENCY} at a time: full app ${full.histories.seconds} s (p50 ${full.histories.p50Ms} ms, p99 ${full.histories.p99Ms} ms, ${JSON.stringify(full.histories.statuses)}); empty app ${JSON.stringify(empty.histories.statuses)}.`,
      'What the reads leave on the heap is mostly the command side\'s cache of folded streams (CommandExecutor: at most 2,000 streams and 200,000 events between them): each add-on\'s state with its backups (the expired ones reduced to their names and dates), and the ids of its events.',
      'Both apps: child processes run by ts-node (its compiler is in both figures), platform runtime off, projections and webhooks on, LOG_LEVEL silent; "after GC" after two forced collections.',
    ];
    notes.forEach((note) => console.log(`- ${note}`));
    const file = writeResult('memory', {
      benchmark: 'memory',
      date: new Date().toISOString(),
      machine: host,
      settings: { events: EVENTS, quick: QUICK, burstConcurrency: CONCURRENCY, platformRuntime: 'off', projections: 'on', webhooks: 'on' },
      log: { ...generation, events: log.events },
      figures,
      catchUpSeconds,
      full,
      empty,
      notes,
    });
    console.log(`Wrote ${file}`);
  } finally {
    rmSync(emptyDir, { recursive: true, force: true });
    rmSync(fullDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
