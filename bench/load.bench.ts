/**
 * `npm run bench:load`: the time to load an add-on (read its stream and fold it into state)
 * with 10, 1,000 and 10,000 events in its stream, through the app's `CommandExecutor`,
 * cold (a fresh executor each time, so its cache does not answer), beside the ceiling: a
 * plain `readStream` of the same events from the same store. Prints a table and writes
 * bench/results/load.json.
 *
 * The app's own pieces, from its Nest container (`createApp`, not listening; platform
 * runtime, projections and webhooks off): the injected `EventStore` (the upcasting
 * decorator over embedded SQLite) and a new `CommandExecutor` per load, made by the
 * `ModuleRef` of the module that provides it, so it gets whatever the app injects into it
 * (its `SnapshotStore`, `DATA_DIR/snapshots.sqlite`, and its metrics observer).
 *
 * The streams are an add-on's life: provisioned on a Business plan, running, then every day
 * a periodic backup (requested, started, taken, or failed 3% of the time) and the expiry of
 * the daily backups past their week, with manual backups, downloads, feature changes and
 * maintenances now and then: 10,000 events are about 7 years of daily backups.
 *
 * Snapshots: the first cold load of each stream (no snapshot yet: it folds the whole
 * stream) is kept apart from the next ones. The executor takes a snapshot in the background
 * once it has folded SNAPSHOT_EVERY (500) events past the last one, so the later cold loads
 * of the 1,000 and 10,000-event streams start from it; the 10-event stream never has one. A
 * cold load under half the time of reading the whole stream is reported as the snapshot
 * path taken.
 *
 * BENCH_LOAD_SIZES=10,1000,10000; BENCH_QUICK=1 for fewer repetitions.
 */
import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { ModuleRef, ModulesContainer } from '@nestjs/core';
import Table from 'cli-table3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ADDON } from '../src/addons/addon.aggregate';
import { ADDON_EVENT_SCHEMA_VERSIONS, AddonEvent, REPLICA_SITES } from '../src/addons/domain/addon.events';
import { AddonState, evolveAddon, initialAddonState } from '../src/addons/domain/addon.state';
import { PROVIDERS } from '../src/catalogue/domain/catalogue';
import { createApp } from '../src/bootstrap';
import { EventStore, JsonObject, NewEvent } from '../src/event-store/event-store.port';
import { CommandExecutor } from '../src/shared/cqrs/command-executor';
import { compactUtc } from '../src/shared/domain/time';
import { SeededRandom } from '../src/platform/driver/deterministic';
import { benchSecrets, machine, percentile, QUICK, round, writeResult } from './bench-kit';

const SIZES = (process.env.BENCH_LOAD_SIZES ?? '10,1000,10000').split(',').map(Number);
/** Above this, a cold load of the largest stream is worth a snapshot (the issue: "beyond a few milliseconds"). */
const SNAPSHOT_BUDGET_MS = 5;
const DAY_MS = 86_400_000;
const START = Date.parse('2019-01-07T00:00:00.000Z');

/** Repetitions of each measure for a stream of `n` events: enough for a stable median, about a second each. */
const repetitions = (n: number) => Math.max(QUICK ? 5 : 15, Math.min(QUICK ? 100 : 400, Math.round((QUICK ? 20_000 : 80_000) / n)));

/** The first `count` events of a Business PostgreSQL add-on's life, day after day. */
export function addonLife(addonId: string, count: number): AddonEvent[] {
  const draws = new SeededRandom(7);
  const next = () => draws.next();
  const events: AddonEvent[] = [];
  const resourceId = `bench-app-${addonId.slice(0, 4)}`;
  const at = (day: number, minutes: number) => new Date(START + day * DAY_MS + minutes * 60_000).toISOString();
  events.push({
    type: 'AddonProvisioned',
    data: {
      addonId,
      appName: 'bench-app',
      resourceId,
      providerId: 'postgresql',
      planId: 'postgresql-business-1024',
      version: PROVIDERS.postgresql.versions.at(-1)!,
      features: [...PROVIDERS.postgresql.defaultFeatures],
      maintenanceWindow: { weekdayUtc: 3, startingHourUtc: 12, durationHours: 8 },
      backupSchedule: { enabled: true, hour: 1, timezone: 'UTC' },
      nodes: [
        { name: `${resourceId}-db-1`, role: 'leader' },
        { name: `${resourceId}-db-2`, role: 'standby' },
      ],
      connection: {
        scheme: 'postgres',
        user: resourceId,
        host: `${resourceId}.postgresql.example.test`,
        port: 31_337,
        password: { iv: 'aXY', ciphertext: 'c2VhbGVk', tag: 'dGFn' },
        dataKey: { wrapped: 'd3JhcHBlZA' },
      },
      at: at(0, 0),
    },
  });
  events.push({ type: 'AddonRunning', data: { at: at(0, 1) } });
  const done: Array<{ id: string; day: number; method: 'periodic' | 'manual' }> = [];
  const backup = (day: number, method: 'periodic' | 'manual', minute: number) => {
    const backupId = randomUUID();
    events.push({ type: 'BackupRequested', data: { backupId, name: `${compactUtc(at(day, minute))}_${resourceId}`, method, at: at(day, minute) } });
    events.push({ type: 'BackupStarted', data: { backupId, at: at(day, minute) } });
    if (next() < 0.03) {
      events.push({ type: 'BackupFailed', data: { backupId, reason: 'dump timed out', at: at(day, minute + 3) } });
      return;
    }
    events.push({
      type: 'BackupTaken',
      data: {
        backupId,
        sizeBytes: 1_048_576 + Math.floor(next() * 4e9),
        checksum: `sha256:${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`,
        replicas: REPLICA_SITES.map((site) => ({ site, path: `/${addonId}/${backupId}.dump.gz` })),
        at: at(day, minute + 2),
      },
    });
    done.push({ id: backupId, day, method });
  };
  for (let day = 1; events.length < count; day++) {
    backup(day, 'periodic', 60);
    // Daily backups past their week go, but for one a week.
    for (let i = 0; i < done.length; i++) {
      const b = done[i];
      if (b.method === 'periodic' && day - b.day > 7 && b.day % 7 !== 0) {
        events.push({ type: 'BackupExpired', data: { backupId: b.id, reason: 'retention', at: at(day, 65) } });
        done.splice(i--, 1);
      }
    }
    if (next() < 0.05) backup(day, 'manual', 600);
    if (next() < 0.01 && done.length > 0) events.push({ type: 'BackupDownloadRequested', data: { backupId: done[done.length - 1].id, at: at(day, 700) } });
    if (next() < 0.005) events.push({ type: next() < 0.5 ? 'FeatureEnabled' : 'FeatureDisabled', data: { feature: 'internet-access', at: at(day, 800) } });
    if (next() < 0.01) {
      const maintenanceId = `mnt-${day}`;
      events.push({ type: 'MaintenanceAnnounced', data: { maintenanceId, reason: 'security patches', startsAt: at(day + 1, 12 * 60), endsAt: at(day + 1, 20 * 60), at: at(day, 900) } });
      events.push({ type: 'MaintenanceStarted', data: { maintenanceId, at: at(day + 1, 12 * 60) } });
      events.push({ type: 'MaintenanceCompleted', data: { maintenanceId, at: at(day + 1, 12 * 60 + 30) } });
    }
  }
  return events.slice(0, count);
}

async function append(store: EventStore, stream: string, events: readonly AddonEvent[]): Promise<void> {
  const CHUNK = 500;
  for (let from = 0; from < events.length; from += CHUNK) {
    const chunk: NewEvent[] = events.slice(from, from + CHUNK).map((event) => ({
      id: randomUUID(),
      type: event.type,
      data: event.data as unknown as JsonObject,
      metadata: {
        $correlationId: randomUUID(),
        $causationId: randomUUID(),
        actor: 'platform:scheduler',
        occurredAt: (event.data as { at: string }).at,
        schemaVersion: ADDON_EVENT_SCHEMA_VERSIONS[event.type],
      },
    }));
    await store.append(stream, chunk, { expectedRevision: from === 0 ? 'no_stream' : BigInt(from - 1) });
  }
}

/** Lets a snapshot the executor writes in the background land before the next load. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 250));

/** A new executor, made where the app makes its own, so it gets the same dependencies. */
function executorFactory(app: INestApplication): () => Promise<CommandExecutor> {
  const host = [...app.get(ModulesContainer).values()].find((module) => module.providers.has(CommandExecutor));
  const moduleRef = host?.providers.get(ModuleRef)?.instance as ModuleRef | undefined;
  if (!moduleRef) throw new Error('No module provides the CommandExecutor');
  return () => moduleRef.create(CommandExecutor);
}

interface Timing {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
}

const timing = (times: number[]): Timing => ({
  samples: times.length,
  p50Ms: round(percentile(times, 50), 3),
  p99Ms: round(percentile(times, 99), 3),
  minMs: round(Math.min(...times), 3),
});

async function time(work: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await work();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'db-addons-bench-load-'));
  delete process.env.EVENTSTORE_CONNECTION_STRING;
  Object.assign(process.env, { DATA_DIR: dataDir, PLATFORM_RUNTIME: 'off', PROJECTIONS: 'off', WEBHOOKS: 'off', LOG_LEVEL: 'silent', ...benchSecrets() });
  const host = await machine();
  const app = await createApp();
  await app.init();
  try {
    const store = app.get(EventStore);
    const freshExecutor = executorFactory(app);

    // Warm the JIT on a stream of its own, so that the first measured load of each stream is its first ever.
    const warmId = randomUUID();
    await append(store, `addon-${warmId}`, addonLife(warmId, 2_000));
    for (let i = 0; i < 20; i++) {
      await store.readStream(`addon-${warmId}`);
      await (await freshExecutor()).load(ADDON, warmId);
    }

    const rows = [];
    for (const size of SIZES) {
      const id = randomUUID();
      const life = addonLife(id, size);
      await append(store, `addon-${id}`, life);
      const reps = repetitions(size);

      // The first cold load ever of this stream: what a snapshot written on load would not yet have helped.
      const first = await freshExecutor();
      let loaded!: Awaited<ReturnType<CommandExecutor['load']>>;
      const firstMs = await time(async () => (loaded = await first.load(ADDON, id)));
      const state = loaded.state as AddonState;
      await settle();
      if (loaded.revision !== BigInt(size - 1) || state.status === 'none') {
        throw new Error(`load of ${size} events answered revision ${loaded.revision}, status ${state.status}`);
      }

      const ceiling: number[] = [];
      const cold: number[] = [];
      const warm: number[] = [];
      for (let i = 0; i < reps; i++) {
        // In turn, so that each sees the machine as the others do.
        ceiling.push(await time(() => store.readStream(`addon-${id}`)));
        const executor = await freshExecutor();
        cold.push(await time(() => executor.load(ADDON, id)));
        warm.push(await time(() => executor.load(ADDON, id)));
      }

      // The fold alone, in memory: the part of a cold load that is neither reading nor decoding.
      const messages = (await store.readStream(`addon-${id}`)).map((e) => ({ type: e.type, data: e.data }) as unknown as AddonEvent);
      const fold: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        messages.reduce(evolveAddon, initialAddonState());
        fold.push(performance.now() - t);
      }

      // What reading a snapshot of this state would cost at least: its JSON, parsed.
      const json = JSON.stringify(state);
      const parse: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        JSON.parse(json);
        parse.push(performance.now() - t);
      }

      const row = {
        events: size,
        backupsInState: state.backups.length,
        /** The state as a snapshot would hold it: its JSON's size, and the time to parse it. */
        stateJson: {
          kB: round(json.length / 1024, 1),
          parseP50Ms: round(percentile(parse, 50), 3),
          /** Without the expired backups' records (a state that keeps only their ids would be about this size). */
          withoutExpiredKB: round(JSON.stringify({ ...state, backups: state.backups.filter((b) => b.status !== 'expired') }).length / 1024, 1),
        },
        /** Reading the stream, per event: what each event after a snapshot would still cost. */
        readPerEventUs: round((percentile(ceiling, 50) * 1000) / size, 2),
        ceiling: timing(ceiling),
        /** The stream's first load ever: no snapshot yet, the whole stream read and folded (one sample). */
        firstColdLoad: { ms: round(firstMs, 3), ratio: round(firstMs / percentile(ceiling, 50)) },
        coldLoad: timing(cold),
        warmLoad: timing(warm),
        foldOnly: timing(fold),
        /** Cold load p50 over the ceiling's p50: how many times a raw read a load takes (below 1: it did not read it all). */
        ratio: round(percentile(cold, 50) / percentile(ceiling, 50)),
        /** A cold load well under the time to read the whole stream did not read it: a snapshot answered. */
        snapshotPathSeen: percentile(cold, 50) < 0.5 * percentile(ceiling, 50),
      };
      rows.push(row);
    }

    const table = new Table({
      head: ['events', 'ceiling readStream p50 ms', 'cold load p50 ms', 'p99 ms', 'load/ceiling', 'first load ever ms', 'first/ceiling', 'fold only p50 ms', 'warm (cached) p50 ms', 'state JSON kB'],
      style: { head: [], border: [] },
    });
    for (const r of rows) {
      table.push([r.events, r.ceiling.p50Ms, r.coldLoad.p50Ms, r.coldLoad.p99Ms, r.ratio, r.firstColdLoad.ms, r.firstColdLoad.ratio, r.foldOnly.p50Ms, r.warmLoad.p50Ms, r.stateJson.kB]);
    }
    console.log(`Add-on load, ${host.cores} cores (${host.cpuModel}), Node ${host.node}, SQLite ${host.sqlite}, load ${host.loadAverage1m}`);
    console.log(table.toString());

    const largest = rows[rows.length - 1];
    /** Still above the budget: a cold load of the largest stream, snapshot or not. */
    const needsSnapshots = largest.coldLoad.p50Ms > SNAPSHOT_BUDGET_MS;
    const perEvent = rows.map((r) => `${r.events}: ${round((r.foldOnly.p50Ms * 1000) / r.events, 2)} µs`);
    const notes = [
      "ceiling: readStream of the whole stream through the app's EventStore (upcasting decorator over embedded SQLite), decoded, nothing folded.",
      "cold load: CommandExecutor.load on a new executor (made by the module that provides the app's, so with its SnapshotStore): nothing cached, so it starts from the stream's snapshot when there is one, else reads and folds the whole stream.",
      'first load ever: the first cold load of the stream, before any snapshot of it (one sample): the whole stream read and folded; it leaves a snapshot behind once 500 events were folded.',
      "warm: the same executor loading again: its cache answers, after reading an empty tail (the app's steady state for a stream it served recently).",
      `fold only: evolve over the events already in memory; per event ${perEvent.join(', ')}.`,
      `state JSON: the folded state (what a snapshot holds besides the event ids): ${rows.map((r) => `${r.stateJson.kB} kB, parsed in ${r.stateJson.parseP50Ms} ms`).join(' / ')}; reading the stream costs ${rows.map((r) => `${r.readPerEventUs} µs`).join(' / ')} per event.`,
      `Each measure is taken ${rows.map((r) => `${repetitions(r.events)}×`).join(' / ')} in turn with the others.`,
    ];
    const seen = rows.filter((r) => r.snapshotPathSeen);
    notes.push(
      seen.length > 0
        ? `Snapshot path seen for ${seen.map((r) => r.events).join(', ')} events: a cold load took less than half of reading the stream.`
        : 'No snapshot path seen: every cold load took at least half of reading the whole stream.',
    );
    if (largest.firstColdLoad.ms > SNAPSHOT_BUDGET_MS) {
      notes.push(
        `Without a snapshot, ${largest.events} events take ${largest.firstColdLoad.ms} ms: reading is ${largest.ceiling.p50Ms} ms of it and the fold alone ${largest.foldOnly.p50Ms} ms; ` +
          `evolve copies the add-on's backup list on every backup event (${largest.backupsInState} backups in the state at the end, expired ones included), so the fold grows faster than the stream.`,
      );
    }
    if (needsSnapshots) {
      notes.push(`A cold load of ${largest.events} events still takes ${largest.coldLoad.p50Ms} ms (p50), more than ${SNAPSHOT_BUDGET_MS} ms.`);
    }
    notes.forEach((note) => console.log(`- ${note}`));
    const file = writeResult('load', {
      benchmark: 'load',
      date: new Date().toISOString(),
      machine: host,
      settings: { sizes: SIZES, quick: QUICK, synchronous: process.env.SQLITE_SYNCHRONOUS ?? 'FULL', snapshotBudgetMs: SNAPSHOT_BUDGET_MS },
      rows,
      needsSnapshots,
      notes,
    });
    console.log(`Wrote ${file}`);
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
