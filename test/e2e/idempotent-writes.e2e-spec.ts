import { join } from 'node:path';
import { SqliteConnection } from '../../src/event-store/sqlite/sqlite-connection';
import { AppFixture } from './app-fixture';
import { describeEvents, expectError, Scenario, typesByStream } from './scenario';

/**
 * Idempotency-Key on the add-on writes (the tokens route has its own suite): a retry
 * answers the first answer (status, body, Location, X-Event-Position) and appends nothing;
 * the same key for another request is 422 IDEMPOTENCY.KEY_REUSED.
 */
describe('Idempotency-Key on add-on writes (over HTTP)', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  let alice: string;
  let bob: string;
  let pg = '';
  let mysql = '';

  beforeAll(async () => {
    // Webhooks may target loopback here; nothing is delivered (their deliveries are not under test).
    await fixture.start({ WEBHOOK_ALLOWED_RANGES: 'loopback', WEBHOOKS: 'off' });
    alice = await s.token('owner', 'alice');
    bob = await s.token('owner', 'bob');
    await s.createApp(alice, 'shop');
    await s.createApp(bob, 'bobs');
    pg = await s.runningAddon(alice, 'shop', 'postgresql', 'postgresql-starter-512');
    mysql = await s.runningAddon(alice, 'shop', 'mysql', 'mysql-starter-256');
  });
  afterAll(() => fixture.dispose());

  const key = (value: string) => ({ headers: { 'Idempotency-Key': value } });
  const backups = (id: string) => `/v1/apps/shop/addons/${id}/backups`;

  describe('POST …/backups (manual backup)', () => {
    it('answers a retry with the first answer (202, body, Location, X-Event-Position), and requests one backup', async () => {
      const before = await s.head();
      const first = await s.call(alice, 'POST', backups(pg), key('backup-2026-11-21'));
      expect(first.status).toBe(202);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const retry = await s.call(alice, 'POST', backups(pg), key('backup-2026-11-21'));
      expect(retry.status).toBe(202);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.location).toBe(first.headers.location);
      expect(retry.headers.location).toBe(`${backups(pg)}/${first.body.backup.id}`);
      expect(retry.headers['x-event-position']).toBe(first.headers['x-event-position']);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(describeEvents(await s.since(before))).toEqual([`addon-${pg} BackupRequested`]);

      // Still the first answer once the backup is done, and still nothing appended.
      const backupId = first.body.backup.id;
      await s.platform(pg, { type: 'CompleteBackup', data: { backupId, sizeBytes: 10, checksum: 'c', replicas: [{ site: 'dc-primary', path: `/${pg}/${backupId}.dump.gz` }] } });
      const done = await s.head();
      const later = await s.call(alice, 'POST', backups(pg), key('backup-2026-11-21'));
      expect([later.status, later.body]).toEqual([202, first.body]);
      expect(await s.head()).toBe(done);
      const list = (await s.call(alice, 'GET', backups(pg))).body.backups;
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ id: backupId, status: 'done' });
    });

    it('runs concurrent retries once: one fresh 202, the others its replay or 409 IDEMPOTENCY.IN_PROGRESS', async () => {
      const before = await s.head();
      const responses = await Promise.all([1, 2, 3, 4, 5, 6].map(() => s.call(alice, 'POST', backups(mysql), key('burst-backup'))));
      const fresh = responses.filter((r) => r.status === 202 && r.headers['idempotent-replayed'] === undefined);
      expect(fresh).toHaveLength(1);
      for (const response of responses) {
        if (response.status === 409) expectError(response, 409, 'IDEMPOTENCY.IN_PROGRESS');
        else expect([response.status, response.body, response.headers.location]).toEqual([202, fresh[0].body, fresh[0].headers.location]);
      }
      expect(describeEvents(await s.since(before))).toEqual([`addon-${mysql} BackupRequested`]);
    });

    it('answers 422 IDEMPOTENCY.KEY_REUSED for the key on another add-on, or with a body, and writes nothing', async () => {
      const before = await s.head();
      expectError(await s.call(alice, 'POST', backups(mysql), key('backup-2026-11-21')), 422, 'IDEMPOTENCY.KEY_REUSED');
      expectError(await s.call(alice, 'POST', backups(pg), { ...key('backup-2026-11-21'), body: { note: 'x' } }), 422, 'IDEMPOTENCY.KEY_REUSED');
      expect(await s.head()).toBe(before);
    });

    it('replays a refusal too: the retry of a 409 is the same 409, even once the backup could run', async () => {
      // mysql has a backup in flight (the burst above): a new one is refused.
      const first = await s.call(alice, 'POST', backups(mysql), key('refused-backup'));
      expectError(first, 409, 'BACKUP.ALREADY_IN_PROGRESS');
      const inFlight = (await s.call(alice, 'GET', backups(mysql))).body.backups[0].id;
      await s.platform(mysql, { type: 'FailBackup', data: { backupId: inFlight, reason: 'disk full' } });
      const before = await s.head();
      const retry = await s.call(alice, 'POST', backups(mysql), key('refused-backup'));
      expect([retry.status, retry.body, retry.headers['idempotent-replayed']]).toEqual([409, first.body, 'true']);
      expect(await s.head()).toBe(before);
      // Without the key, it runs.
      expect((await s.call(alice, 'POST', backups(mysql))).status).toBe(202);
    });
  });

  describe('POST /v1/apps/:app/addons (provision)', () => {
    it('answers a retry with the first answer (201, same add-on, Location), attaching and provisioning once', async () => {
      const body = { addon_provider_id: 'redis', plan_id: 'redis-starter-256' };
      const before = await s.head();
      const first = await s.call(alice, 'POST', '/v1/apps/shop/addons', { body, ...key('provision-redis') });
      expect(first.status).toBe(201);
      // The same body with its keys in another order is the same request.
      const retry = await s.call(alice, 'POST', '/v1/apps/shop/addons', { body: { plan_id: 'redis-starter-256', addon_provider_id: 'redis' }, ...key('provision-redis') });
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.location).toBe(first.headers.location);
      expect(retry.headers.location).toBe(`/v1/apps/shop/addons/${first.body.addon.id}`);
      expect(retry.headers['x-event-position']).toBe(first.headers['x-event-position']);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      const id = first.body.addon.id;
      expect(describeEvents(await s.since(before))).toEqual(['app-shop AddonAttached', `addon-${id} AddonProvisioned`]);
      const app = (await s.call(alice, 'GET', '/v1/apps/shop')).body.app;
      expect(app.addon_ids.sort()).toEqual([pg, mysql, id].sort());
    });

    it('answers 422 IDEMPOTENCY.KEY_REUSED for the same key with another body, and writes nothing', async () => {
      const before = await s.head();
      const response = await s.call(alice, 'POST', '/v1/apps/shop/addons', {
        body: { addon_provider_id: 'redis', plan_id: 'redis-starter-512' },
        ...key('provision-redis'),
      });
      expectError(response, 422, 'IDEMPOTENCY.KEY_REUSED');
      expect(response.body.error.details).toEqual({});
      const otherType = await s.call(alice, 'POST', '/v1/apps/shop/addons', {
        body: { addon_provider_id: 'mongodb', plan_id: 'mongodb-sandbox' },
        ...key('provision-redis'),
      });
      expectError(otherType, 422, 'IDEMPOTENCY.KEY_REUSED');
      expect(await s.head()).toBe(before);
    });

    it("keeps keys per caller: bob's same key on his own app provisions his own add-on", async () => {
      const before = await s.head();
      const response = await s.call(bob, 'POST', '/v1/apps/bobs/addons', {
        body: { addon_provider_id: 'redis', plan_id: 'redis-starter-256' },
        ...key('provision-redis'),
      });
      expect(response.status).toBe(201);
      expect(response.headers['idempotent-replayed']).toBeUndefined();
      expect(describeEvents(await s.since(before))).toEqual(['app-bobs AddonAttached', `addon-${response.body.addon.id} AddonProvisioned`]);
    });

    it('runs concurrent retries once', async () => {
      const body = { addon_provider_id: 'elasticsearch', plan_id: 'elasticsearch-sandbox' };
      const before = await s.head();
      const responses = await Promise.all([1, 2, 3, 4, 5].map(() => s.call(alice, 'POST', '/v1/apps/shop/addons', { body, ...key('provision-es') })));
      const fresh = responses.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
      expect(fresh).toHaveLength(1);
      for (const response of responses) {
        if (response.status === 409) expectError(response, 409, 'IDEMPOTENCY.IN_PROGRESS');
        else expect([response.status, response.body]).toEqual([201, fresh[0].body]);
      }
      expect(describeEvents(await s.since(before))).toEqual(['app-shop AddonAttached', `addon-${fresh[0].body.addon.id} AddonProvisioned`]);
    });
  });

  describe('other writes', () => {
    it('PATCH: the retry of an accepted plan change replays the 202 (not a 409 for the change it started)', async () => {
      const path = `/v1/apps/shop/addons/${pg}`;
      const before = await s.head();
      const first = await s.call(alice, 'PATCH', path, { body: { plan_id: 'postgresql-starter-1024' }, ...key('plan-1024') });
      expect(first.status).toBe(202);
      const retry = await s.call(alice, 'PATCH', path, { body: { plan_id: 'postgresql-starter-1024' }, ...key('plan-1024') });
      expect([retry.status, retry.body, retry.headers.location]).toEqual([202, first.body, first.headers.location]);
      expect(describeEvents(await s.since(before))).toEqual([`addon-${pg} PlanChanged`]);
      await s.platform(pg, { type: 'RecordRestart', data: { downtimeSeconds: 1 } });
    });

    it('DELETE: the retry of a deprovision replays the 200 rather than a 404, and removes once', async () => {
      const redis = (await s.call(alice, 'GET', '/v1/apps/shop/addons')).body.addons.find(
        (a: { addon_provider: { id: string } }) => a.addon_provider.id === 'redis',
      ).id;
      await s.completeProvisioning(redis);
      const path = `/v1/apps/shop/addons/${redis}`;
      const before = await s.head();
      const first = await s.call(alice, 'DELETE', path, key('remove-redis'));
      expect(first.status).toBe(200);
      const retry = await s.call(alice, 'DELETE', path, key('remove-redis'));
      expect([retry.status, retry.body]).toEqual([200, first.body]);
      expect(typesByStream(describeEvents(await s.since(before)))).toEqual({
        [`addon-${redis}`]: ['AddonDeprovisioned'],
        'app-shop': ['AppVariablesUnset', 'AddonDetached'],
      });
    });

    it('POST /v1/apps: the retry answers the same 201, not 409 APP.ALREADY_EXISTS', async () => {
      const first = await s.call(alice, 'POST', '/v1/apps', { body: { name: 'shop-two' }, ...key('create-shop-two') });
      expect(first.status).toBe(201);
      const retry = await s.call(alice, 'POST', '/v1/apps', { body: { name: 'shop-two' }, ...key('create-shop-two') });
      expect([retry.status, retry.body, retry.headers.location]).toEqual([201, first.body, '/v1/apps/shop-two']);
      expect(await s.stream('app-shop-two')).toHaveLength(1);
    });
  });
  describe('a keyed request run again after its answer was lost', () => {
    // What a process that dies after the handler wrote, and before it kept the answer,
    // leaves behind once the key's lease has passed: the key held by nobody, no answer.
    async function loseAnswers(): Promise<void> {
      const db = await SqliteConnection.open(join(fixture.dataDir, 'http.sqlite'));
      try {
        await db.exec('PRAGMA busy_timeout = 5000');
        await db.run(`UPDATE idempotency_records SET state = 'running', answer = NULL, lease_until = 0`);
      } finally {
        await db.close();
      }
    }
    let lost = '';
    beforeAll(async () => {
      await s.createApp(alice, 'lost');
      lost = await s.runningAddon(alice, 'lost', 'postgresql', 'postgresql-starter-512');
    });

    it('POST …/backups runs again into the same backup: the same 202 and Location, one BackupRequested', async () => {
      const before = await s.head();
      const first = await s.call(alice, 'POST', `/v1/apps/lost/addons/${lost}/backups`, key('lost-backup'));
      expect(first.status).toBe(202);
      await loseAnswers();
      const again = await s.call(alice, 'POST', `/v1/apps/lost/addons/${lost}/backups`, key('lost-backup'));
      expect(again.headers['idempotent-replayed']).toBeUndefined(); // it ran, it was not replayed
      expect([again.status, again.body.backup, again.headers.location]).toEqual([202, first.body.backup, first.headers.location]);
      expect(describeEvents(await s.since(before))).toEqual([`addon-${lost} BackupRequested`]);
    });

    it('POST …/addons runs again into the same add-on: attached and provisioned once', async () => {
      const body = { addon_provider_id: 'redis', plan_id: 'redis-starter-256' };
      const before = await s.head();
      const first = await s.call(alice, 'POST', '/v1/apps/lost/addons', { body, ...key('lost-provision') });
      expect(first.status).toBe(201);
      await loseAnswers();
      const again = await s.call(alice, 'POST', '/v1/apps/lost/addons', { body, ...key('lost-provision') });
      expect([again.status, again.body.addon.id, again.headers.location]).toEqual([201, first.body.addon.id, first.headers.location]);
      expect(describeEvents(await s.since(before))).toEqual(['app-lost AddonAttached', `addon-${first.body.addon.id} AddonProvisioned`]);
    });

    it('POST /v1/webhooks runs again into the same webhook, showing the secret it was made with', async () => {
      const body = { url: 'http://127.0.0.1:9/lost', event_types: ['BackupTaken'] };
      const before = await s.head();
      const first = await s.call(alice, 'POST', '/v1/webhooks', { body, ...key('lost-webhook') });
      expect([first.status, first.body.error]).toEqual([201, undefined]);
      expect(first.body.secret).toMatch(/^whsec_/);
      await loseAnswers();
      const again = await s.call(alice, 'POST', '/v1/webhooks', { body, ...key('lost-webhook') });
      expect([again.status, again.body]).toEqual([201, first.body]);
      expect(describeEvents(await s.since(before))).toEqual([`webhook-${first.body.webhook.id} WebhookCreated`]);
    });
  });
});
