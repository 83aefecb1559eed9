import { Response } from 'supertest';
import { ConcurrencyError, EventStore, StoredEvent } from '../../src/event-store/event-store.port';
import { AppFixture } from './app-fixture';
import { CallOptions, Method, Scenario } from './scenario';

/**
 * Concurrent writes on one add-on (and one app): every answer is a success or a 409, the
 * stream stays a gapless sequence, every event belongs to a request that succeeded, and
 * the stream folds to what GET answers.
 */
describe('Concurrent writes over HTTP', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  let alice: string;

  beforeAll(async () => {
    await fixture.start();
    alice = await s.token('owner', 'alice');
    await s.createApp(alice, 'race');
  });
  afterAll(() => fixture.dispose());

  const addonPath = (id: string, app = 'race') => `/v1/apps/${app}/addons/${id}`;

  interface Shot {
    requestId: string;
    method: Method;
    path: string;
    options: CallOptions;
  }

  /** Fires every call at once, each with its own X-Request-Id (the events' correlation id). */
  async function burst(shots: Shot[]): Promise<Array<{ shot: Shot; response: Response }>> {
    const responses = await Promise.all(
      shots.map((shot) =>
        s.call(alice, shot.method, shot.path, { ...shot.options, headers: { 'X-Request-Id': shot.requestId } }),
      ),
    );
    return shots.map((shot, i) => ({ shot, response: responses[i] }));
  }

  function expectContiguous(events: StoredEvent[]): void {
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
    const positions = events.map((e) => e.position);
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
  }

  /** Every answer is a success or a 409 with the error shape; 409s are the documented codes. */
  function expectSuccessOr409(results: Array<{ shot: Shot; response: Response }>): void {
    const unexpected = results
      .filter(({ response }) => {
        if (response.status >= 200 && response.status < 300) return false;
        return !(
          response.status === 409 &&
          ['ADDON.OPERATION_IN_PROGRESS', 'CONCURRENCY.CONFLICT', 'BACKUP.ALREADY_IN_PROGRESS'].includes(response.body.error?.code) &&
          typeof response.body.error.message === 'string'
        );
      })
      .map(({ shot, response }) => `${shot.method} ${shot.path}: ${response.status} ${response.text}`);
    expect(unexpected).toEqual([]);
  }

  it('20 plan changes at once: each 202 or 409, exactly one PlanChanged per 202, a gapless stream (3 rounds)', async () => {
    const id = await s.runningAddon(alice, 'race', 'postgresql', 'postgresql-starter-512');
    const stream = `addon-${id}`;
    const plans = ['postgresql-starter-256', 'postgresql-starter-1024', 'postgresql-starter-2048', 'postgresql-business-512', 'postgresql-business-4096'];
    let current = 'postgresql-starter-512';

    for (let round = 1; round <= 3; round++) {
      const before = await s.head();
      const targets = plans.filter((p) => p !== current);
      const results = await burst(
        Array.from({ length: 20 }, (_, i) => ({
          requestId: `plan-${round}-${i}`,
          method: 'PATCH' as const,
          path: addonPath(id),
          options: { body: { plan_id: targets[i % targets.length] } },
        })),
      );
      expectSuccessOr409(results);
      const accepted = results.filter(({ response }) => response.status === 202);
      const appended = await s.since(before);

      // One plan change at a time: the first to commit wins, the others see it and get a 409.
      expect(accepted).toHaveLength(1);
      expect(appended.map((e) => `${e.stream} ${e.type}`)).toEqual(accepted.map(() => `${stream} PlanChanged`));
      for (const { shot, response } of accepted) {
        const mine = appended.filter((e) => e.metadata.$correlationId === shot.requestId);
        expect(mine).toHaveLength(1);
        expect(mine[0].data.toPlanId).toBe((shot.options.body as { plan_id: string }).plan_id);
        expect(response.body.addon).toMatchObject({ status: 'changing-plan', plan: { id: mine[0].data.toPlanId } });
        expect(response.headers['x-event-position']).toBe(mine[0].position.toString());
        current = mine[0].data.toPlanId as string;
      }
      for (const { response } of results.filter(({ response }) => response.status === 409)) {
        expect(response.headers['x-event-position']).toBeUndefined();
      }
      expectContiguous(await s.stream(stream));

      await s.platform(id, { type: 'RecordRestart', data: { downtimeSeconds: 2 } });
      expect((await s.call(alice, 'GET', addonPath(id))).body.addon).toMatchObject({ status: 'running', plan: { id: current } });
    }
  });

  /** What GET shows of an add-on, computed from its events alone. */
  function fold(events: StoredEvent[]) {
    const state = {
      plan: '',
      status: '',
      features: new Set<string>(),
      window: { weekday_utc: -1, starting_hour_utc: -1, duration_in_hour: -1 },
      schedule: { enabled: false, hour: -1, timezone: '' },
      backups: new Map<string, string>(),
    };
    for (const { type, data } of events) {
      const d = data as Record<string, never>;
      switch (type) {
        case 'AddonProvisioned':
          state.plan = d.planId;
          state.status = 'provisioning';
          state.features = new Set(d.features as string[]);
          state.window = { weekday_utc: d.maintenanceWindow['weekdayUtc'], starting_hour_utc: d.maintenanceWindow['startingHourUtc'], duration_in_hour: d.maintenanceWindow['durationHours'] };
          state.schedule = { enabled: d.backupSchedule['enabled'], hour: d.backupSchedule['hour'], timezone: d.backupSchedule['timezone'] };
          break;
        case 'AddonRunning':
        case 'AddonRestarted':
          state.status = 'running';
          break;
        case 'PlanChanged':
          state.plan = d.toPlanId;
          state.status = 'changing-plan';
          break;
        case 'FeatureEnabled':
          state.features.add(d.feature);
          break;
        case 'FeatureDisabled':
          state.features.delete(d.feature);
          break;
        case 'MaintenanceWindowSet':
          state.window = { weekday_utc: d.weekdayUtc, starting_hour_utc: d.startingHourUtc, duration_in_hour: d.durationHours };
          break;
        case 'BackupScheduleSet':
          state.schedule = { enabled: d.enabled, hour: d.hour, timezone: d.timezone };
          break;
        case 'BackupRequested':
          state.backups.set(d.backupId, 'scheduled');
          break;
        case 'BackupFailed':
          state.backups.set(d.backupId, 'error');
          break;
        default:
          throw new Error(`unexpected event ${type}`);
      }
    }
    return state;
  }

  it('20 different operations at once (plan, features, window, schedule, backups): the stream folds to what GET answers (3 rounds)', async () => {
    const id = await s.runningAddon(alice, 'race', 'redis', 'redis-starter-512');
    const stream = `addon-${id}`;
    const path = addonPath(id);
    const features = ['force-tls', 'internet-access', 'redis-aof', 'redis-cache'];

    for (let round = 1; round <= 3; round++) {
      const plan = (await s.call(alice, 'GET', path)).body.addon.plan.id as string;
      const plans = ['redis-starter-1024', 'redis-starter-2048', 'redis-business-256'].filter((p) => p !== plan);
      const shots: Shot[] = [];
      const add = (method: Method, suffix: string, body?: object) =>
        shots.push({ requestId: `mix-${round}-${shots.length}`, method, path: `${path}${suffix}`, options: body ? { body } : {} });
      add('PATCH', '', { plan_id: plans[0] });
      for (const feature of features) {
        add('PUT', `/features/${feature}`);
        add('DELETE', `/features/${feature}`);
      }
      add('PATCH', '', { plan_id: plans[1] });
      // Windows start 1:00-8:00 UTC (so end by 16:00), backups at 17:00-23:00 UTC: never a clash.
      for (let i = 0; i < 5; i++) add('PUT', '/maintenance-window', { weekday_utc: (round + i) % 7, starting_hour_utc: 1 + ((round * 3 + i) % 8) });
      for (let i = 0; i < 3; i++) add('PUT', '/backup-schedule', { enabled: true, scheduled_at: 17 + ((round + i) % 7) });
      add('POST', '/backups');
      add('POST', '/backups');
      expect(shots).toHaveLength(20);
      // A fixed shuffle per round, so that the plan change lands first, midway or last.
      let seed = round * 7919;
      const order = shots.map((shot) => ({ shot, key: (seed = (seed * 48271) % 2147483647) }));
      shots.splice(0, shots.length, ...order.sort((a, b) => a.key - b.key).map((o) => o.shot));

      const before = await s.head();
      const results = await burst(shots);
      expectSuccessOr409(results);
      const appended = await s.since(before);

      // Every event comes from a request that succeeded; a 409 wrote nothing.
      const succeeded = new Set(results.filter(({ response }) => response.status < 300).map(({ shot }) => shot.requestId));
      expect(appended.filter((e) => !succeeded.has(e.metadata.$correlationId)).map((e) => e.metadata.$correlationId)).toEqual([]);
      expect(appended.every((e) => e.stream === stream)).toBe(true);
      // At most one plan change and one backup win.
      expect(appended.filter((e) => e.type === 'PlanChanged').length).toBeLessThanOrEqual(1);
      expect(appended.filter((e) => e.type === 'BackupRequested').length).toBeLessThanOrEqual(1);
      expect(results.filter(({ shot, response }) => shot.method === 'PATCH' && response.status === 202)).toHaveLength(
        appended.filter((e) => e.type === 'PlanChanged').length,
      );

      const events = await s.stream(stream);
      expectContiguous(events);
      const folded = fold(events);
      const addon = (await s.call(alice, 'GET', path)).body.addon;
      expect({
        plan: addon.plan.id,
        status: addon.status,
        features: (addon.features as Array<{ name: string; enabled: boolean }>).filter((f) => f.enabled).map((f) => f.name).sort(),
        window: addon.maintenance_window,
        schedule: { enabled: addon.backup_schedule.enabled, hour: addon.backup_schedule.hour_local, timezone: addon.backup_schedule.timezone },
      }).toEqual({
        plan: folded.plan,
        status: folded.status,
        features: [...folded.features].sort(),
        window: folded.window,
        schedule: folded.schedule,
      });
      const backups = (await s.call(alice, 'GET', `${path}/backups`)).body.backups as Array<{ id: string; status: string }>;
      expect(new Map(backups.map((b) => [b.id, b.status]))).toEqual(folded.backups);

      // Back to running, with no backup in flight, for the next round.
      if (folded.status === 'changing-plan') await s.platform(id, { type: 'RecordRestart', data: { downtimeSeconds: 1 } });
      for (const [backupId] of [...folded.backups].filter(([, status]) => status === 'scheduled')) {
        await s.platform(id, { type: 'FailBackup', data: { backupId, reason: 'test' } });
      }
    }
  });

  it('10 provisions of one type at once: one 201, the others 409, one attachment on the app', async () => {
    await s.createApp(alice, 'race-provision');
    const before = await s.head();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        s.call(alice, 'POST', '/v1/apps/race-provision/addons', { body: { addon_provider_id: 'mysql', plan_id: 'mysql-sandbox' } }),
      ),
    );
    const statuses = results.map((r) => `${r.status} ${r.body.error?.code ?? ''}`.trim());
    expect(statuses.filter((st) => st === '201')).toHaveLength(1);
    expect(statuses.filter((st) => st !== '201').every((st) => st === '409 ADDON.ALREADY_ATTACHED' || st === '409 CONCURRENCY.CONFLICT')).toBe(true);
    const appended = await s.since(before);
    const id = results.find((r) => r.status === 201)!.body.addon.id;
    expect(appended.map((e) => `${e.stream} ${e.type}`)).toEqual(['app-race-provision AddonAttached', `addon-${id} AddonProvisioned`]);
    expectContiguous(await s.stream('app-race-provision'));
  });

  it('six types provisioned at once on one app: each 201 (or a 409 that wrote nothing), one attachment per 201', async () => {
    await s.createApp(alice, 'race-types');
    const types = ['postgresql', 'mysql', 'mongodb', 'redis', 'elasticsearch', 'influxdb'];
    const before = await s.head();
    const results = await Promise.all(
      types.map((type) => s.call(alice, 'POST', '/v1/apps/race-types/addons', { body: { addon_provider_id: type, plan_id: `${type}-sandbox` } })),
    );
    // The executor retries a conflicting append a few times; past that, 409 CONCURRENCY.CONFLICT.
    const created = results.filter((r) => r.status === 201).map((r) => r.body.addon.id as string);
    expect(results.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.body.error?.code}`)).toEqual(
      results.filter((r) => r.status !== 201).map(() => '409 CONCURRENCY.CONFLICT'),
    );
    expect(created.length).toBeGreaterThan(0);
    const app = await s.stream('app-race-types');
    expectContiguous(app);
    expect(app.filter((e) => e.type === 'AddonAttached').map((e) => e.data.addonId).sort()).toEqual([...created].sort());
    expect((await s.since(before)).filter((e) => e.type === 'AddonProvisioned').map((e) => e.data.addonId).sort()).toEqual([...created].sort());
    const listed = (await s.call(alice, 'GET', '/v1/apps/race-types')).body.app.addon_ids as string[];
    expect(listed.sort()).toEqual([...created].sort());
  });

  /** After removals: the app holds variables and attachments for its active add-ons only, and each add-on agrees. */
  async function expectConsistent(app: string, ids: string[], answers: Array<{ status: number; text: string }>) {
    const problems: string[] = [];
    const attached = (await s.call(alice, 'GET', `/v1/apps/${app}`)).body.app.addon_ids as string[];
    const variables = (await s.call(alice, 'GET', `/v1/apps/${app}/variables`)).body.variables as Array<{ name: string }>;
    ids.forEach((id, i) => {
      const answer = answers[i];
      if (answer.status === 200 && attached.includes(id)) problems.push(`${id}: removed (200) but still attached to ${app}`);
      if (answer.status !== 200) {
        if (answer.status !== 409) problems.push(`${id}: ${answer.status} ${answer.text}`);
        if (!attached.includes(id)) problems.push(`${id}: refused (${answer.status}) but detached: a failed request wrote`);
      }
    });
    for (const id of ids.filter((i) => !attached.includes(i))) {
      const addon = await s.call(alice, 'GET', addonPath(id, app));
      if (addon.status !== 404) problems.push(`${id}: detached but GET answers ${addon.status}`);
    }
    for (const id of attached) {
      const addon = await s.call(alice, 'GET', addonPath(id, app));
      if (addon.status !== 200) problems.push(`${id}: still attached to ${app}, but the add-on answers ${addon.status} (${addon.body.error?.code}): it was removed by a request that failed`);
    }
    // Two variables (URL and alias) per running add-on still attached.
    if (variables.length !== attached.length * 2) {
      problems.push(`${variables.length} variables for ${attached.length} attached add-ons: ${variables.map((v) => v.name).join(', ')}`);
    }
    expect(problems).toEqual([]);
  }

  it('removing an add-on while its app stream keeps conflicting: the 409 leaves the add-on as it was (fault injected)', async () => {
    await s.createApp(alice, 'race-conflict');
    const id = await s.runningAddon(alice, 'race-conflict', 'redis', 'redis-starter-256');
    const store = fixture.app.get(EventStore);
    const append = store.append.bind(store);
    // Another writer moves app-race-conflict before each of our appends: every attempt conflicts.
    const spy = jest.spyOn(store, 'append').mockImplementation(async (stream, events, options) => {
      if (stream === 'app-race-conflict') throw new ConcurrencyError(stream, options.expectedRevision, 99n);
      return append(stream, events, options);
    });
    let response;
    try {
      response = await s.call(alice, 'DELETE', addonPath(id, 'race-conflict'));
    } finally {
      spy.mockRestore();
    }
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('CONCURRENCY.CONFLICT');
    // "A request that fails writes nothing": the add-on is still there, so the retry can remove it.
    expect((await s.stream(`addon-${id}`)).map((e) => e.type)).toEqual(['AddonProvisioned', 'AddonRunning']);
    const retry = await s.call(alice, 'DELETE', addonPath(id, 'race-conflict'));
    expect(retry.status).toBe(200);
    await expectConsistent('race-conflict', [id], [retry]);
  });

  it('removing every add-on of an app at once: each 200 (or a 409 that wrote nothing), the app left consistent (8 rounds)', async () => {
    const types = ['postgresql', 'mysql', 'mongodb', 'redis', 'elasticsearch', 'influxdb', 'opensearch'];
    for (let round = 1; round <= 8; round++) {
      const app = `race-remove-${round}`;
      await s.createApp(alice, app);
      const ids: string[] = [];
      for (const type of types) ids.push(await s.runningAddon(alice, app, type, `${type}-sandbox`));
      const answers = await Promise.all(ids.map((id) => s.call(alice, 'DELETE', addonPath(id, app))));
      expectContiguous(await s.stream(`app-${app}`));
      await expectConsistent(app, ids, answers);
    }
  });

  it('ten apps of one name at once: one 201, the others 409 APP.ALREADY_EXISTS', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => s.call(alice, 'POST', '/v1/apps', { body: { name: 'race-name' } })));
    const statuses = results.map((r) => `${r.status} ${r.body.error?.code ?? ''}`.trim());
    expect(statuses.filter((st) => st === '201')).toHaveLength(1);
    expect(statuses.filter((st) => st !== '201').every((st) => st === '409 APP.ALREADY_EXISTS' || st === '409 CONCURRENCY.CONFLICT')).toBe(true);
    expect(await s.stream('app-race-name')).toHaveLength(1);
  });
});
