import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { tokenStream } from '../../src/security/token.service';
import { ADMIN_TOKEN, AppFixture } from './app-fixture';
import { CallOptions, describeEvents, expectError, failingFields, Method, Scenario, typesByStream } from './scenario';

/**
 * Every write endpoint of the API over HTTP: what each answers, and which events it
 * appends, to which streams, in which order. The tests of one describe share the apps and
 * add-ons they create and run in order.
 */
describe('The write API over HTTP: answers and the events they append', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);

  let alice: string; // owner of "shop"
  let bob: string; // owner of "bobs"
  let support: string;
  let platform: string;
  let admin2: string;

  /** Ids of alice's add-ons on "shop". */
  const ids = { pg: '', redis: '', mysql: '', mongo: '', es: '' };
  const addonPath = (id: string, app = 'shop') => `/v1/apps/${app}/addons/${id}`;
  const addonStream = (id: string) => `addon-${id}`;

  beforeAll(async () => {
    await fixture.start();
    alice = await s.token('owner', 'alice');
    bob = await s.token('owner', 'bob');
    support = await s.token('support', 'sam');
    platform = await s.token('platform', 'monitoring');
    admin2 = await s.token('admin', 'second-admin');
  });
  afterAll(() => fixture.dispose());

  /**
   * Makes a call expected to succeed with `status`; returns the answer and the events it
   * appended (`<stream> <type>`), and checks X-Event-Position names the last of them.
   */
  async function write(token: string, method: Method, path: string, status: number, options: CallOptions = {}) {
    const before = await s.head();
    const response = await s.call(token, method, path, options);
    if (response.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${response.status} ${response.text}`);
    const appended = await s.since(before);
    // Checked at the end, for every write at once (see "X-Event-Position" below).
    const expected = appended.length > 0 ? appended[appended.length - 1].position.toString() : undefined;
    if (response.headers['x-event-position'] !== expected) {
      positions.push(`${method} ${path.replace(/[0-9a-f-]{36}/g, ':id')}: X-Event-Position ${response.headers['x-event-position']}, last event ${expected}`);
    }
    return { response, body: response.body, events: describeEvents(appended) };
  }
  const positions: string[] = [];

  /** Makes a call expected to be refused with `status` and `code`, and checks it wrote nothing. */
  async function refused(token: string | null, method: Method, path: string, status: number, code: string, options: CallOptions = {}) {
    const before = await s.head();
    const response = await s.call(token, method, path, options);
    expectError(response, status, code);
    expect(await s.head()).toBe(before);
    expect(response.headers['x-event-position']).toBeUndefined();
    return response;
  }

  const addonOf = async (id: string, token = alice) => (await s.call(token, 'GET', addonPath(id))).body.addon;
  const variablesOf = async (token: string, app = 'shop') => {
    const response = await s.call(token, 'GET', `/v1/apps/${app}/variables`);
    expect(response.status).toBe(200);
    return Object.fromEntries((response.body.variables as Array<{ name: string; value: string }>).map((v) => [v.name, v.value]));
  };

  describe('POST /v1/tokens', () => {
    it('issues a token (201) and appends TokenIssued to the stream named by its hash', async () => {
      const { body, events } = await write(ADMIN_TOKEN, 'POST', '/v1/tokens', 201, { body: { role: 'owner', subject: 'carol' } });
      expect(body).toEqual({
        token: { role: 'owner', subject: 'carol', created_at: expect.any(String), value: expect.stringMatching(/^dba_/) },
      });
      expect(events).toEqual([`${tokenStream(body.token.value)} TokenIssued`]);
      // Another admin may issue too.
      await write(admin2, 'POST', '/v1/tokens', 201, { body: { role: 'support', subject: 'sue' } });
    });

    it('refuses every other role (403), no token (401), and lists every failing field (400)', async () => {
      for (const token of [alice, support, platform]) {
        await refused(token, 'POST', '/v1/tokens', 403, 'AUTH.FORBIDDEN', { body: { role: 'owner', subject: 'x' } });
      }
      await refused(null, 'POST', '/v1/tokens', 401, 'AUTH.MISSING_TOKEN', { body: { role: 'owner', subject: 'x' } });
      const bad = await refused(ADMIN_TOKEN, 'POST', '/v1/tokens', 400, 'VALIDATION.FAILED', {
        body: { role: 'root', subject: '', ttl: 3600, scopes: ['all'] },
      });
      expect(failingFields(bad)).toEqual(['role', 'scopes', 'subject', 'ttl']);
    });
  });

  describe('POST /v1/apps and the reads of apps', () => {
    it('creates an app (201, Location) and appends AppCreated to app-<name>', async () => {
      const { response, body, events } = await write(alice, 'POST', '/v1/apps', 201, { body: { name: 'shop' } });
      expect(body).toEqual({
        app: { id: 'shop', name: 'shop', owner: 'alice', created_at: expect.any(String), addon_ids: [] },
      });
      expect(response.headers.location).toBe('/v1/apps/shop');
      expect(events).toEqual(['app-shop AppCreated']);
      expect((await s.stream('app-shop'))[0]).toMatchObject({
        data: { name: 'shop', owner: 'alice' },
        metadata: { actor: 'owner:alice', schemaVersion: 1 },
      });
      await write(bob, 'POST', '/v1/apps', 201, { body: { name: 'bobs' } });
    });

    it('refuses a taken name (409 APP.ALREADY_EXISTS), whoever asks, and writes nothing', async () => {
      await refused(alice, 'POST', '/v1/apps', 409, 'APP.ALREADY_EXISTS', { body: { name: 'shop' } });
      await refused(bob, 'POST', '/v1/apps', 409, 'APP.ALREADY_EXISTS', { body: { name: 'shop' } });
    });

    it('lists every failing field of a bad body, unknown ones included (400)', async () => {
      const response = await refused(alice, 'POST', '/v1/apps', 400, 'VALIDATION.FAILED', {
        body: { name: 'Not A Name!', region: 'eu', owner: { id: 'bob' } },
      });
      expect(failingFields(response)).toEqual(['name', 'owner', 'region']);
      expect(failingFields(await refused(alice, 'POST', '/v1/apps', 400, 'VALIDATION.FAILED', { body: {} }))).toEqual(['name']);
      expect(failingFields(await refused(alice, 'POST', '/v1/apps', 400, 'VALIDATION.FAILED', { body: { name: 42 } }))).toEqual(['name']);
    });

    it('shows an owner their own apps only; support and the platform see them all', async () => {
      const names = async (token: string) =>
        ((await s.call(token, 'GET', '/v1/apps')).body.apps as Array<{ name: string }>).map((a) => a.name).sort();
      expect(await names(alice)).toEqual(['shop']);
      expect(await names(bob)).toEqual(['bobs']);
      expect(await names(support)).toEqual(['bobs', 'shop']);
      expect(await names(platform)).toEqual(['bobs', 'shop']);
      const one = await s.call(support, 'GET', '/v1/apps/shop');
      expect(one.status).toBe(200);
      expect(one.body.app).toMatchObject({ id: 'shop', owner: 'alice' });
    });
  });

  describe('GET /v1/addon-providers', () => {
    it('serves the catalogue to every role', async () => {
      for (const token of [alice, support, platform, ADMIN_TOKEN]) {
        const response = await s.call(token, 'GET', '/v1/addon-providers');
        expect(response.status).toBe(200);
        const types = (response.body.addon_providers as Array<{ id: string }>).map((p) => p.id);
        expect(types).toEqual(expect.arrayContaining(['postgresql', 'mysql', 'mongodb', 'redis', 'elasticsearch', 'influxdb']));
      }
      const { body } = await s.call(alice, 'GET', '/v1/addon-providers');
      const pg = body.addon_providers.find((p: { id: string }) => p.id === 'postgresql');
      expect(pg).toMatchObject({ rpo_minutes: 30, continuous_backup: true, default_version: pg.versions.at(-1) });
      expect(pg.gateway_timeouts).toMatchObject({ client_idle_seconds: 86_400, server_idle_seconds: 1_800, half_closed_client_seconds: 300 });
      const business = pg.plans.find((p: { id: string }) => p.id === 'postgresql-business-1024');
      expect(business).toMatchObject({
        class: 'business',
        memory_mb: 1024,
        sla_percent: 99.96,
        database_nodes: 2,
        node_failure: 'automatic-failover',
        retention: { daily: 7, weekly: 8, monthly: 12, manual: 50 },
      });
      expect(pg.plans.find((p: { id: string }) => p.id === 'postgresql-sandbox')).toMatchObject({
        class: 'sandbox',
        sla_percent: null,
        scheduled_backups: false,
        manual_backups: false,
      });
      const redis = body.addon_providers.find((p: { id: string }) => p.id === 'redis');
      expect(redis.features).toEqual(['force-tls', 'internet-access', 'redis-rdb', 'redis-aof', 'redis-cache']);
      expect(redis.rpo_minutes).toBe(24 * 60);
    });

    it('needs a token', async () => {
      await refused(null, 'GET', '/v1/addon-providers', 401, 'AUTH.MISSING_TOKEN');
    });
  });

  describe('POST /v1/apps/:app/addons (provision)', () => {
    it('provisions (201 in provisioning, Location): AddonAttached on the app, then AddonProvisioned on the add-on', async () => {
      const { response, body, events } = await write(alice, 'POST', '/v1/apps/shop/addons', 201, {
        body: { addon_provider_id: 'postgresql', plan_id: 'postgresql-starter-512', version: '14.17.0' },
      });
      const addon = body.addon;
      ids.pg = addon.id;
      expect(addon).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        app: 'shop',
        resource_id: expect.stringMatching(/^shop-\d{4}$/),
        addon_provider: { id: 'postgresql', name: 'PostgreSQL' },
        plan: { id: 'postgresql-starter-512', class: 'starter', memory_mb: 512 },
        version: '14.17.0',
        next_version: '14.18.0',
        status: 'provisioning',
        features: [
          { name: 'force-tls', enabled: false },
          { name: 'internet-access', enabled: false },
        ],
        maintenance_window: { weekday_utc: expect.any(Number), starting_hour_utc: expect.any(Number), duration_in_hour: 8 },
        backup_schedule: { enabled: true, active: true, hour_utc: 0, timezone: 'UTC' },
        nodes: [{ name: expect.stringMatching(/-db-1$/), role: 'leader', status: 'up' }],
        connection: { host: expect.any(String), port: expect.any(Number), user: addon.resource_id.replace(/-/g, '_') },
      });
      expect(Object.keys(addon.connection).sort()).toEqual(['host', 'port', 'user']);
      expect(response.text).not.toMatch(/password/i);
      expect(response.headers.location).toBe(addonPath(ids.pg));
      expect(events).toEqual(['app-shop AddonAttached', `${addonStream(ids.pg)} AddonProvisioned`]);
      const followed = await s.call(alice, 'GET', response.headers.location);
      expect(followed.status).toBe(200);
      expect(followed.body.addon.id).toBe(ids.pg);
    });

    it('defaults the version to the newest offered, and provisions the other types the suite uses', async () => {
      const redis = await write(alice, 'POST', '/v1/apps/shop/addons', 201, {
        body: { addon_provider_id: 'redis', plan_id: 'redis-business-256' },
      });
      ids.redis = redis.body.addon.id;
      expect(redis.body.addon).toMatchObject({ version: '7.4.2', next_version: null });
      expect(redis.body.addon.features).toContainEqual({ name: 'redis-rdb', enabled: true });
      expect(redis.body.addon.nodes.map((n: { role: string }) => n.role)).toEqual([
        'leader', 'standby', 'sentinel', 'sentinel', 'sentinel', 'gateway', 'gateway',
      ]);
      ids.mysql = (await write(alice, 'POST', '/v1/apps/shop/addons', 201, { body: { addon_provider_id: 'mysql', plan_id: 'mysql-starter-256' } })).body.addon.id;
      ids.mongo = (await write(alice, 'POST', '/v1/apps/shop/addons', 201, { body: { addon_provider_id: 'mongodb', plan_id: 'mongodb-sandbox' } })).body.addon.id;
      ids.es = (await write(alice, 'POST', '/v1/apps/shop/addons', 201, { body: { addon_provider_id: 'elasticsearch', plan_id: 'elasticsearch-starter-256' } })).body.addon.id;
      const app = await s.call(alice, 'GET', '/v1/apps/shop');
      expect(app.body.app.addon_ids.sort()).toEqual(Object.values(ids).sort());
    });

    it('refuses a second add-on of a type (409), an unknown version, plan or a plan of another type (422), writing nothing', async () => {
      const provision = (body: object) => ({ body });
      await refused(alice, 'POST', '/v1/apps/shop/addons', 409, 'ADDON.ALREADY_ATTACHED', provision({ addon_provider_id: 'postgresql', plan_id: 'postgresql-sandbox' }));
      await refused(alice, 'POST', '/v1/apps/shop/addons', 422, 'VERSION.UNKNOWN', provision({ addon_provider_id: 'influxdb', plan_id: 'influxdb-sandbox', version: '9.9.9' }));
      await refused(alice, 'POST', '/v1/apps/shop/addons', 422, 'PLAN.UNKNOWN', provision({ addon_provider_id: 'influxdb', plan_id: 'influxdb-starter-999' }));
      await refused(alice, 'POST', '/v1/apps/shop/addons', 422, 'PLAN.TYPE_MISMATCH', provision({ addon_provider_id: 'influxdb', plan_id: 'redis-starter-256' }));
      const app = await s.call(alice, 'GET', '/v1/apps/shop');
      expect(app.body.app.addon_ids).toHaveLength(5);
    });

    it('lists every failing field of a bad body (400)', async () => {
      const response = await refused(alice, 'POST', '/v1/apps/shop/addons', 400, 'VALIDATION.FAILED', {
        body: { addon_provider_id: 'oracle', plan_id: 7, version: 'latest', region: 'eu-west' },
      });
      expect(failingFields(response)).toEqual(['addon_provider_id', 'plan_id', 'region', 'version']);
      const empty = await refused(alice, 'POST', '/v1/apps/shop/addons', 400, 'VALIDATION.FAILED', { body: {} });
      expect(failingFields(empty)).toEqual(['addon_provider_id', 'plan_id']);
    });
  });

  describe('the platform completes provisioning: the app gets its variables', () => {
    it('makes the add-ons running (AddonRunning, then AppVariablesSet on the app)', async () => {
      const before = await s.head();
      await s.completeProvisioning(ids.pg);
      expect(describeEvents(await s.since(before))).toEqual([`${addonStream(ids.pg)} AddonRunning`, 'app-shop AppVariablesSet']);
      for (const id of [ids.redis, ids.mysql, ids.mongo, ids.es]) await s.completeProvisioning(id);
      for (const id of Object.values(ids)) expect((await addonOf(id)).status).toBe('running');
    });

    it('GET variables: the owner sees the password, support sees it masked, the platform may not read them', async () => {
      const addon = await addonOf(ids.pg);
      const mine = await variablesOf(alice);
      const url = new URL(mine.SCALINGO_POSTGRESQL_URL);
      expect(url.protocol).toBe('postgres:');
      expect(url.username).toBe(addon.connection.user);
      expect(url.hostname).toBe(addon.connection.host);
      expect(url.port).toBe(String(addon.connection.port));
      expect(decodeURIComponent(url.password)).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      expect(mine.POSTGRESQL_URL).toBe('$SCALINGO_POSTGRESQL_URL');
      expect(mine.REDIS_URL).toBe('$SCALINGO_REDIS_URL');
      expect(Object.keys(mine).sort()).toEqual([
        'ELASTICSEARCH_URL', 'MONGO_URL', 'MYSQL_URL', 'POSTGRESQL_URL', 'REDIS_URL',
        'SCALINGO_ELASTICSEARCH_URL', 'SCALINGO_MONGO_URL', 'SCALINGO_MYSQL_URL', 'SCALINGO_POSTGRESQL_URL', 'SCALINGO_REDIS_URL',
      ]);

      const theirs = await variablesOf(support);
      expect(Object.keys(theirs).sort()).toEqual(Object.keys(mine).sort());
      expect(theirs.SCALINGO_POSTGRESQL_URL).toBe(
        `postgres://${addon.connection.user}:********@${addon.connection.host}:${addon.connection.port}`,
      );
      const supportText = JSON.stringify(theirs);
      for (const name of Object.keys(mine).filter((n) => n.startsWith('SCALINGO_'))) {
        const password = decodeURIComponent(new URL(mine[name]).password);
        expect(supportText).not.toContain(password);
      }
      await refused(platform, 'GET', '/v1/apps/shop/variables', 403, 'AUTH.FORBIDDEN');
    });

    it('GET add-ons: owner, support and platform read them, never a password', async () => {
      for (const token of [alice, support, platform]) {
        const list = await s.call(token, 'GET', '/v1/apps/shop/addons');
        expect(list.status).toBe(200);
        expect((list.body.addons as Array<{ id: string }>).map((a) => a.id).sort()).toEqual(Object.values(ids).sort());
        const one = await s.call(token, 'GET', addonPath(ids.pg));
        expect(one.status).toBe(200);
        expect(one.body.addon).toMatchObject({ id: ids.pg, status: 'running' });
        expect(list.text + one.text).not.toMatch(/password|sealed|dataKey/i);
      }
    });
  });

  describe('PATCH /v1/apps/:app/addons/:id (change plan)', () => {
    it('refuses a plan change while the add-on is not running (409 ADDON.NOT_RUNNING)', async () => {
      const id = (await write(bob, 'POST', '/v1/apps/bobs/addons', 201, { body: { addon_provider_id: 'redis', plan_id: 'redis-starter-256' } })).body.addon.id;
      await refused(bob, 'PATCH', addonPath(id, 'bobs'), 409, 'ADDON.NOT_RUNNING', { body: { plan_id: 'redis-starter-512' } });
    });

    it('upgrades the plan: 202 in changing-plan with Location, PlanChanged; then the platform records the restart', async () => {
      const { response, body, events } = await write(alice, 'PATCH', addonPath(ids.pg), 202, { body: { plan_id: 'postgresql-starter-1024' } });
      expect(body.addon).toMatchObject({
        status: 'changing-plan',
        plan: { id: 'postgresql-starter-1024', class: 'starter', memory_mb: 1024 },
        plan_change: { from: 'postgresql-starter-512', to: 'postgresql-starter-1024' },
      });
      expect(body.warnings).toBeUndefined();
      expect(response.headers.location).toBe(addonPath(ids.pg));
      expect(events).toEqual([`${addonStream(ids.pg)} PlanChanged`]);
      const [changed] = (await s.stream(addonStream(ids.pg))).filter((e) => e.type === 'PlanChanged');
      expect(changed.data).toMatchObject({ fromPlanId: 'postgresql-starter-512', toPlanId: 'postgresql-starter-1024', downgrade: false, downtime: 'seconds' });

      await refused(alice, 'PATCH', addonPath(ids.pg), 409, 'ADDON.OPERATION_IN_PROGRESS', { body: { plan_id: 'postgresql-starter-2048' } });

      const before = await s.head();
      await s.platform(ids.pg, { type: 'RecordRestart', data: { downtimeSeconds: 3 } });
      expect(describeEvents(await s.since(before))).toEqual([`${addonStream(ids.pg)} AddonRestarted`]);
      expect(await addonOf(ids.pg)).toMatchObject({ status: 'running', plan: { id: 'postgresql-starter-1024' } });
      expect((await addonOf(ids.pg)).plan_change).toBeUndefined();
    });

    it('warns on a downgrade (less memory), and still changes the plan', async () => {
      const { body, events } = await write(alice, 'PATCH', addonPath(ids.pg), 202, { body: { plan_id: 'postgresql-starter-256' } });
      expect(body.warnings).toEqual([expect.stringContaining('postgresql-starter-256')]);
      expect(body.addon.plan.id).toBe('postgresql-starter-256');
      expect(events).toEqual([`${addonStream(ids.pg)} PlanChanged`]);
      await s.platform(ids.pg, { type: 'RecordRestart', data: { downtimeSeconds: 4 } });
    });

    it('refuses the same plan, a plan of another type or an unknown plan (422), and lists bad fields (400)', async () => {
      await refused(alice, 'PATCH', addonPath(ids.pg), 422, 'PLAN.UNCHANGED', { body: { plan_id: 'postgresql-starter-256' } });
      await refused(alice, 'PATCH', addonPath(ids.pg), 422, 'PLAN.TYPE_MISMATCH', { body: { plan_id: 'mysql-starter-256' } });
      await refused(alice, 'PATCH', addonPath(ids.pg), 422, 'PLAN.UNKNOWN', { body: { plan_id: 'postgresql-starter-300' } });
      const response = await refused(alice, 'PATCH', addonPath(ids.pg), 400, 'VALIDATION.FAILED', { body: { plan_id: ['postgresql-starter-512'], when: 'now' } });
      expect(failingFields(response)).toEqual(['plan_id', 'when']);
      expect(failingFields(await refused(alice, 'PATCH', addonPath(ids.pg), 400, 'VALIDATION.FAILED', { body: {} }))).toEqual(['plan_id']);
    });

    it('refuses moving a Sandbox onto a paid plan while its window covers the backup hour (422)', async () => {
      // On a Sandbox the window is free (no scheduled backups): 20:00 for 8 h covers 00:00 UTC.
      await write(alice, 'PUT', `${addonPath(ids.mongo)}/maintenance-window`, 200, { body: { weekday_utc: 1, starting_hour_utc: 20 } });
      await refused(alice, 'PATCH', addonPath(ids.mongo), 422, 'MAINTENANCE.CONFLICTS_WITH_BACKUP_SCHEDULE', { body: { plan_id: 'mongodb-starter-256' } });
    });
  });

  describe('PUT and DELETE …/features/:feature', () => {
    it('enables (FeatureEnabled) and disables (FeatureDisabled); a repeat answers 200 and appends nothing', async () => {
      const path = `${addonPath(ids.pg)}/features/force-tls`;
      const on = await write(alice, 'PUT', path, 200);
      expect(on.body.addon.features).toContainEqual({ name: 'force-tls', enabled: true });
      expect(on.events).toEqual([`${addonStream(ids.pg)} FeatureEnabled`]);
      expect((await write(alice, 'PUT', path, 200)).events).toEqual([]);

      const internet = await write(alice, 'PUT', `${addonPath(ids.pg)}/features/internet-access`, 200);
      expect(internet.events).toEqual([`${addonStream(ids.pg)} FeatureEnabled`]);

      const off = await write(alice, 'DELETE', path, 200);
      expect(off.body.addon.features).toEqual([
        { name: 'force-tls', enabled: false },
        { name: 'internet-access', enabled: true },
      ]);
      expect(off.events).toEqual([`${addonStream(ids.pg)} FeatureDisabled`]);
      expect((await write(alice, 'DELETE', path, 200)).events).toEqual([]);
    });

    it('toggles the Redis persistence features', async () => {
      const aof = await write(alice, 'PUT', `${addonPath(ids.redis)}/features/redis-aof`, 200);
      expect(aof.events).toEqual([`${addonStream(ids.redis)} FeatureEnabled`]);
      const rdb = await write(alice, 'DELETE', `${addonPath(ids.redis)}/features/redis-rdb`, 200);
      expect(rdb.events).toEqual([`${addonStream(ids.redis)} FeatureDisabled`]);
      expect(rdb.body.addon.features).toEqual(
        expect.arrayContaining([
          { name: 'redis-aof', enabled: true },
          { name: 'redis-rdb', enabled: false },
          { name: 'redis-cache', enabled: false },
        ]),
      );
    });

    it('refuses a Redis feature on PostgreSQL and an unknown feature (422), writing nothing', async () => {
      await refused(alice, 'PUT', `${addonPath(ids.pg)}/features/redis-aof`, 422, 'FEATURE.NOT_AVAILABLE');
      await refused(alice, 'PUT', `${addonPath(ids.pg)}/features/turbo`, 422, 'FEATURE.UNKNOWN');
      await refused(alice, 'DELETE', `${addonPath(ids.pg)}/features/turbo`, 422, 'FEATURE.UNKNOWN');
    });
  });

  describe('PUT …/maintenance-window', () => {
    it('sets the weekly slot (MaintenanceWindowSet); the same slot again appends nothing', async () => {
      const { body, events } = await write(alice, 'PUT', `${addonPath(ids.pg)}/maintenance-window`, 200, {
        body: { weekday_utc: 3, starting_hour_utc: 9 },
      });
      expect(body.addon.maintenance_window).toEqual({ weekday_utc: 3, starting_hour_utc: 9, duration_in_hour: 8 });
      expect(events).toEqual([`${addonStream(ids.pg)} MaintenanceWindowSet`]);
      const again = await write(alice, 'PUT', `${addonPath(ids.pg)}/maintenance-window`, 200, { body: { weekday_utc: 3, starting_hour_utc: 9 } });
      expect(again.events).toEqual([]);
    });

    it('refuses a window covering the daily backup hour (422) and lists bad fields (400)', async () => {
      // Backups run at 00:00 UTC by default; 20:00 + 8 h covers it.
      await refused(alice, 'PUT', `${addonPath(ids.pg)}/maintenance-window`, 422, 'MAINTENANCE.CONFLICTS_WITH_BACKUP_SCHEDULE', {
        body: { weekday_utc: 1, starting_hour_utc: 20 },
      });
      const bad = await refused(alice, 'PUT', `${addonPath(ids.pg)}/maintenance-window`, 400, 'VALIDATION.FAILED', {
        body: { weekday_utc: 7, starting_hour_utc: '3', duration: 4 },
      });
      expect(failingFields(bad)).toEqual(['duration', 'starting_hour_utc', 'weekday_utc']);
      const floats = await refused(alice, 'PUT', `${addonPath(ids.pg)}/maintenance-window`, 400, 'VALIDATION.FAILED', {
        body: { weekday_utc: 2.5, starting_hour_utc: -1 },
      });
      expect(failingFields(floats)).toEqual(['starting_hour_utc', 'weekday_utc']);
    });
  });

  describe('PUT …/backup-schedule', () => {
    const path = () => `${addonPath(ids.pg)}/backup-schedule`;

    it('takes 3 (UTC): answers hour_utc and hour_local, appends BackupScheduleSet', async () => {
      const { body, events } = await write(alice, 'PUT', path(), 200, { body: { enabled: true, scheduled_at: 3 } });
      expect(body).toEqual({
        backup_schedule: { enabled: true, active: true, scheduled_at: '3:00 UTC', hour_utc: 3, hour_local: 3, timezone: 'UTC' },
      });
      expect(events).toEqual([`${addonStream(ids.pg)} BackupScheduleSet`]);
    });

    it('takes "4:00 UTC"', async () => {
      const { body, events } = await write(alice, 'PUT', path(), 200, { body: { enabled: true, scheduled_at: '4:00 UTC' } });
      expect(body.backup_schedule).toMatchObject({ hour_utc: 4, hour_local: 4, timezone: 'UTC' });
      expect(events).toEqual([`${addonStream(ids.pg)} BackupScheduleSet`]);
    });

    it('takes "20 Europe/Paris" (DST-aware): hour_local 20, hour_utc that of today in Paris', async () => {
      const { body, events } = await write(alice, 'PUT', path(), 200, { body: { enabled: true, scheduled_at: '20 Europe/Paris' } });
      const today = DateTime.utc();
      const expectedUtc = DateTime.fromObject({ year: today.year, month: today.month, day: today.day, hour: 20 }, { zone: 'Europe/Paris' })
        .toUTC().hour;
      expect(body.backup_schedule).toEqual({
        enabled: true,
        active: true,
        scheduled_at: '20 Europe/Paris',
        hour_local: 20,
        hour_utc: expectedUtc,
        timezone: 'Europe/Paris',
      });
      expect([18, 19]).toContain(expectedUtc);
      expect(events).toEqual([`${addonStream(ids.pg)} BackupScheduleSet`]);
      expect((await addonOf(ids.pg)).backup_schedule).toEqual(body.backup_schedule);
      // Disabling keeps the hour when scheduled_at is left out.
      const off = await write(alice, 'PUT', path(), 200, { body: { enabled: false } });
      expect(off.body.backup_schedule).toMatchObject({ enabled: false, active: false, hour_local: 20, timezone: 'Europe/Paris' });
      await write(alice, 'PUT', path(), 200, { body: { enabled: true } });
    });

    it('refuses an hour inside the maintenance window (Wednesday 9:00-17:00 UTC), in UTC or in a zone (422)', async () => {
      await refused(alice, 'PUT', path(), 422, 'BACKUP.SCHEDULE_IN_MAINTENANCE_WINDOW', { body: { enabled: true, scheduled_at: 12 } });
      await refused(alice, 'PUT', path(), 422, 'BACKUP.SCHEDULE_IN_MAINTENANCE_WINDOW', { body: { enabled: true, scheduled_at: '16:00 UTC' } });
      await refused(alice, 'PUT', path(), 422, 'BACKUP.SCHEDULE_IN_MAINTENANCE_WINDOW', { body: { enabled: true, scheduled_at: '11 Europe/Paris' } });
    });

    it('refuses it on a Sandbox (422 BACKUP.NOT_AVAILABLE_ON_SANDBOX), bad times and zones (422), bad fields (400)', async () => {
      await refused(alice, 'PUT', `${addonPath(ids.mongo)}/backup-schedule`, 422, 'BACKUP.NOT_AVAILABLE_ON_SANDBOX', { body: { enabled: true, scheduled_at: 3 } });
      await refused(alice, 'PUT', path(), 422, 'SCHEDULE.INVALID_TIME', { body: { enabled: true, scheduled_at: 24 } });
      await refused(alice, 'PUT', path(), 422, 'SCHEDULE.INVALID_TIME', { body: { enabled: true, scheduled_at: '4:30 UTC' } });
      await refused(alice, 'PUT', path(), 422, 'SCHEDULE.UNKNOWN_TIMEZONE', { body: { enabled: true, scheduled_at: '20 Mars/Olympus' } });
      const bad = await refused(alice, 'PUT', path(), 400, 'VALIDATION.FAILED', { body: { enabled: 'yes', scheduled_at: true, every: 'day' } });
      expect(failingFields(bad)).toEqual(['enabled', 'every', 'scheduled_at']);
      expect(failingFields(await refused(alice, 'PUT', path(), 400, 'VALIDATION.FAILED', { body: {} }))).toEqual(['enabled']);
    });
  });

  describe('POST …/backups (manual backup)', () => {
    let backupId = '';

    it('answers 202 with the backup scheduled and a Location to follow it; appends BackupRequested', async () => {
      const { response, body, events } = await write(alice, 'POST', `${addonPath(ids.pg)}/backups`, 202);
      backupId = body.backup.id;
      expect(body.backup).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: expect.stringMatching(/^\d{14}_shop-\d{4}$/),
        status: 'scheduled',
        method: 'manual',
        started_at: null,
        ended_at: null,
        size: null,
      });
      expect(response.headers.location).toBe(`${addonPath(ids.pg)}/backups/${backupId}`);
      expect(events).toEqual([`${addonStream(ids.pg)} BackupRequested`]);
      const followed = await s.call(alice, 'GET', response.headers.location);
      expect(followed.status).toBe(200);
      expect(followed.body.backup).toMatchObject({ id: backupId, status: 'scheduled' });
    });

    it('refuses a second one while the first runs (409), and restoring from it before it is done (409)', async () => {
      await refused(alice, 'POST', `${addonPath(ids.pg)}/backups`, 409, 'BACKUP.ALREADY_IN_PROGRESS');
      await refused(alice, 'POST', `${addonPath(ids.pg)}/restore`, 409, 'BACKUP.NOT_READY', { body: { backup_id: backupId } });
    });

    it('is done once the platform takes it: support and the owner list it', async () => {
      await s.platform(ids.pg, { type: 'StartBackup', data: { backupId } });
      await s.platform(ids.pg, { type: 'CompleteBackup', data: { backupId, sizeBytes: 1234, checksum: 'sha256:abc', replicas: [{ site: 'dc-primary', path: `/${ids.pg}/${backupId}.dump.gz` }] } });
      for (const token of [alice, support]) {
        const list = await s.call(token, 'GET', `${addonPath(ids.pg)}/backups`);
        expect(list.status).toBe(200);
        expect(list.body.backups).toEqual([
          expect.objectContaining({ id: backupId, status: 'done', size: 1234, retention: ['manual'] }),
        ]);
      }
      await refused(platform, 'GET', `${addonPath(ids.pg)}/backups`, 403, 'AUTH.FORBIDDEN');
    });

    it('refuses a backup on a Sandbox: 422 BACKUP.NOT_AVAILABLE_ON_SANDBOX', async () => {
      await refused(alice, 'POST', `${addonPath(ids.mongo)}/backups`, 422, 'BACKUP.NOT_AVAILABLE_ON_SANDBOX');
    });
  });

  describe('POST …/restore', () => {
    let backupId = '';

    it('restores from a backup: 202 in restoring, Location, the restore id; RestoreStarted', async () => {
      backupId = (await s.call(alice, 'GET', `${addonPath(ids.pg)}/backups`)).body.backups[0].id;
      const { response, body, events } = await write(alice, 'POST', `${addonPath(ids.pg)}/restore`, 202, { body: { backup_id: backupId } });
      expect(body.addon.status).toBe('restoring');
      expect(body.restore).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(response.headers.location).toBe(addonPath(ids.pg));
      expect(events).toEqual([`${addonStream(ids.pg)} RestoreStarted`]);
      const started = (await s.stream(addonStream(ids.pg))).filter((e) => e.type === 'RestoreStarted');
      expect(started.at(-1)!.data).toMatchObject({ restoreId: body.restore.id, source: { backupId } });

      await refused(alice, 'POST', `${addonPath(ids.pg)}/restore`, 409, 'ADDON.OPERATION_IN_PROGRESS', { body: { backup_id: backupId } });
      await s.platform(ids.pg, { type: 'CompleteRestore', data: { restoreId: body.restore.id } });
      expect((await addonOf(ids.pg)).status).toBe('running');
    });

    it('restores PostgreSQL to a point in time inside the recovery window (202, RestoreStarted)', async () => {
      const restoreTime = new Date().toISOString();
      const { body, events } = await write(alice, 'POST', `${addonPath(ids.pg)}/restore`, 202, { body: { restore_time: restoreTime } });
      expect(body.addon.status).toBe('restoring');
      expect(events).toEqual([`${addonStream(ids.pg)} RestoreStarted`]);
      await s.platform(ids.pg, { type: 'CompleteRestore', data: { restoreId: body.restore.id } });
    });

    it('refuses a point in time on MySQL, outside the window or in the future (422), an unknown backup (404)', async () => {
      await refused(alice, 'POST', `${addonPath(ids.mysql)}/restore`, 422, 'RESTORE.POINT_IN_TIME_NOT_SUPPORTED', { body: { restore_time: new Date().toISOString() } });
      await refused(alice, 'POST', `${addonPath(ids.pg)}/restore`, 422, 'RESTORE.OUTSIDE_RECOVERY_WINDOW', { body: { restore_time: '2020-01-01T00:00:00Z' } });
      await refused(alice, 'POST', `${addonPath(ids.pg)}/restore`, 422, 'RESTORE.IN_THE_FUTURE', { body: { restore_time: new Date(Date.now() + 86_400_000).toISOString() } });
      await refused(alice, 'POST', `${addonPath(ids.pg)}/restore`, 404, 'BACKUP.NOT_FOUND', { body: { backup_id: randomUUID() } });
      await refused(alice, 'POST', `${addonPath(ids.mongo)}/restore`, 422, 'BACKUP.NOT_AVAILABLE_ON_SANDBOX', { body: { backup_id: backupId } });
    });

    it('lists every failing field (400): neither, both, a bad id, a bad time, unknown fields', async () => {
      const path = `${addonPath(ids.pg)}/restore`;
      expect(failingFields(await refused(alice, 'POST', path, 400, 'VALIDATION.FAILED', { body: {} }))).toEqual(['backup_id']);
      expect(failingFields(await refused(alice, 'POST', path, 400, 'VALIDATION.FAILED', { body: { backup_id: backupId, restore_time: '2026-01-01T00:00:00Z' } }))).toEqual(['backup_id']);
      expect(failingFields(await refused(alice, 'POST', path, 400, 'VALIDATION.FAILED', { body: { backup_id: 'latest' } }))).toEqual(['backup_id']);
      expect(failingFields(await refused(alice, 'POST', path, 400, 'VALIDATION.FAILED', { body: { restore_time: 'yesterday', target: 'x' } }))).toEqual(['restore_time', 'target']);
    });
  });

  describe('POST …/upgrade', () => {
    const path = () => `${addonPath(ids.pg)}/upgrade`;

    it('refuses a version not offered, not newer, or a major not reached from the newest minor (422), bad fields (400)', async () => {
      await refused(alice, 'POST', path(), 422, 'VERSION.UNKNOWN', { body: { version: '13.0.0' } });
      await refused(alice, 'POST', path(), 422, 'VERSION.NOT_NEWER', { body: { version: '14.17.0' } });
      await refused(alice, 'POST', path(), 422, 'VERSION.NOT_ON_LATEST_MINOR', { body: { version: '15.13.0' } });
      expect(failingFields(await refused(alice, 'POST', path(), 400, 'VALIDATION.FAILED', { body: { version: 'latest', force: true } }))).toEqual(['force', 'version']);
      expect(failingFields(await refused(alice, 'POST', path(), 400, 'VALIDATION.FAILED', { body: { version: 15 } }))).toEqual(['version']);
    });

    it('upgrades to next_version by default: 202 in upgrading, VersionUpgradeStarted; then VersionUpgraded', async () => {
      const { response, body, events } = await write(alice, 'POST', path(), 202, { body: {} });
      expect(body.addon).toMatchObject({ status: 'upgrading', version: '14.17.0', upgrade: { from: '14.17.0', to: '14.18.0' } });
      expect(response.headers.location).toBe(addonPath(ids.pg));
      expect(events).toEqual([`${addonStream(ids.pg)} VersionUpgradeStarted`]);
      const started = (await s.stream(addonStream(ids.pg))).filter((e) => e.type === 'VersionUpgradeStarted');
      expect(started.at(-1)!.data).toMatchObject({ kind: 'minor', downtime: 'downtime' });
      await refused(alice, 'POST', path(), 409, 'ADDON.OPERATION_IN_PROGRESS', { body: {} });

      const before = await s.head();
      await s.platform(ids.pg, { type: 'CompleteUpgrade', data: {} });
      expect(describeEvents(await s.since(before))).toEqual([`${addonStream(ids.pg)} VersionUpgraded`]);
      expect(await addonOf(ids.pg)).toMatchObject({ status: 'running', version: '14.18.0', next_version: '15.13.0' });
    });

    it('then refuses skipping a major (422), takes the next major explicitly (202), and refuses an up-to-date add-on (422)', async () => {
      await refused(alice, 'POST', path(), 422, 'VERSION.MAJOR_SKIPPED', { body: { version: '16.9.0' } });
      const major = await write(alice, 'POST', path(), 202, { body: { version: '15.13.0' } });
      expect(major.body.addon.upgrade).toEqual({ from: '14.18.0', to: '15.13.0' });
      expect(major.events).toEqual([`${addonStream(ids.pg)} VersionUpgradeStarted`]);
      await s.platform(ids.pg, { type: 'CompleteUpgrade', data: {} });
      await refused(alice, 'POST', `${addonPath(ids.es)}/upgrade`, 422, 'VERSION.UP_TO_DATE', { body: {} });
    });
  });

  describe('POST /v1/platform/node-failures and node-recoveries', () => {
    it('Starter: the add-on is unavailable until its node recovers (202 each)', async () => {
      const leader = (await addonOf(ids.pg)).nodes[0].name;
      const down = await write(platform, 'POST', '/v1/platform/node-failures', 202, { body: { addon_id: ids.pg, node: leader } });
      expect(down.body.addon).toMatchObject({ status: 'unavailable', nodes: [{ name: leader, role: 'leader', status: 'down' }] });
      expect(down.events).toEqual([`${addonStream(ids.pg)} NodeFailureDetected`, `${addonStream(ids.pg)} AddonUnavailable`]);
      // A repeated report changes nothing.
      expect((await write(platform, 'POST', '/v1/platform/node-failures', 202, { body: { addon_id: ids.pg, node: leader } })).events).toEqual([]);
      // Nothing runs on a node that is down (a plan change would: it redeploys on a new host).
      await refused(alice, 'POST', `${addonPath(ids.pg)}/backups`, 409, 'ADDON.NOT_RUNNING');

      const up = await write(platform, 'POST', '/v1/platform/node-recoveries', 202, { body: { addon_id: ids.pg, node: leader } });
      expect(up.body.addon).toMatchObject({ status: 'running', nodes: [{ name: leader, status: 'up' }] });
      expect(up.events).toEqual([`${addonStream(ids.pg)} NodeRecovered`, `${addonStream(ids.pg)} AddonRecovered`]);
    });

    it('Business: the leader is marked down and the add-on keeps serving; then the failover', async () => {
      const nodes = (await addonOf(ids.redis)).nodes as Array<{ name: string; role: string }>;
      const leader = nodes.find((n) => n.role === 'leader')!.name;
      const standby = nodes.find((n) => n.role === 'standby')!.name;
      const down = await write(platform, 'POST', '/v1/platform/node-failures', 202, { body: { addon_id: ids.redis, node: leader } });
      expect(down.body.addon.status).toBe('running');
      expect(down.body.addon.nodes).toContainEqual({ name: leader, role: 'leader', status: 'down' });
      expect(down.events).toEqual([`${addonStream(ids.redis)} NodeFailureDetected`]);

      const failover = await write(platform, 'POST', `${addonPath(ids.redis)}/failover`, 202);
      expect(failover.body.addon.status).toBe('failing-over');
      expect(failover.events).toEqual([`${addonStream(ids.redis)} FailoverTriggered`]);
      const triggered = (await s.stream(addonStream(ids.redis))).filter((e) => e.type === 'FailoverTriggered');
      expect(triggered.at(-1)!.data).toMatchObject({ reason: 'switchover', fromNode: leader, toNode: standby });
      await refused(platform, 'POST', `${addonPath(ids.redis)}/failover`, 409, 'ADDON.OPERATION_IN_PROGRESS');

      const rebuilt = `${leader.replace(/-db-\d+$/, '')}-db-3`;
      await s.platform(ids.redis, { type: 'CompleteFailover', data: { standby: rebuilt } });
      const after = await addonOf(ids.redis);
      expect(after.status).toBe('running');
      expect(after.nodes.slice(0, 2)).toEqual([
        { name: standby, role: 'leader', status: 'up' },
        { name: rebuilt, role: 'standby', status: 'up' },
      ]);
    });

    it('refuses unknown nodes (422), unknown add-ons (404) and bad bodies (400)', async () => {
      await refused(platform, 'POST', '/v1/platform/node-failures', 422, 'NODE.UNKNOWN', { body: { addon_id: ids.pg, node: 'no-such-node-1' } });
      await refused(platform, 'POST', '/v1/platform/node-failures', 404, 'ADDON.NOT_FOUND', { body: { addon_id: randomUUID(), node: 'x-db-1' } });
      await refused(platform, 'POST', '/v1/platform/node-recoveries', 404, 'ADDON.NOT_FOUND', { body: { addon_id: randomUUID(), node: 'x-db-1' } });
      const bad = await refused(platform, 'POST', '/v1/platform/node-failures', 400, 'VALIDATION.FAILED', {
        body: { addon_id: 'not-a-uuid', node: 'Has Spaces', severity: 'high' },
      });
      expect(failingFields(bad)).toEqual(['addon_id', 'node', 'severity']);
      expect(failingFields(await refused(platform, 'POST', '/v1/platform/node-recoveries', 400, 'VALIDATION.FAILED', { body: {} }))).toEqual(['addon_id', 'node']);
    });
  });

  describe('POST …/failover', () => {
    it('switches a running Business add-on over to its standby (202, with a Location to follow it)', async () => {
      const { response, body, events } = await write(platform, 'POST', `${addonPath(ids.redis)}/failover`, 202);
      expect(body.addon.status).toBe('failing-over');
      expect(events).toEqual([`${addonStream(ids.redis)} FailoverTriggered`]);
      await s.platform(ids.redis, { type: 'CompleteFailover', data: { standby: `${body.addon.resource_id}-db-4` } });
      expect(response.headers.location).toBe(addonPath(ids.redis));
    });

    it('refuses a Starter add-on (422 FAILOVER.NOT_AVAILABLE), and any role but the platform (403)', async () => {
      await refused(platform, 'POST', `${addonPath(ids.pg)}/failover`, 422, 'FAILOVER.NOT_AVAILABLE');
      for (const token of [alice, support, ADMIN_TOKEN]) {
        await refused(token, 'POST', `${addonPath(ids.redis)}/failover`, 403, 'AUTH.FORBIDDEN');
      }
    });
  });

  describe('roles: who may write what', () => {
    it('answers 403 AUTH.FORBIDDEN to every role a write route does not allow, 401 without a token, and writes nothing', async () => {
      const a = addonPath(ids.mysql);
      const routes: Array<{ method: Method; path: string; body?: object; roles: string[] }> = [
        { method: 'POST', path: '/v1/tokens', body: { role: 'owner', subject: 'x' }, roles: ['admin'] },
        { method: 'POST', path: '/v1/apps', body: { name: 'forbidden-app' }, roles: ['owner'] },
        { method: 'POST', path: '/v1/apps/shop/addons', body: { addon_provider_id: 'influxdb', plan_id: 'influxdb-sandbox' }, roles: ['owner'] },
        { method: 'PATCH', path: a, body: { plan_id: 'mysql-starter-512' }, roles: ['owner'] },
        { method: 'DELETE', path: a, roles: ['owner'] },
        { method: 'POST', path: `${a}/upgrade`, body: {}, roles: ['owner'] },
        { method: 'PUT', path: `${a}/features/force-tls`, roles: ['owner'] },
        { method: 'DELETE', path: `${a}/features/force-tls`, roles: ['owner'] },
        { method: 'PUT', path: `${a}/maintenance-window`, body: { weekday_utc: 2, starting_hour_utc: 4 }, roles: ['owner'] },
        { method: 'PUT', path: `${a}/backup-schedule`, body: { enabled: false }, roles: ['owner'] },
        { method: 'POST', path: `${a}/backups`, roles: ['owner'] },
        { method: 'POST', path: `${a}/restore`, body: { backup_id: randomUUID() }, roles: ['owner'] },
        { method: 'POST', path: `${addonPath(ids.redis)}/failover`, roles: ['platform'] },
        { method: 'POST', path: '/v1/platform/node-failures', body: { addon_id: ids.mysql, node: 'x-db-1' }, roles: ['platform'] },
        { method: 'POST', path: '/v1/platform/node-recoveries', body: { addon_id: ids.mysql, node: 'x-db-1' }, roles: ['platform'] },
      ];
      const tokens: Record<string, string> = { owner: alice, support, platform, admin: ADMIN_TOKEN };
      const before = await s.head();
      const wrong: string[] = [];
      for (const route of routes) {
        for (const [role, token] of Object.entries(tokens)) {
          if (route.roles.includes(role)) continue;
          const response = await s.call(token, route.method, route.path, { body: route.body });
          const ok =
            response.status === 403 &&
            response.body.error?.code === 'AUTH.FORBIDDEN' &&
            JSON.stringify(response.body.error.details) === JSON.stringify({ roles: route.roles });
          if (!ok) wrong.push(`${role} ${route.method} ${route.path}: ${response.status} ${response.text}`);
        }
        const anonymous = await s.call(null, route.method, route.path, { body: route.body });
        if (anonymous.status !== 401 || anonymous.body.error?.code !== 'AUTH.MISSING_TOKEN') {
          wrong.push(`anonymous ${route.method} ${route.path}: ${anonymous.status}`);
        }
      }
      expect(wrong).toEqual([]);
      expect(await s.head()).toBe(before);
    });

    it('lets support read apps, add-ons, variables (masked) and backups, and the platform apps and add-ons', async () => {
      for (const path of ['/v1/apps', '/v1/apps/shop', '/v1/apps/shop/addons', addonPath(ids.pg), '/v1/apps/shop/variables', `${addonPath(ids.pg)}/backups`]) {
        expect([path, (await s.call(support, 'GET', path)).status]).toEqual([path, 200]);
      }
      for (const path of ['/v1/apps', '/v1/apps/shop', '/v1/apps/shop/addons', addonPath(ids.pg)]) {
        expect([path, (await s.call(platform, 'GET', path)).status]).toEqual([path, 200]);
      }
    });
  });

  describe("another owner's app and add-on: 404, exactly as a missing one", () => {
    it('answers bob on alice\'s app with the very body of a missing app, on every read and write', async () => {
      const missingApp = 'no-such-app';
      const missingAddon = randomUUID();
      const a = (app: string, id: string) => `/v1/apps/${app}/addons/${id}`;
      const calls: Array<{ method: Method; path: (app: string, id: string) => string; body?: object }> = [
        { method: 'GET', path: (app) => `/v1/apps/${app}` },
        { method: 'GET', path: (app) => `/v1/apps/${app}/variables` },
        { method: 'GET', path: (app) => `/v1/apps/${app}/addons` },
        { method: 'POST', path: (app) => `/v1/apps/${app}/addons`, body: { addon_provider_id: 'influxdb', plan_id: 'influxdb-sandbox' } },
        { method: 'GET', path: a },
        { method: 'PATCH', path: a, body: { plan_id: 'postgresql-starter-512' } },
        { method: 'DELETE', path: a },
        { method: 'POST', path: (app, id) => `${a(app, id)}/upgrade`, body: {} },
        { method: 'PUT', path: (app, id) => `${a(app, id)}/features/force-tls` },
        { method: 'DELETE', path: (app, id) => `${a(app, id)}/features/force-tls` },
        { method: 'PUT', path: (app, id) => `${a(app, id)}/maintenance-window`, body: { weekday_utc: 2, starting_hour_utc: 4 } },
        { method: 'PUT', path: (app, id) => `${a(app, id)}/backup-schedule`, body: { enabled: false } },
        { method: 'GET', path: (app, id) => `${a(app, id)}/backups` },
        { method: 'POST', path: (app, id) => `${a(app, id)}/backups` },
        { method: 'POST', path: (app, id) => `${a(app, id)}/restore`, body: { backup_id: randomUUID() } },
      ];
      const before = await s.head();
      for (const call of calls) {
        // Alice's app, through bob's eyes, against an app that does not exist.
        const theirs = await s.call(bob, call.method, call.path('shop', ids.pg), { body: call.body });
        const missing = await s.call(bob, call.method, call.path(missingApp, ids.pg), { body: call.body });
        expect([call.method, call.path('shop', ids.pg), theirs.status, theirs.body]).toEqual([
          call.method, call.path('shop', ids.pg), 404, { error: { code: 'APP.NOT_FOUND', message: expect.any(String), details: {} } },
        ]);
        expect(theirs.body).toEqual(missing.body);
        if (call.path('x', 'y').includes('/addons/')) {
          // Alice's add-on under bob's own app, against an add-on that does not exist.
          const hers = await s.call(bob, call.method, call.path('bobs', ids.pg), { body: call.body });
          const none = await s.call(bob, call.method, call.path('bobs', missingAddon), { body: call.body });
          expect([call.method, call.path('bobs', ids.pg), hers.status, hers.body.error?.code]).toEqual([
            call.method, call.path('bobs', ids.pg), 404, 'ADDON.NOT_FOUND',
          ]);
          expect(hers.body).toEqual(none.body);
        }
      }
      expect(await s.head()).toBe(before);
    });

    it("answers bob 404 APP.NOT_FOUND for a backup of alice's add-on", async () => {
      const response = await s.call(bob, 'GET', `/v1/apps/shop/addons/${ids.pg}/backups/${randomUUID()}`);
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('APP.NOT_FOUND');
    });
  });

  describe('DELETE /v1/apps/:app/addons/:id (deprovision)', () => {
    it('answers 200 with the add-on deprovisioned: AddonDeprovisioned, then the app loses its variables and the attachment', async () => {
      const { body, events } = await write(alice, 'DELETE', addonPath(ids.pg), 200);
      expect(body.addon).toMatchObject({ id: ids.pg, status: 'deprovisioned', deprovisioned_at: expect.any(String) });
      expect(typesByStream(events)).toEqual({
        [addonStream(ids.pg)]: ['AddonDeprovisioned'],
        'app-shop': ['AppVariablesUnset', 'AddonDetached'],
      });
      const unset = (await s.stream('app-shop')).filter((e) => e.type === 'AppVariablesUnset').at(-1)!;
      expect((unset.data.names as string[]).sort()).toEqual(['POSTGRESQL_URL', 'SCALINGO_POSTGRESQL_URL']);

      const variables = await variablesOf(alice);
      expect(Object.keys(variables).filter((n) => n.includes('POSTGRESQL'))).toEqual([]);
      expect(variables.REDIS_URL).toBe('$SCALINGO_REDIS_URL');
      expect((await s.call(alice, 'GET', '/v1/apps/shop')).body.app.addon_ids).not.toContain(ids.pg);
    });

    it('then answers 404 for the add-on, keeps its backups readable, and frees the type', async () => {
      await refused(alice, 'GET', addonPath(ids.pg), 404, 'ADDON.NOT_FOUND');
      await refused(alice, 'DELETE', addonPath(ids.pg), 404, 'ADDON.NOT_FOUND');
      await refused(alice, 'PATCH', addonPath(ids.pg), 404, 'ADDON.NOT_FOUND', { body: { plan_id: 'postgresql-starter-512' } });
      await refused(platform, 'POST', '/v1/platform/node-failures', 404, 'ADDON.NOT_FOUND', { body: { addon_id: ids.pg, node: 'shop-0000-db-1' } });
      const missing = await s.call(alice, 'GET', addonPath(randomUUID()));
      expect((await s.call(alice, 'GET', addonPath(ids.pg))).body).toEqual(missing.body);

      const backups = await s.call(alice, 'GET', `${addonPath(ids.pg)}/backups`);
      expect(backups.status).toBe(200);
      expect(backups.body.backups).toHaveLength(1);
      expect(backups.body.backups[0]).toMatchObject({ method: 'manual', status: 'done', expires_at: expect.any(String) });

      const again = await write(alice, 'POST', '/v1/apps/shop/addons', 201, { body: { addon_provider_id: 'postgresql', plan_id: 'postgresql-sandbox' } });
      expect(again.events).toEqual(['app-shop AddonAttached', `${addonStream(again.body.addon.id)} AddonProvisioned`]);
    });

    it('removes an add-on still provisioning: no variables to unset', async () => {
      const id = (await s.call(bob, 'GET', '/v1/apps/bobs/addons')).body.addons[0].id;
      const { events } = await write(bob, 'DELETE', addonPath(id, 'bobs'), 200);
      expect(typesByStream(events)).toEqual({ [addonStream(id)]: ['AddonDeprovisioned'], 'app-bobs': ['AddonDetached'] });
    });
  });

  describe('routes that take no body (an app of their own: a route that ignores the body changes it)', () => {
    it('refuses an unknown field in the body of PUT/DELETE feature, POST backups, failover and DELETE add-on (400), writing nothing', async () => {
      await s.createApp(alice, 'bodies');
      const mysql = await s.runningAddon(alice, 'bodies', 'mysql', 'mysql-starter-256');
      const redis = await s.runningAddon(alice, 'bodies', 'redis', 'redis-business-256');
      const a = addonPath(mysql, 'bodies');
      const calls: Array<[string, Method, string]> = [
        [alice, 'PUT', `${a}/features/force-tls`],
        [alice, 'DELETE', `${a}/features/internet-access`],
        [alice, 'POST', `${a}/backups`],
        [platform, 'POST', `${addonPath(redis, 'bodies')}/failover`],
        [alice, 'DELETE', a],
      ];
      const wrong: string[] = [];
      for (const [token, method, path] of calls) {
        const before = await s.head();
        const response = await s.call(token, method, path, { body: { reason: 'before-migration', force: true } });
        const fields = response.status === 400 && response.body.error?.code === 'VALIDATION.FAILED' ? failingFields(response) : [];
        if (fields.join() !== 'force,reason') wrong.push(`${method} ${path.replace(/[0-9a-f-]{36}/g, ':id')}: ${response.status}`);
        const appended = describeEvents(await s.since(before)).map((e) => e.split(' ')[1]);
        if (appended.length > 0) wrong.push(`${method} ${path.replace(/[0-9a-f-]{36}/g, ':id')}: appended ${appended.join(', ')}`);
      }
      expect(wrong).toEqual([]);
    });
  });

  describe('unknown fields named like what every object inherits', () => {
    it('refuses toString, valueOf, hasOwnProperty… in a body as unknown fields (400), and writes nothing', async () => {
      const keys = ['toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupSetter__'];
      const wrong: string[] = [];
      for (const key of keys) {
        const before = await s.head();
        const response = await s.call(ADMIN_TOKEN, 'POST', '/v1/tokens', { raw: JSON.stringify({ role: 'owner', subject: 'inherits', [key]: 'x' }) });
        const listed = response.status === 400 && response.body.error?.code === 'VALIDATION.FAILED' ? failingFields(response) : [];
        if (listed.join() !== key) wrong.push(`${key}: ${response.status}`);
        if ((await s.head()) !== before) wrong.push(`${key}: appended events`);
      }
      const app = await s.call(alice, 'POST', '/v1/apps', { raw: '{"name":"inherits","toString":"x"}' });
      if (app.status !== 400) wrong.push(`POST /v1/apps with toString: ${app.status}`);
      expect(wrong).toEqual([]);
    });
  });

  describe('null in an optional string field (an app of its own: an accepted null changes it)', () => {
    it('refuses {"version": null} on provisioning: 400 listing version, not the newest version', async () => {
      await s.createApp(alice, 'nulls');
      const before = await s.head();
      const response = await s.call(alice, 'POST', '/v1/apps/nulls/addons', {
        body: { addon_provider_id: 'mysql', plan_id: 'mysql-starter-256', version: null },
      });
      expect(await s.head()).toBe(before);
      expect(failingFields(response)).toEqual(['version']);
    });

    it('refuses {"version": null} on upgrade: 400 listing version, not an upgrade to next_version', async () => {
      const id = await s.runningAddon(alice, 'nulls', 'postgresql', 'postgresql-starter-256', '16.8.0');
      const before = await s.head();
      const response = await s.call(alice, 'POST', `${addonPath(id, 'nulls')}/upgrade`, { body: { version: null } });
      expect(await s.head()).toBe(before);
      expect(failingFields(response)).toEqual(['version']);
    });
  });

  describe('X-Event-Position', () => {
    it('answers every write above with the position of the last event it appended (none when it appended nothing)', () => {
      expect(positions).toEqual([]);
    });
  });

  describe('the streams', () => {
    it('hold contiguous revisions from 0, each event with its actor and the request id as correlation id', async () => {
      const all = await s.store.readAll();
      const byStream = new Map<string, bigint[]>();
      for (const event of all) byStream.set(event.stream, [...(byStream.get(event.stream) ?? []), event.revision]);
      for (const [stream, revisions] of byStream) {
        expect([stream, revisions]).toEqual([stream, revisions.map((_, i) => BigInt(i))]);
      }
      const pg = await s.stream(addonStream(ids.pg));
      expect(pg[0].metadata).toMatchObject({ actor: 'owner:alice', schemaVersion: 1 });
      expect(pg.filter((e) => e.type === 'AddonRunning')[0].metadata.actor).toBe('platform:e2e');
      const withId = await s.call(alice, 'PUT', `${addonPath(ids.mysql)}/features/force-tls`, { headers: { 'X-Request-Id': 'enable-tls-on-mysql' } });
      expect(withId.status).toBe(200);
      const [enabled] = (await s.stream(addonStream(ids.mysql))).filter((e) => e.type === 'FeatureEnabled');
      expect(enabled.metadata).toMatchObject({ $correlationId: 'enable-tls-on-mysql', actor: 'owner:alice' });
    });
  });
});
