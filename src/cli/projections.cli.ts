/**
 * `npm run projections -- rebuild <name>`: rebuilds one read model from the start of the
 * log, with the server stopped.
 * `npm run projections -- check`: replays the log into a fresh temporary read store, each
 * projection up to the position its live checkpoint has reached, and compares every table
 * row by row with the live one (DATA_DIR/read.sqlite). Exit 1 on any difference.
 *
 * Reads DATA_DIR and EVENTSTORE_CONNECTION_STRING like the server; does not boot Nest.
 */
import 'reflect-metadata';
import { Argument, Command, InvalidArgumentError } from 'commander';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { ALL_PROJECTIONS } from '../../projections';
import { physicalTable, Projection } from '../../projections/projection';
import { ProjectionRunner } from '../../projections/projection-runner';
import { openReadStore } from '../../projections/read-store';
import { CliError, EXIT, loadConfig, logToStderr, observeReadAll, openEventStore, progressBar, runProgram } from './cli-support';

const NAMES = ALL_PROJECTIONS.map((p) => p.name);

function parseProjection(name: string): Projection {
  const projection = ALL_PROJECTIONS.find((p) => p.name === name);
  if (!projection) throw new InvalidArgumentError(`Unknown projection "${name}". The projections are: ${NAMES.join(', ')}.`);
  return projection;
}

// ---------------------------------------------------------------------------------------
// rebuild

/**
 * Empties the tables of the projection's version (the one this code builds), resets its
 * checkpoint (no position, not parked) and catches up from the start of the log. A version
 * that was building becomes active once caught up, as in the server.
 */
async function rebuild(projection: Projection): Promise<void> {
  const config = loadConfig();
  const store = await openEventStore(config);
  mkdirSync(dirname(config.readModels.file), { recursive: true });
  const db = await openReadStore(config.readModels.file);
  const { name, version } = projection;
  try {
    const head = await store.headPosition();
    const bar = progressBar(`${name} v${version} |{bar}| {percentage}% | {events} events read | position {value}/{total}`);
    let read = 0;
    let last: bigint | null = null;
    const observed = observeReadAll(store, (page) => {
      // The runner reads each page from the last event it applied: count only new events.
      for (const event of page) {
        if (last !== null && event.position <= last) continue;
        read++;
        last = event.position;
      }
      if (last !== null) bar.update(Number(last), { events: read });
    });
    const runner = new ProjectionRunner(projection, observed, db, { batchSize: config.readModels.batchSize, idleMs: 0 });
    await runner.prepare();
    await runner.rebuildFromZero();
    bar.start(Number(head ?? 0), 0, { events: 0 });
    const started = performance.now();
    try {
      await runner.catchUp();
    } finally {
      bar.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(read / seconds) : read;
    const state = runner.state;
    console.log(
      `Rebuilt ${name} v${version} (${state.status}): ${read} events read up to position ${state.position ?? 'none'} ` +
        `in ${seconds.toFixed(2)} s, ${rate} events/s.`,
    );
    if (state.parked) {
      throw new CliError(`${name} v${version} is parked at position ${state.parked.position}: ${state.parked.error}`);
    }
  } finally {
    await db.destroy();
    await store.close();
  }
}

// ---------------------------------------------------------------------------------------
// check

interface Checkpoint {
  status: string;
  position: string | null;
  parked_position: string | null;
  parked_error: string | null;
}

type Row = Record<string, unknown>;

interface TableDiff {
  table: string;
  /** Keys differing (present on one side only, or with other values). */
  count: number;
  /** Up to the cap: the key and both rows (null when absent on that side). */
  samples: Array<{ key: Row; live: Row | null; replay: Row | null }>;
  /** The table cannot be compared (missing, other columns). */
  problem?: string;
}

async function check(options: { limit: number }): Promise<void> {
  const config = loadConfig();
  const liveFile = config.readModels.file;
  if (!existsSync(liveFile)) throw new CliError(`No read store at ${liveFile}: set DATA_DIR to the server's data folder.`);
  const store = await openEventStore(config);
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-check-'));
  const sources: DataSource[] = [];
  try {
    // A consistent copy of the live read store: a running server keeps writing to it.
    const snapshot = join(dir, 'live.sqlite');
    const live = await openReadStore(liveFile, { migrate: false });
    sources.push(live);
    await live.query('VACUUM INTO ?', [snapshot]);
    await live.destroy();

    const replay = await openReadStore(join(dir, 'replay.sqlite'));
    sources.push(replay);
    const checkpoints = new Map<string, Checkpoint>();
    await replay.query('ATTACH DATABASE ? AS live', [snapshot]);
    for (const projection of ALL_PROJECTIONS) {
      const rows: Checkpoint[] = await replay.query(
        `SELECT status, position, parked_position, parked_error FROM live.projection_checkpoints WHERE name = ? AND version = ?`,
        [projection.name, projection.version],
      );
      if (rows[0]) checkpoints.set(projection.name, rows[0]);
    }
    await replay.query('DETACH DATABASE live');

    // Replay each projection up to its live checkpoint, not to the log's head: a live model behind the log is no difference.
    const replayErrors = new Map<string, string>();
    for (const projection of ALL_PROJECTIONS) {
      const position = checkpoints.get(projection.name)?.position;
      if (!position) continue;
      const runner = new ProjectionRunner(projection, store, replay, {
        batchSize: config.readModels.batchSize,
        idleMs: 0,
        until: BigInt(position),
      });
      await runner.prepare();
      await runner.catchUp();
      const { parked, position: reached } = runner.state;
      if (parked) replayErrors.set(projection.name, `the replay parked at position ${parked.position}: ${parked.error}`);
      else if (reached !== position) {
        replayErrors.set(projection.name, `the log ends at position ${reached ?? 'none'}, before the live checkpoint ${position}`);
      }
    }

    await replay.query('ATTACH DATABASE ? AS live', [snapshot]);
    let differing = 0;
    for (const projection of ALL_PROJECTIONS) {
      const { name, version } = projection;
      const checkpoint = checkpoints.get(name);
      const diffs: TableDiff[] = [];
      let printed = 0;
      for (const table of projection.tables) {
        const diff = await compareTable(replay, physicalTable(table, version), options.limit - printed);
        diffs.push(diff);
        for (const sample of diff.samples) console.log(describeDifference(diff.table, sample));
        printed += diff.samples.length;
        if (diff.problem) console.log(`${diff.table}: ${diff.problem}`);
        else if (diff.count > diff.samples.length) console.log(`${diff.table}: ${diff.count - diff.samples.length} more difference(s) not shown`);
      }
      const replayError = replayErrors.get(name);
      if (replayError) console.log(`${name} v${version}: ${replayError}`);
      const total = diffs.reduce((sum, d) => sum + d.count, 0);
      const broken = diffs.filter((d) => d.problem).length;
      const where = checkpoint?.position ? `up to position ${checkpoint.position}` : 'nothing applied yet';
      const notes = [
        checkpoint ? `live ${checkpoint.status}` : 'no live checkpoint',
        ...(checkpoint?.parked_position ? [`live parked at ${checkpoint.parked_position}: ${checkpoint.parked_error ?? ''}`] : []),
      ].join('; ');
      if (total === 0 && broken === 0 && !replayError) {
        console.log(`${name} v${version}: consistent, ${where} (${notes})`);
      } else {
        differing++;
        const perTable = diffs.filter((d) => d.count > 0 || d.problem).map((d) => `${d.table}: ${d.problem ?? d.count}`);
        console.log(`${name} v${version}: ${total} difference(s), ${where} (${perTable.join(', ') || 'replay incomplete'}; ${notes})`);
      }
    }
    if (differing > 0) {
      console.log(`${differing} of ${ALL_PROJECTIONS.length} read model(s) differ from a replay of the log.`);
      process.exitCode = EXIT.failure;
    } else {
      console.log(`All ${ALL_PROJECTIONS.length} read models match a replay of the log.`);
    }
  } finally {
    for (const source of sources) if (source.isInitialized) await source.destroy();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Compares `main.<table>` (the replay) with `live.<table>`, as sets of rows: the keys are
 * the primary key's columns, or the whole row for a table without one.
 */
async function compareTable(db: DataSource, table: string, limit: number): Promise<TableDiff> {
  const columns: Array<{ name: string; pk: number }> = await db.query(`PRAGMA main.table_info(${table})`);
  const liveColumns: Array<{ name: string }> = await db.query(`PRAGMA live.table_info(${table})`);
  if (liveColumns.length === 0) return { table, count: 1, samples: [], problem: 'missing in the live read store' };
  const names = columns.map((c) => c.name);
  const liveNames = liveColumns.map((c) => c.name);
  if (names.length !== liveNames.length || names.some((n) => !liveNames.includes(n))) {
    return { table, count: 1, samples: [], problem: `other columns in the live read store (${liveNames.join(', ')})` };
  }
  const pk = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
  const keys = (pk.length > 0 ? pk : names).map(quote);
  const all = names.map(quote).join(', ');
  const onlyLive = `SELECT ${all} FROM live.${table} EXCEPT SELECT ${all} FROM main.${table}`;
  const onlyReplay = `SELECT ${all} FROM main.${table} EXCEPT SELECT ${all} FROM live.${table}`;
  const differing = `SELECT ${keys.join(', ')} FROM (${onlyLive}) UNION SELECT ${keys.join(', ')} FROM (${onlyReplay})`;
  const [{ n }]: Array<{ n: number }> = await db.query(`SELECT COUNT(*) AS n FROM (${differing})`);
  if (n === 0 || limit <= 0) return { table, count: n, samples: [] };
  const sampleKeys: Row[] = await db.query(`${differing} ORDER BY ${keys.join(', ')} LIMIT ?`, [limit]);
  const match = keys.map((k) => `${k} IS ?`).join(' AND ');
  const samples = [];
  for (const key of sampleKeys) {
    const values = Object.values(key);
    const [live]: Row[] = await db.query(`SELECT ${all} FROM live.${table} WHERE ${match} LIMIT 1`, values);
    const [replay]: Row[] = await db.query(`SELECT ${all} FROM main.${table} WHERE ${match} LIMIT 1`, values);
    samples.push({ key, live: live ?? null, replay: replay ?? null });
  }
  return { table, count: n, samples };
}

function describeDifference(table: string, { key, live, replay }: TableDiff['samples'][number]): string {
  const id = Object.entries(key)
    .map(([column, value]) => `${column}=${format(value)}`)
    .join(', ');
  if (!live) return `${table} [${id}]: missing in live; replay has ${JSON.stringify(replay)}`;
  if (!replay) return `${table} [${id}]: only in live ${JSON.stringify(live)}; the replay has no such row`;
  const changed = Object.keys(replay)
    .filter((column) => live[column] !== replay[column])
    .map((column) => `${column}: live ${format(live[column])} vs replay ${format(replay[column])}`);
  return `${table} [${id}]: ${changed.join('; ')}`;
}

const format = (value: unknown): string => (value === null || value === undefined ? 'NULL' : JSON.stringify(value));
const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

// ---------------------------------------------------------------------------------------

logToStderr();
const program = new Command('projections').description(
  'Rebuild or check the read models (DATA_DIR/read.sqlite) against the event log (DATA_DIR/events.sqlite or EVENTSTORE_CONNECTION_STRING).',
);
program
  .command('rebuild')
  .description('Empties a read model and rebuilds it from the start of the log. Stop the server first.')
  .addArgument(new Argument('<name>', `the projection: ${NAMES.join(', ')}`).argParser(parseProjection))
  .addHelpText(
    'after',
    '\nRun it with the server stopped: a running server keeps feeding the same tables and checkpoint.\n' +
      'Exit codes: 0 rebuilt, 1 failed (or parked on an event), 2 bad arguments.',
  )
  .action((projection: Projection) => rebuild(projection));
program
  .command('check')
  .description(
    'Replays the log into a temporary read store, each projection up to its live checkpoint, and compares every table row by row.',
  )
  .option('--limit <n>', 'differences printed per read model', parseLimit, 20)
  .addHelpText('after', '\nSafe while the server runs (it reads a snapshot of the read store).\nExit codes: 0 consistent, 1 differences (or failure), 2 bad arguments.')
  .action((options: { limit: number }) => check(options));

function parseLimit(raw: string): number {
  if (!/^\d{1,6}$/.test(raw)) throw new InvalidArgumentError('Give a whole number, e.g. 20.');
  return Number(raw);
}

void runProgram(program);
