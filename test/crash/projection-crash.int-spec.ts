import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { generateLog } from '../../bench/projections.bench';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { auditProjection } from '../../projections/audit/audit.projection';
import { backupsProjection } from '../../projections/backups/backups.projection';
import { physicalTable } from '../../projections/projection';
import { ProjectionRunner } from '../../projections/projection-runner';
import { openReadStore } from '../../projections/read-store';

/*
 * The read models after kill -9: a child runs the backups and audit runners on a log of
 * tens of thousands of events and is killed with SIGKILL while catching up, a few batches
 * in with more to come; a second child resumes from the checkpoints to the head. Every
 * table of both projections must then equal, row for row, a replay from zero into another
 * read store: no row missing, none extra, none different, so no batch was applied twice
 * nor lost.
 */

const EVENTS = 20_000;
const BATCH_SIZE = 200;
const PROJECTIONS = [backupsProjection, auditProjection];
/** Each table with the column that identifies a row. */
const TABLES = [
  { projection: backupsProjection, table: 'backups', key: 'backup_id' },
  { projection: backupsProjection, table: 'backup_addons', key: 'addon_id' },
  { projection: auditProjection, table: 'audit', key: 'position' },
  { projection: auditProjection, table: 'audit_addons', key: 'addon_id' },
] as const;
const CHILD_TIMEOUT_MS = 30_000;

type Checkpoints = Record<string, bigint | null>;

/** `backups=812 audit=600` (a `-` before the first batch). */
function parseCheckpoints(text: string): Checkpoints {
  return Object.fromEntries(
    text
      .trim()
      .split(/\s+/)
      .map((pair) => pair.split('='))
      .map(([name, position]) => [name, position === '-' ? null : BigInt(position)]),
  );
}

class ProjectionChild {
  private output = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(dataDir: string, env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'projection-child.ts')], {
      cwd: join(__dirname, '../..'),
      env: { ...process.env, DATA_DIR: dataDir, PROJECTION_BATCH_SIZE: String(BATCH_SIZE), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-200_000));
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last committed checkpoints the child printed, or null before its first line. */
  get checkpoints(): Checkpoints | null {
    const lines = [...this.output.matchAll(/^(?:start \S+|progress) (.+)$/gm)];
    return lines.length === 0 ? null : parseCheckpoints(lines[lines.length - 1][1]);
  }

  /** Waits until `done` answers true (polling what the child printed). */
  async until(what: string, done: () => boolean): Promise<void> {
    const deadline = Date.now() + CHILD_TIMEOUT_MS;
    while (!done()) {
      if (!this.alive) throw new Error(`the child exited before ${what}:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${CHILD_TIMEOUT_MS} ms:\n${this.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  tail(): string {
    return this.output.slice(-4_000);
  }

  get text(): string {
    return this.output;
  }
}

async function checkpointsIn(db: DataSource): Promise<Checkpoints> {
  const rows: Array<{ name: string; position: string | null }> = await db.query('SELECT name, position FROM projection_checkpoints');
  return Object.fromEntries(rows.map((row) => [row.name, row.position === null ? null : BigInt(row.position)]));
}

/** Each row of `table` by its key, as JSON. */
async function rowsOf(db: DataSource, table: string, key: string): Promise<Map<string, string>> {
  const rows: Array<Record<string, unknown>> = await db.query(`SELECT * FROM ${table} ORDER BY ${key}`);
  return new Map(rows.map((row) => [String(row[key]), JSON.stringify(row)]));
}

describe('read models after kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'db-addons-projection-crash-'));
  const children: ProjectionChild[] = [];
  const open: DataSource[] = [];

  afterAll(async () => {
    for (const child of children) {
      child.kill('SIGKILL');
      await child.exited;
    }
    for (const db of open) if (db.isInitialized) await db.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes from its checkpoints and ends with the very rows of a replay from zero', async () => {
    // ---- the log ----
    const store = await SqliteEventStore.open({ file: join(dataDir, 'events.sqlite'), synchronous: 'NORMAL' });
    const log = await generateLog(store, EVENTS);
    const head = (await store.headPosition())!;
    expect(log.events).toBe(EVENTS);

    // ---- the first child, killed while catching up ----
    const killAfter = BigInt(Math.max(3 * BATCH_SIZE, EVENTS / 4));
    // Killed inside an audit batch: its rows written, its transaction not committed.
    const first = new ProjectionChild(dataDir, { PAUSE_INSIDE_BATCH_AFTER: String(killAfter) });
    children.push(first);
    await first.until('a batch in flight', () => /^in-batch /m.test(first.text));
    const inBatch = /^in-batch (\d+)-(\d+)$/m.exec(first.text)!;
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const printed = first.checkpoints!;

    // What the killed process left committed: its checkpoints, and rows up to them only.
    const afterKill = await openReadStore(join(dataDir, 'read-models.sqlite'), { migrate: false });
    open.push(afterKill);
    const killedAt = await checkpointsIn(afterKill);
    const [audit]: Array<{ n: number; last: number | null }> = await afterKill.query(
      `SELECT count(*) AS n, max(position) AS last FROM ${physicalTable('audit', auditProjection.version)}`,
    );
    await afterKill.destroy();
    console.log(
      `projection crash test: ${EVENTS} events, batches of ${BATCH_SIZE}; killed with checkpoints ` +
        `${PROJECTIONS.map((p) => `${p.name} at ${killedAt[p.name]}`).join(', ')} of ${head} ` +
        `(last printed: ${PROJECTIONS.map((p) => `${p.name} ${printed[p.name]}`).join(', ')}); ` +
        `audit rows then: ${audit.n} (last position ${audit.last})`,
    );
    for (const p of PROJECTIONS) {
      const at = killedAt[p.name]!;
      // Committed batches survive (the file may be a batch ahead of the last line printed), and more remain.
      expect(at).toBeGreaterThanOrEqual(printed[p.name]!);
      expect(at).toBeGreaterThanOrEqual(3n * BigInt(BATCH_SIZE));
      expect(at).toBeLessThan(head);
    }
    // The batch in flight wrote its rows but never committed: none of them is there.
    expect(killedAt.audit).toBe(BigInt(inBatch[1]) - 1n);
    console.log(`killed inside the audit batch ${inBatch[1]}-${inBatch[2]}`);
    // The audit has one row per event (every event here is one it handles): exactly the rows up to its checkpoint.
    expect(BigInt(audit.n)).toBe(killedAt.audit);
    expect(BigInt(audit.last ?? 0)).toBe(killedAt.audit);

    // ---- the second child resumes and catches up ----
    const second = new ProjectionChild(dataDir);
    children.push(second);
    await second.until('caught-up', () => /^caught-up /m.test(second.text));
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.text).toMatch(new RegExp(`^start ${head} backups=${killedAt.backups} audit=${killedAt.audit}$`, 'm'));

    // ---- a replay from zero into another read store ----
    const replay = await openReadStore(join(dataDir, 'replay.sqlite'));
    open.push(replay);
    const runners = PROJECTIONS.map((p) => new ProjectionRunner(p, store, replay, { batchSize: 500, idleMs: 50 }));
    await Promise.all(runners.map(async (runner) => (await runner.prepare(), runner.catchUp())));
    await store.close();

    // ---- row by row ----
    const resumed = await openReadStore(join(dataDir, 'read-models.sqlite'), { migrate: false });
    open.push(resumed);
    expect(await checkpointsIn(resumed)).toEqual({ backups: head, audit: head });
    expect(await checkpointsIn(replay)).toEqual({ backups: head, audit: head });
    const report: string[] = [];
    for (const { projection, table, key } of TABLES) {
      const name = physicalTable(table, projection.version);
      const [got, want] = [await rowsOf(resumed, name, key), await rowsOf(replay, name, key)];
      const missing = [...want.keys()].filter((k) => !got.has(k));
      const extra = [...got.keys()].filter((k) => !want.has(k));
      const different = [...want.keys()].filter((k) => got.has(k) && got.get(k) !== want.get(k));
      report.push(`${name}: ${want.size} rows, ${missing.length} missing, ${extra.length} extra, ${different.length} different`);
      expect(want.size).toBeGreaterThan(0);
      expect({ name, missing: missing.slice(0, 5), extra: extra.slice(0, 5), different: different.slice(0, 5).map((k) => [got.get(k), want.get(k)]) }).toEqual({
        name,
        missing: [],
        extra: [],
        different: [],
      });
    }
    console.log(`after the restart, against a replay from zero: ${report.join('; ')}`);
  });
});
