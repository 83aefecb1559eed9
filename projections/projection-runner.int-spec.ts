import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { backupDone, manualBackups, planChangedTo, removed, running } from '../src/addons/domain/testing/addon-fixtures';
import type { StoredEvent } from '../src/event-store/event-store.port';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store';
import { withUpcasting } from '../src/event-store/upcasting-event-store';
import { addonsProjection } from './addons/addons.projection';
import { auditProjection } from './audit/audit.projection';
import { listBackups } from './backups/backup-list.query';
import { backupsProjection } from './backups/backups.projection';
import { physicalTable, type Projection } from './projection';
import { ProjectionRunner } from './projection-runner';
import { openReadStore } from './read-store';
import { appendEvents, GivenEvent, givenEvents, onAddon, onApp, ProjectionFixture, tempFiles } from './testing/projection-spec';

const STARTER = 'postgresql-starter-512';
const BUSINESS = 'postgresql-business-512';
const AT = new Date('2025-03-05T12:00:00.000Z');

const checkpoint = async (db: DataSource, name: string, version: number) =>
  (
    await db.query('SELECT status, position, parked_position, parked_error FROM projection_checkpoints WHERE name = ? AND version = ?', [
      name,
      version,
    ])
  )[0];

describe('ProjectionRunner', () => {
  describe('a batch is one transaction; a failing event parks the projection', () => {
    const ADDON = randomUUID();
    // Positions 1..11: provisioned, running, then b1, b2, b3 (requested, started, taken each).
    const history = onAddon(ADDON, [
      ...running(STARTER, { addonId: ADDON }),
      ...backupDone('b1', '2025-03-01T08:00:00.000Z'),
      ...backupDone('b2', '2025-03-02T08:00:00.000Z'),
      ...backupDone('b3', '2025-03-03T08:00:00.000Z'),
    ]);
    // Batches of 4: [1-4], [5-8], [9-11]. The poison: b2's BackupStarted, position 7, in the second batch after
    // b1's BackupTaken (5) and b2's BackupRequested (6, an INSERT: applying it twice would break its key), before b2's BackupTaken (8).

    let fixture: ProjectionFixture;
    let broken: boolean;
    let poison: StoredEvent;
    const isPoison = (event: StoredEvent) => event.type === 'BackupStarted' && event.data.backupId === 'b2';

    beforeEach(async () => {
      broken = true;
      const fragile: Projection = {
        ...backupsProjection,
        apply: (event, tx) => (broken && isPoison(event) ? Promise.reject(new Error('boom')) : backupsProjection.apply(event, tx)),
        // A batch holding the poison event is refused whole: the runner then goes one event at a time.
        applyBatch: (events, tx) =>
          broken && events.some(isPoison) ? Promise.reject(new Error('boom')) : backupsProjection.applyBatch!(events, tx),
      };
      fixture = await givenEvents(fragile, history, { batchSize: 4 });
      [poison] = (await fixture.store.readAll()).filter(isPoison);
    });
    afterEach(() => fixture.dispose());

    const statuses = async () =>
      Object.fromEntries(
        ((await listBackups(fixture.db.manager, { backups: 'backups_v1', addons: 'backup_addons_v1' }, ADDON, AT)) ?? []).map((b) => [
          b.id,
          b.status,
        ]),
      );

    const b2 = async () => (await listBackups(fixture.db.manager, { backups: 'backups_v1', addons: 'backup_addons_v1' }, ADDON, AT))!.find((b) => b.id === 'b2');

    it('parks at the poison event: events before it in the batch are applied, none after', async () => {
      expect(poison.position).toBe(7n);
      expect(fixture.runner.state).toEqual({
        name: 'backups',
        version: 1,
        status: 'active',
        position: '6',
        parked: { position: '7', error: 'Error: boom' },
      });
      expect(await checkpoint(fixture.db, 'backups', 1)).toEqual({
        status: 'active',
        position: '6',
        parked_position: '7',
        parked_error: 'Error: boom',
      });
      // Of the batch [5-8]: b1 taken (5) and b2 requested (6) are applied, b2 neither started (7) nor taken (8).
      expect(await statuses()).toEqual({ b1: 'done', b2: 'scheduled' });
      // Parked: catching up again does nothing.
      expect(await fixture.runner.catchUp()).toBe(0);
      expect(await statuses()).toEqual({ b1: 'done', b2: 'scheduled' });
    });

    it('stays parked across a restart (the parking is in the checkpoint)', async () => {
      const again = new ProjectionRunner(fixture.runner.projection, fixture.store, fixture.db, { batchSize: 4, idleMs: 10 });
      await again.prepare();
      expect(again.state.parked).toEqual({ position: '7', error: 'Error: boom' });
      expect(again.state.position).toBe('6');
      expect(await again.catchUp()).toBe(0);
    });

    it('retry, once fixed, applies the poison event and goes on to the end', async () => {
      broken = false;
      await fixture.runner.retry();
      await fixture.runner.catchUp();
      expect(await statuses()).toEqual({ b1: 'done', b2: 'done', b3: 'done' });
      expect(await b2()).toMatchObject({ started_at: '2025-03-02T08:00:00.000Z' });
      expect(fixture.runner.state).toMatchObject({ position: '11', parked: null });
      expect(await checkpoint(fixture.db, 'backups', 1)).toEqual({ status: 'active', position: '11', parked_position: null, parked_error: null });
    });

    it('retry while still broken parks again on the same event', async () => {
      await fixture.runner.retry();
      await fixture.runner.catchUp();
      expect(fixture.runner.state.parked).toEqual({ position: '7', error: 'Error: boom' });
      expect(await statuses()).toEqual({ b1: 'done', b2: 'scheduled' });
    });

    it('skip passes over the poison event: its effect is absent, the later events are applied', async () => {
      await fixture.runner.skip();
      await fixture.runner.catchUp();
      // b2's start never happened for the read model; its BackupTaken (8) and b3 (9-11) did.
      expect(await statuses()).toEqual({ b1: 'done', b2: 'done', b3: 'done' });
      expect(await b2()).toMatchObject({ started_at: null, ended_at: '2025-03-02T08:00:00.000Z' });
      expect(fixture.runner.state).toMatchObject({ position: '11', parked: null });
      expect(await checkpoint(fixture.db, 'backups', 1)).toEqual({ status: 'active', position: '11', parked_position: null, parked_error: null });
    });
  });

  describe('rebuilding a new version', () => {
    const A = randomUUID();
    const B = randomUUID();
    const history = [
      ...onAddon(A, [...running(STARTER, { addonId: A }), ...manualBackups(12), ...planChangedTo(STARTER, BUSINESS, '2025-02-01T00:00:00.000Z')]),
      ...onAddon(B, [...running(BUSINESS, { addonId: B }), ...backupDone('b-1', '2025-03-01T01:00:00.000Z', 'periodic'), removed('2025-03-02T00:00:00.000Z', '2026-03-02T00:00:00.000Z')]),
    ];
    const V1 = { backups: 'backups_v1', addons: 'backup_addons_v1' };
    const V2 = { backups: 'backups_v2', addons: 'backup_addons_v2' };

    it('builds v2 from zero while v1 answers, then switches over to the same answers', async () => {
      const v1 = await givenEvents(backupsProjection, history, { batchSize: 5 });
      try {
        const db = v1.db;
        const before = { a: await listBackups(db.manager, V1, A, AT), b: await listBackups(db.manager, V1, B, AT) };
        expect(before.a).toHaveLength(12);
        expect(before.b).toHaveLength(1);
        // The tables a v2 migration would create: v1's, under their v2 names.
        for (const table of ['backups', 'backup_addons']) {
          const [{ sql }]: Array<{ sql: string }> = await db.query(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, [`${table}_v1`]);
          await db.query(sql.replace(`${table}_v1`, `${table}_v2`));
        }

        // Queries read through their own connection, as in the app: they see committed batches only.
        const reader = await openReadStore(v1.files.file('read.sqlite'), { migrate: false });
        const midway: Array<{ status: string; v1: unknown; v2: unknown }> = [];
        const middle = v1.ids[Math.floor(history.length / 2)];
        let runner: ProjectionRunner | undefined;
        const v2: Projection = {
          ...backupsProjection,
          version: 2,
          async apply(event, tx) {
            await this.applyBatch!([event], tx);
          },
          async applyBatch(events, tx) {
            if (events.some((event) => event.id === middle)) {
              midway.push({
                status: runner!.state.status,
                v1: await listBackups(reader.manager, V1, A, AT),
                v2: await listBackups(reader.manager, V2, A, AT),
              });
            }
            await backupsProjection.applyBatch!(events, tx);
          },
        };
        runner = new ProjectionRunner(v2, v1.store, db, { batchSize: 4, idleMs: 10 });
        await runner.prepare();
        expect(runner.state).toMatchObject({ version: 2, status: 'building', position: null });
        expect(await checkpoint(db, 'backups', 1)).toMatchObject({ status: 'active' });
        expect(await checkpoint(db, 'backups', 2)).toMatchObject({ status: 'building' });

        await runner.catchUp();

        expect(midway).toHaveLength(1);
        expect(midway[0].status).toBe('building');
        expect(midway[0].v1).toEqual(before.a); // v1 still answers in full
        expect((midway[0].v2 as unknown[]).length).toBeLessThan(12); // v2 only partly built
        expect(runner.state).toMatchObject({ version: 2, status: 'active', position: String(history.length), parked: null });
        expect(await checkpoint(db, 'backups', 1)).toMatchObject({ status: 'retired' });
        expect(await checkpoint(db, 'backups', 2)).toMatchObject({ status: 'active', position: String(history.length) });
        expect({ a: await listBackups(reader.manager, V2, A, AT), b: await listBackups(reader.manager, V2, B, AT) }).toEqual(before);
        // The retired version still answers a query that resolved its tables just before the
        // switch; it is emptied at the next start.
        expect(await listBackups(reader.manager, V1, A, AT)).toEqual(before.a);
        const restarted = new ProjectionRunner(v2, v1.store, db, { batchSize: 4, idleMs: 10 });
        await restarted.prepare();
        expect(restarted.state).toMatchObject({ version: 2, status: 'active', position: String(history.length) });
        expect(await db.query('SELECT COUNT(*) AS n FROM backups_v1')).toEqual([{ n: 0 }]);
        await reader.destroy();
      } finally {
        await v1.dispose();
      }
    });
  });

  describe('crash safety: a restart resumes from the checkpoint', () => {
    const addons = [randomUUID(), randomUUID(), randomUUID()];
    const history: GivenEvent[] = addons.flatMap((id, i) => [
      ...onApp(`app-${i}`, [{ type: 'AppCreated', data: { name: `app-${i}`, owner: 'user:alice', at: '2025-01-01T00:00:00.000Z' } }]),
      ...onAddon(id, [
        ...running(i === 1 ? BUSINESS : STARTER, { addonId: id, appName: `app-${i}` }),
        ...manualBackups(4 + i, `2025-01-0${i + 1}T08:00:00.000Z`).map((e) =>
          'backupId' in e.data ? ({ ...e, data: { ...e.data, backupId: `${id}-${e.data.backupId}` } } as typeof e) : e,
        ),
        ...(i === 2 ? [removed('2025-02-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z')] : []),
      ]),
    ]);

    const dump = async (db: DataSource) => ({
      backups: await db.query('SELECT * FROM backups_v1 ORDER BY backup_id'),
      backup_addons: await db.query('SELECT * FROM backup_addons_v1 ORDER BY addon_id'),
      audit: await db.query('SELECT * FROM audit_v1 ORDER BY position'),
      audit_addons: await db.query('SELECT * FROM audit_addons_v1 ORDER BY addon_id'),
      addons: await db.query(`SELECT * FROM ${physicalTable('addons', addonsProjection.version)} ORDER BY addon_id`),
    });

    it.each([1, 4, 7])('with batches of %i: nothing applied twice nor lost', async (batchSize) => {
      const files = tempFiles();
      const store = await SqliteEventStore.open({ file: files.file('events.sqlite') });
      const options = { batchSize, idleMs: 10 };
      const projections = [backupsProjection, auditProjection, addonsProjection];
      try {
        const half = Math.floor(history.length / 2) + 1; // an odd split: mid-batch for most sizes
        await appendEvents(store, history.slice(0, half));
        let db = await openReadStore(files.file('read.sqlite'));
        for (const p of projections) {
          const runner = new ProjectionRunner(p, store, db, options);
          await runner.prepare();
          await runner.catchUp();
          expect(runner.state.position).toBe(String(half));
        }
        await db.destroy(); // the process stops

        await appendEvents(store, history.slice(half));
        db = await openReadStore(files.file('read.sqlite')); // and starts again
        for (const p of projections) {
          const runner = new ProjectionRunner(p, store, db, options);
          await runner.prepare();
          expect(runner.state.position).toBe(String(half));
          await runner.catchUp();
          expect(runner.state.position).toBe(String(history.length));
        }

        const fresh = await openReadStore(files.file('fresh.sqlite'));
        for (const p of projections) {
          const runner = new ProjectionRunner(p, store, fresh, { batchSize: 1000, idleMs: 10 });
          await runner.prepare();
          await runner.catchUp();
        }
        const [resumed, replayed] = [await dump(db), await dump(fresh)];
        expect(resumed.audit).toHaveLength(history.length);
        expect(resumed.backups.length).toBeGreaterThan(10);
        expect(resumed.addons).toHaveLength(addons.length);
        expect(resumed).toEqual(replayed);
        await Promise.all([db.destroy(), fresh.destroy()]);
      } finally {
        await store.close();
        files.remove();
      }
    });
  });

  describe('a build from zero creates its secondary indexes once caught up', () => {
    const ADDON = randomUUID();
    const history = onAddon(ADDON, [...running(STARTER, { addonId: ADDON }), ...manualBackups(8, '2025-01-01T08:00:00.000Z')]);
    const AUDIT_INDEXES = ['audit_v1_by_actor', 'audit_v1_by_addon', 'audit_v1_by_app'];

    const indexes = async (db: DataSource) =>
      ((await db.query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_v1' AND sql IS NOT NULL ORDER BY name`)) as Array<{
        name: string;
      }>).map((r) => r.name);
    const deferred = async (db: DataSource) =>
      ((await db.query(`SELECT deferred_indexes FROM projection_checkpoints WHERE name = 'audit'`)) as Array<{ deferred_indexes: string | null }>)[0]
        ?.deferred_indexes;

    it('drops them at the start, keeps their definitions through a crash, and a query by app uses them at the end', async () => {
      const files = tempFiles();
      const store = await SqliteEventStore.open({ file: files.file('events.sqlite') });
      try {
        await appendEvents(store, history);
        let db = await openReadStore(files.file('read.sqlite'));
        expect(await indexes(db)).toEqual(AUDIT_INDEXES); // as the migration made them

        // The first process reads two batches of 3, then its store fails: it dies mid-build.
        let reads = 0;
        const failing = new Proxy(store, {
          get: (target, prop) =>
            prop === 'readAll'
              ? (...args: Parameters<typeof store.readAll>) => (++reads > 2 ? Promise.reject(new Error('gone')) : target.readAll(...args))
              : Reflect.get(target, prop, target),
        });
        const first = new ProjectionRunner(auditProjection, failing, db, { batchSize: 3, idleMs: 10 });
        await first.prepare();
        expect(await indexes(db)).toEqual([]);
        await expect(first.catchUp()).rejects.toThrow('gone');
        expect(first.state.position).toBe('6');
        await db.destroy();

        // The next one resumes at 6 with the definitions still pending, and builds them once caught up.
        db = await openReadStore(files.file('read.sqlite'));
        expect(JSON.parse((await deferred(db))!)).toHaveLength(3);
        const second = new ProjectionRunner(auditProjection, store, db, { batchSize: 3, idleMs: 10 });
        await second.prepare();
        expect(second.state.position).toBe('6');
        await second.catchUp();
        expect(second.state.position).toBe(String(history.length));
        expect(await indexes(db)).toEqual(AUDIT_INDEXES);
        expect(await deferred(db)).toBeNull();
        const plan: Array<{ detail: string }> = await db.query(`EXPLAIN QUERY PLAN SELECT * FROM audit_v1 WHERE app = ? ORDER BY position`, ['app']);
        expect(plan.map((p) => p.detail).join(' ')).toContain('audit_v1_by_app');
        expect(await db.query('SELECT count(*) AS n FROM audit_v1')).toEqual([{ n: history.length }]);

        // Later batches go into indexed tables: nothing drops them again.
        await appendEvents(store, onAddon(ADDON, manualBackups(1, '2025-02-01T08:00:00.000Z')));
        await second.catchUp();
        expect(await indexes(db)).toEqual(AUDIT_INDEXES);
        await db.destroy();
      } finally {
        await store.close();
        files.remove();
      }
    });
  });

  describe('an event this build cannot read parks the projection on it', () => {
    const ADDON = randomUUID();
    it('applies what comes before it, parks there with the reason, and a skip passes over that one event only', async () => {
      const files = tempFiles();
      const raw = await SqliteEventStore.open({ file: files.file('events.sqlite') });
      const store = withUpcasting(raw);
      try {
        await appendEvents(raw, [
          ...onAddon(ADDON, [...running(STARTER, { addonId: ADDON }), ...backupDone('b1', '2025-03-01T08:00:00.000Z')]),
          // Stored at version 1 with a replica no upcaster can read.
          { stream: `addon-${ADDON}`, type: 'BackupTaken', data: { backupId: 'b1', sizeBytes: 1, checksum: 'sha256:00', replicas: ['nowhere'], at: '2025-03-01T09:00:00.000Z' }, schemaVersion: 1 },
          ...onAddon(ADDON, backupDone('b2', '2025-03-02T08:00:00.000Z')),
        ]);
        const db = await openReadStore(files.file('read.sqlite'));
        const runner = new ProjectionRunner(auditProjection, store, db, { batchSize: 50, idleMs: 10 });
        await runner.prepare();
        await runner.catchUp();
        expect(runner.state.parked).toEqual({ position: '6', error: expect.stringContaining('Cannot read BackupTaken stored at schema version 1') });
        expect(runner.state.position).toBe('5');
        expect(await db.query('SELECT count(*) AS n FROM audit_v1')).toEqual([{ n: 5 }]);
        expect(await checkpoint(db, 'audit', 1)).toMatchObject({ position: '5', parked_position: '6' });

        await runner.skip();
        await runner.catchUp();
        expect(runner.state).toMatchObject({ position: '9', parked: null });
        expect((await db.query('SELECT position FROM audit_v1 ORDER BY position')).map((r: { position: number }) => r.position)).toEqual([1, 2, 3, 4, 5, 7, 8, 9]);
        await db.destroy();
      } finally {
        await raw.close();
        files.remove();
      }
    });
  });
});
