import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { ALL_PROJECTIONS } from '../../projections';
import { backupsProjection } from '../../projections/backups/backups.projection';
import { ProjectionRunner } from '../../projections/projection-runner';
import { openReadStore } from '../../projections/read-store';
import { appendEvents, GivenEvent, onAddon, onApp, tempFiles } from '../../projections/testing/projection-spec';
import {
  ADDON_ID,
  APP,
  backupDone,
  backupFailed,
  CONNECTION,
  PLAN_OF,
  planChangedTo,
  provisioned,
  running,
} from '../../src/addons/domain/testing/addon-fixtures';
import type { StoredEvent } from '../../src/event-store/event-store.port';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';

/**
 * The support CLIs (`npm run audit`, `npm run projections`) run as the staff runs them: a
 * child process through ts-node, DATA_DIR pointing to a temp folder holding a real
 * embedded event store and a read store built by the projection runners, as a server
 * would have left them.
 */

const ROOT = join(__dirname, '..', '..');
const TS_NODE = require.resolve('ts-node/dist/bin.js');
/** Sealed password material in AddonProvisioned: must never reach any output. */
const SECRET = 'S3CRET-MARKER-never-printed';
const OTHER_ADDON = 'ad-9c2e7d40';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(name: 'audit' | 'projections', args: string[], dataDir: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TS_NODE, '--transpile-only', `src/cli/${name}.cli.ts`, ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, EVENTSTORE_CONNECTION_STRING: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const at = (day: string) => `2025-${day}T00:00:00.000Z`;
const STARTER = PLAN_OF.starter;
const BUSINESS = PLAN_OF.business;

/** The add-on's history: provisioned by alice, backups by the scheduler, a plan change and a manual backup by bob. */
const HISTORY: GivenEvent[] = [
  ...onApp(APP, [{ type: 'AppCreated', data: { name: APP, owner: 'user:alice', at: at('01-01') } }]),
  ...onAddon(
    ADDON_ID,
    running(STARTER, { connection: { ...CONNECTION, password: { iv: SECRET, ciphertext: SECRET, tag: SECRET } } }),
    { actor: 'user:alice' },
  ),
  ...onApp(APP, [{ type: 'AddonAttached', data: { addonId: ADDON_ID, providerId: 'postgresql', at: at('01-01') } }]),
  ...onAddon(OTHER_ADDON, [provisioned(STARTER, { addonId: OTHER_ADDON, resourceId: 'other-1', appName: 'other-app' })]),
  ...onAddon(ADDON_ID, backupDone('b1', at('01-10'), 'periodic'), { actor: 'platform:scheduler' }),
  ...onAddon(OTHER_ADDON, backupDone('o1', at('01-10'), 'periodic'), { actor: 'platform:scheduler' }),
  ...onAddon(ADDON_ID, backupFailed('b2', at('01-11'), 'periodic'), { actor: 'platform:scheduler' }),
  ...onAddon(ADDON_ID, planChangedTo(STARTER, BUSINESS, at('02-01')), { actor: 'user:bob' }),
  ...onAddon(ADDON_ID, backupDone('b3', at('02-02'), 'manual'), { actor: 'user:bob' }),
];
/** Appended after the read models stopped: the live ones are behind the log's head. */
const LATER: GivenEvent[] = onAddon(ADDON_ID, [{ type: 'FeatureEnabled', data: { feature: 'force-tls', at: at('03-01') } }], {
  actor: 'user:bob',
});

const files = tempFiles('db-addons-cli-');
let addonEvents: StoredEvent[];
let planChange: StoredEvent;
/** The backups read model as the server left it. */
let pristine: Awaited<ReturnType<typeof backupsTables>>;

const rowsOf = async (db: DataSource, table: string, key: string) => db.query(`SELECT * FROM ${table} ORDER BY ${key}`);
async function backupsTables(file: string) {
  const db = await openReadStore(file, { migrate: false });
  try {
    return { backups: await rowsOf(db, 'backups_v1', 'backup_id'), addons: await rowsOf(db, 'backup_addons_v1', 'addon_id') };
  } finally {
    await db.destroy();
  }
}

beforeAll(async () => {
  const store = await SqliteEventStore.open({ file: files.file('events.sqlite') });
  await appendEvents(store, HISTORY);
  // The read models as the server leaves them, then events it has not projected yet.
  const db = await openReadStore(files.file('read.sqlite'));
  for (const projection of ALL_PROJECTIONS) {
    const runner = new ProjectionRunner(projection, store, db, { batchSize: 3, idleMs: 10 });
    await runner.prepare();
    await runner.catchUp();
  }
  await db.destroy();
  pristine = await backupsTables(files.file('read.sqlite'));
  await appendEvents(store, LATER);
  addonEvents = await store.readStream(`addon-${ADDON_ID}`);
  planChange = addonEvents.find((e) => e.type === 'PlanChanged')!;
  await store.close();
});

afterAll(() => files.remove());

describe('npm run audit -- replay', () => {
  let full: Run, beforePlanChange: Run, json: Run, unknown: Run;
  const lastPositionBeforePlanChange = () => addonEvents[addonEvents.indexOf(planChange) - 1].position.toString();

  beforeAll(async () => {
    // Read-only: the four runs share the store at once.
    [full, beforePlanChange, json, unknown] = await Promise.all([
      cli('audit', ['replay', ADDON_ID], files.dir),
      cli('audit', ['replay', ADDON_ID, '--at', lastPositionBeforePlanChange()], files.dir),
      cli('audit', ['replay', ADDON_ID, '--json'], files.dir),
      cli('audit', ['replay', 'ad-does-not-exist'], files.dir),
    ]);
  });

  it('prints every step of the add-on, in order, with its position, actor and action, then its state now', () => {
    expect(full.code).toBe(0);
    const [steps, state] = full.stdout.split('\n\n');
    const lines = steps.trim().split('\n');
    expect(lines).toHaveLength(addonEvents.length);
    lines.forEach((line, i) => {
      const event = addonEvents[i];
      expect(line).toMatch(new RegExp(`^\\s*${event.position}\\s+\\S+\\s+${event.metadata.actor}\\s+${event.type}\\s+\\S`));
    });
    expect(lines[0]).toContain(`provisioned on plan ${STARTER}`);
    expect(state).toMatch(new RegExp(`State after ${addonEvents.length} of ${addonEvents.length} events`));
    expect(state).toMatch(/status\s+running/);
    expect(state).toMatch(new RegExp(`plan\\s+${BUSINESS} \\(business`));
    expect(state).toMatch(/backups\s+3 \(2 done, 1 error\)/);
    expect(state).toMatch(/nodes\s+my-app-3030-db-1 \(leader, up\), my-app-3030-db-2 \(standby, up\)/);
  });

  it('stops at --at and shows the add-on as it was then (before the plan change)', () => {
    expect(beforePlanChange.code).toBe(0);
    const [steps, state] = beforePlanChange.stdout.split('\n\n');
    const lines = steps.trim().split('\n');
    expect(lines).toHaveLength(addonEvents.indexOf(planChange));
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^\\s*${lastPositionBeforePlanChange()}\\s.*BackupFailed`));
    expect(beforePlanChange.stdout).not.toContain('PlanChanged');
    expect(state).toMatch(new RegExp(`plan\\s+${STARTER} \\(starter`));
    expect(state).toMatch(/backups\s+2 \(1 done, 1 error\)/);
  });

  it('prints one JSON step per line with --json', () => {
    expect(json.code).toBe(0);
    const steps = json.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(steps.map((s) => [s.position, s.actor, s.action])).toEqual(
      addonEvents.map((e) => [e.position.toString(), e.metadata.actor, e.type]),
    );
    expect(steps[steps.length - 1].state).toMatchObject({ status: 'running', plan: { id: BUSINESS } });
    expect(steps[steps.indexOf(steps.find((s) => s.action === 'PlanChanged')) - 1].state.plan.id).toBe(STARTER);
  });

  it('exits 1 with a clear message for an unknown add-on', () => {
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('Unknown add-on ad-does-not-exist');
  });

  it('never prints the sealed password', () => {
    for (const run of [full, beforePlanChange, json, unknown]) expect(run.stdout + run.stderr).not.toContain(SECRET);
  });
});

describe('npm run projections', () => {
  it('check: consistent read models (behind the log) exit 0; a tampered row exits 1 and is named', async () => {
    const ok = await cli('projections', ['check'], files.dir);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^backups v1: consistent, up to position \d+/m);
    expect(ok.stdout).toMatch(/^audit v1: consistent, up to position \d+/m);

    const db = await openReadStore(files.file('read.sqlite'), { migrate: false });
    await db.query(`UPDATE backups_v1 SET status = 'running' WHERE backup_id = 'b1'`);
    await db.destroy();

    const tampered = await cli('projections', ['check'], files.dir);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain('backups_v1 [backup_id="b1"]: status: live "running" vs replay "done"');
    expect(tampered.stdout).toMatch(/^backups v1: 1 difference\(s\)/m);
    expect(tampered.stdout).toMatch(/^audit v1: consistent/m);
  });

  it('rebuild backups: the tables come back equal to before the tampering, and to a fresh replay', async () => {
    const run = await cli('projections', ['rebuild', 'backups'], files.dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Rebuilt backups v1 \(active\): \d+ events read up to position \d+ in [\d.]+ s, \d+ events\/s\./);
    const after = await backupsTables(files.file('read.sqlite'));
    expect(after).toEqual(pristine);
    expect(after.backups.map((b: { backup_id: string; status: string }) => [b.backup_id, b.status])).toEqual([
      ['b1', 'done'],
      ['b2', 'error'],
      ['b3', 'done'],
      ['o1', 'done'],
    ]);

    // A fresh replay of the whole log, in this process.
    const fresh = tempFiles('db-addons-cli-fresh-');
    const store = await SqliteEventStore.open({ file: files.file('events.sqlite') });
    const db = await openReadStore(fresh.file('read.sqlite'));
    const runner = new ProjectionRunner(backupsProjection, store, db, { batchSize: 100, idleMs: 10 });
    await runner.prepare();
    await runner.catchUp();
    const head = await store.headPosition();
    await db.destroy();
    await store.close();
    expect(after).toEqual(await backupsTables(fresh.file('read.sqlite')));
    fresh.remove();

    // Caught up to the log's head now, not parked.
    const live = await openReadStore(files.file('read.sqlite'), { migrate: false });
    const [checkpoint] = await live.query(`SELECT position, parked_position FROM projection_checkpoints WHERE name = 'backups'`);
    await live.destroy();
    expect(checkpoint).toEqual({ position: String(head), parked_position: null });
  });

  it('rebuild refuses an unknown projection with the list of names (exit 2)', async () => {
    const run = await cli('projections', ['rebuild', 'nope'], files.dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unknown projection "nope"\. The projections are: .*\bbackups\b/);
  });
});
