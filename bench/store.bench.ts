/**
 * `npm run bench:store`: appends per second of the embedded store, beside the physical
 * ceiling: the same rows written with plain sqlite3 statements into an equivalent table
 * (same schema, indexes, WAL and synchronous level). Prints a table and writes
 * bench/results/store.json.
 *
 * BENCH_SYNCHRONOUS=NORMAL measures the other durability level; BENCH_SCALE=2 doubles the work.
 */
import Table from 'cli-table3';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ADDON_EVENT_SCHEMA_VERSIONS, REPLICA_SITES } from '../src/addons/domain/addon.events';
import { NewEvent } from '../src/event-store/event-store.port';
import { SqliteConnection } from '../src/event-store/sqlite/sqlite-connection';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store';
import { configureWriter, SynchronousLevel } from '../src/event-store/sqlite/sqlite-schema';

const synchronous = (process.env.BENCH_SYNCHRONOUS ?? 'FULL').toUpperCase() as SynchronousLevel;
const scale = Number(process.env.BENCH_SCALE ?? 1);
const dir = mkdtempSync(join(tmpdir(), 'db-addons-bench-'));
let files = 0;
const freshFile = () => join(dir, `bench-${++files}.sqlite`);

interface Scenario {
  key: 'a' | 'b' | 'c';
  name: string;
  writers: number;
  eventsPerAppend: number;
  appendsPerWriter: number;
}

const scenarios: Scenario[] = [
  { key: 'a', name: '(a) 1 event per append, 1 writer', writers: 1, eventsPerAppend: 1, appendsPerWriter: 3_000 * scale },
  { key: 'b', name: '(b) 10 events per append, 1 writer', writers: 1, eventsPerAppend: 10, appendsPerWriter: 1_500 * scale },
  { key: 'c', name: '(c) 1 event per append, 8 writers', writers: 8, eventsPerAppend: 1, appendsPerWriter: 600 * scale },
];

function makeEvent(i: number): NewEvent {
  const addonId = 'c3f1b0de-8a51-4f5e-9a43-2f7f0c1d9e11';
  const backupId = randomUUID();
  return {
    id: randomUUID(),
    type: 'BackupTaken',
    data: {
      addonId,
      backupId,
      name: `20261121010000_my-app-${1000 + (i % 9000)}`,
      sizeBytes: 1_048_576 + i,
      checksum: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      replicas: REPLICA_SITES.map((site) => ({ site, path: `/${addonId}/${backupId}.dump.gz` })),
    },
    metadata: {
      $correlationId: randomUUID(),
      $causationId: randomUUID(),
      actor: 'platform:scheduler',
      occurredAt: new Date().toISOString(),
      schemaVersion: ADDON_EVENT_SCHEMA_VERSIONS.BackupTaken,
    },
  };
}

interface Measure {
  appendsPerSecond: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs `writers` loops of `appendsPerWriter` sequential appends each, all at once. */
async function measure(
  scenario: Scenario,
  append: (writer: number, events: NewEvent[], revision: bigint | null) => Promise<void>,
): Promise<Measure> {
  const batches = Array.from({ length: scenario.writers }, () =>
    Array.from({ length: scenario.appendsPerWriter }, (_, i) =>
      Array.from({ length: scenario.eventsPerAppend }, (_, k) => makeEvent(i * scenario.eventsPerAppend + k)),
    ),
  );
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    batches.map(async (appends, writer) => {
      let revision: bigint | null = null;
      for (const events of appends) {
        const t = performance.now();
        await append(writer, events, revision);
        latencies.push(performance.now() - t);
        revision = (revision ?? -1n) + BigInt(events.length);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const appends = scenario.writers * scenario.appendsPerWriter;
  latencies.sort((x, y) => x - y);
  return {
    appendsPerSecond: Math.round(appends / seconds),
    eventsPerSecond: Math.round((appends * scenario.eventsPerAppend) / seconds),
    p50Ms: round(latencies[Math.floor(latencies.length * 0.5)]),
    p99Ms: round(latencies[Math.floor(latencies.length * 0.99)]),
  };
}

async function storeRun(scenario: Scenario): Promise<Measure> {
  const store = await SqliteEventStore.open({ file: freshFile(), synchronous });
  try {
    return await measure(scenario, async (writer, events, revision) => {
      await store.append(`addon-${writer}`, events, { expectedRevision: revision ?? 'no_stream' });
    });
  } finally {
    await store.close();
  }
}

/**
 * The ceiling: each append is one plain INSERT statement (all its rows, numbered by the
 * writer) committed on its own, which is the least work that makes every append durable
 * when acknowledged. Its table has the store's columns and unique indexes but not the
 * trigger that forbids revision gaps: that check is the store's work, not the ceiling's.
 */
async function ceilingRun(scenario: Scenario): Promise<Measure> {
  const db = await SqliteConnection.open(freshFile());
  await configureWriter(db, { synchronous, busyTimeoutMs: 5_000 });
  await db.exec(`
    CREATE TABLE events (
      position INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL, event_id TEXT NOT NULL,
      type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX events_stream_revision ON events (stream, revision);
    CREATE UNIQUE INDEX events_stream_event_id ON events (stream, event_id);`);
  const rowsSql = Array.from({ length: scenario.eventsPerAppend }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ');
  const sql = `INSERT INTO events (stream, revision, event_id, type, data, metadata, recorded_at) VALUES ${rowsSql}`;
  try {
    return await measure(scenario, async (writer, events, revision) => {
      const now = Date.now();
      const base = Number(revision ?? -1n) + 1;
      await db.run(
        sql,
        events.flatMap((e, k) => [
          `addon-${writer}`,
          base + k,
          e.id,
          e.type,
          JSON.stringify(e.data),
          JSON.stringify(e.metadata),
          now,
        ]),
      );
    });
  } finally {
    await db.close();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const sqliteVersion = await (async () => {
    const db = await SqliteConnection.open(':memory:');
    const row = await db.get<{ v: string }>('SELECT sqlite_version() AS v');
    await db.close();
    return row?.v ?? 'unknown';
  })();
  const results: Record<string, { store: Measure; ceiling: Measure; ratio: number }> = {};
  const table = new Table({
    head: ['scenario', 'store appends/s', 'store events/s', 'p50 ms', 'p99 ms', 'ceiling appends/s', 'store/ceiling'],
    style: { head: [], border: [] },
  });
  for (const scenario of scenarios) {
    // Warm the page cache and the JIT once, unmeasured.
    await storeRun({ ...scenario, appendsPerWriter: 100 });
    await ceilingRun({ ...scenario, appendsPerWriter: 100 });
    const store = await storeRun(scenario);
    const ceiling = await ceilingRun(scenario);
    const ratio = round(store.appendsPerSecond / ceiling.appendsPerSecond);
    results[scenario.key] = { store, ceiling, ratio };
    table.push([
      scenario.name,
      store.appendsPerSecond,
      store.eventsPerSecond,
      store.p50Ms,
      store.p99Ms,
      ceiling.appendsPerSecond,
      ratio,
    ]);
  }
  console.log(`Embedded event store, synchronous=${synchronous}, SQLite ${sqliteVersion}, ${cpus().length} cores`);
  console.log(table.toString());
  const notes = [
    'The ceiling commits each append on its own with one plain INSERT into a table with the same columns and unique indexes, without checks.',
    'The store does that plus validation and serialization, the no-gap trigger, and the expected-revision and idempotency checks.',
    '(c) can pass 1.0: appends that arrive while a commit is in flight share the next transaction (group commit), so one fsync acknowledges many.',
  ];
  for (const [key, { ratio }] of Object.entries(results)) {
    if (ratio < 0.7) notes.push(`(${key}) is below the 0.7 target: see the figures; rerun on an idle machine before drawing conclusions.`);
  }
  notes.forEach((note) => console.log(`- ${note}`));
  const out = join(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'store.json'),
    `${JSON.stringify(
      {
        benchmark: 'store',
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, sqlite: sqliteVersion },
        settings: { journalMode: 'WAL', synchronous, scale },
        scenarios: Object.fromEntries(scenarios.map((s) => [s.key, { ...s, ...results[s.key] }])),
        notes,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`Wrote ${join(out, 'store.json')}`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
