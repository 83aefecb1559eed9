import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { CompleteProvisioningCommand } from '../../src/addons/commands/complete-provisioning/complete-provisioning.command';
import { EventStore } from '../../src/event-store/event-store.port';
import { delta, parsePrometheus, samplesOf, Scrape, valueOf } from '../support/prometheus';
import { WebhookReceiver } from '../support/webhook-receiver';
import { AppFixture } from './app-fixture';
import { expectError, Scenario } from './scenario';

/**
 * What an operator's Prometheus scrapes from GET /metrics on the real app: every command
 * counted by outcome, appends timed, projection and saga lag, jobs, webhook deliveries,
 * HTTP requests by route pattern; and the scrape still answers when a source does not.
 * The platform runtime is off here (AppFixture), so the sagas' lag is the whole log.
 */
describe('GET /metrics (Prometheus)', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  const receiver = new WebhookReceiver();
  let platform: string;
  let admin: string;
  let alice: string;

  beforeAll(async () => {
    await receiver.start();
    // Every failed delivery is dead-lettered at once: each delivery is attempted exactly once.
    await fixture.start({ WEBHOOK_ALLOWED_RANGES: 'loopback', WEBHOOK_RETRY_FOR_MS: '0', WEBHOOK_TIMEOUT_MS: '2000' });
    platform = await s.token('platform', 'prometheus');
    admin = await s.token('admin', 'ops');
    alice = await s.token('owner', 'alice');
  });
  afterAll(async () => {
    await fixture.dispose();
    await receiver.stop();
  });

  async function scrape(token = platform): Promise<Scrape> {
    const res = await s.call(token, 'GET', '/metrics');
    if (res.status !== 200) throw new Error(`GET /metrics: ${res.status} ${res.text}`);
    return parsePrometheus(res.text);
  }

  /** Waits (bounded) until `done` holds: deliveries and projections run in the background. */
  async function until(done: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await done()) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`still waiting for ${what}`);
  }

  const commands = (labels: Record<string, string>) => ['db_addons_commands_total', labels] as const;

  it('answers 401 without a token and 403 to an owner or support; platform and admin read the text format', async () => {
    expectError(await s.call(null, 'GET', '/metrics'), 401, 'AUTH.MISSING_TOKEN');
    expectError(await s.call(alice, 'GET', '/metrics'), 403, 'AUTH.FORBIDDEN');
    expectError(await s.call(await s.token('support', 'sam'), 'GET', '/metrics'), 403, 'AUTH.FORBIDDEN');

    const res = await s.call(admin, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; .*version=0\.0\.4/);
    const metrics = parsePrometheus(res.text);
    for (const name of [
      'db_addons_commands_total',
      'db_addons_command_duration_seconds',
      'db_addons_event_store_append_seconds',
      'db_addons_events_appended_total',
      'db_addons_projection_lag_positions',
      'db_addons_projection_parked',
      'db_addons_saga_backlog',
      'db_addons_saga_lag_positions',
      'db_addons_saga_parked',
      'db_addons_webhook_deliveries',
      'db_addons_webhook_attempts_total',
      'db_addons_http_request_duration_seconds',
      'db_addons_metrics_source_up',
      // The default process metrics, under the same prefix.
      'db_addons_process_cpu_user_seconds_total',
      'db_addons_process_resident_memory_bytes',
      'db_addons_nodejs_eventloop_lag_seconds',
    ]) {
      expect([name, metrics.help.get(name)?.length]).toEqual([name, expect.any(Number)]);
    }
    expect(valueOf(metrics, 'db_addons_process_resident_memory_bytes')).toBeGreaterThan(0);
    // Nothing outside the prefix: the app's registry is its own, not prom-client's global one.
    expect(metrics.samples.filter((m) => !m.name.startsWith('db_addons_'))).toEqual([]);
  });

  it('counts a created app once as ok, with its append; a duplicate as rejected with its code, appending nothing', async () => {
    const before = await scrape();
    const created = await s.call(alice, 'POST', '/v1/apps', { body: { name: 'shop' } });
    expect(created.status).toBe(201);
    const afterCreate = await scrape();
    expect(delta(before, afterCreate, ...commands({ aggregate: 'app', type: 'CreateApp', outcome: 'ok' }))).toBe(1);
    expect(delta(before, afterCreate, 'db_addons_command_duration_seconds_count', { aggregate: 'app', type: 'CreateApp' })).toBe(1);
    expect(delta(before, afterCreate, 'db_addons_event_store_append_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(delta(before, afterCreate, 'db_addons_events_appended_total', { category: 'app' })).toBe(1);

    expectError(await s.call(alice, 'POST', '/v1/apps', { body: { name: 'shop' } }), 409, 'APP.ALREADY_EXISTS');
    const afterDuplicate = await scrape();
    expect(delta(afterCreate, afterDuplicate, ...commands({ aggregate: 'app', type: 'CreateApp', outcome: 'rejected', code: 'APP.ALREADY_EXISTS' }))).toBe(1);
    expect(delta(afterCreate, afterDuplicate, ...commands({ aggregate: 'app', type: 'CreateApp', outcome: 'ok' }))).toBe(0);
    expect(delta(afterCreate, afterDuplicate, 'db_addons_event_store_append_seconds_count', { outcome: 'ok' })).toBe(0);
    // Only a refusal carries a code.
    const codes = samplesOf(afterDuplicate, 'db_addons_commands_total').map((m) => [m.labels.outcome, m.labels.code ?? null]);
    expect(codes).toContainEqual(['ok', null]);
    expect(codes.filter(([outcome, code]) => (outcome === 'rejected') !== (code !== null))).toEqual([]);
  });

  it('counts the commands of GraphQL and of the platform too, a repeat of a platform command as noop', async () => {
    const before = await scrape();
    const gql = await s.call(alice, 'POST', '/graphql', { body: { query: 'mutation { createApp(name: "blog") { position } }' } });
    expect(gql.body.errors).toBeUndefined();
    const addonId = await s.provision(alice, 'blog', 'redis', 'redis-starter-256');
    // The platform reporting the add-on running, and the same report delivered again (at least once).
    const context = s.platformContext();
    await fixture.app.get(CommandBus).execute(new CompleteProvisioningCommand(addonId, context));
    await fixture.app.get(CommandBus).execute(new CompleteProvisioningCommand(addonId, context));
    const after = await scrape();
    expect(delta(before, after, ...commands({ aggregate: 'app', type: 'CreateApp', outcome: 'ok' }))).toBe(1);
    expect(delta(before, after, ...commands({ aggregate: 'app', type: 'AttachAddon', outcome: 'ok' }))).toBe(1);
    expect(delta(before, after, ...commands({ aggregate: 'addon', type: 'ProvisionAddon', outcome: 'ok' }))).toBe(1);
    expect(delta(before, after, ...commands({ aggregate: 'addon', type: 'CompleteProvisioning', outcome: 'ok' }))).toBe(1);
    expect(delta(before, after, ...commands({ aggregate: 'addon', type: 'CompleteProvisioning', outcome: 'noop' }))).toBe(1);
  });

  it('labels HTTP requests by route pattern and status, never by the raw path', async () => {
    const before = await scrape();
    expect((await s.call(alice, 'GET', '/v1/apps/shop')).status).toBe(200);
    expect((await s.call(alice, 'GET', '/v1/apps/blog')).status).toBe(200);
    expect((await s.call(alice, 'GET', `/v1/nothing-here-${randomUUID()}`)).status).toBe(404);
    expect((await s.call(null, 'GET', '/metrics')).status).toBe(401);
    const after = await scrape();
    const count = 'db_addons_http_request_duration_seconds_count';
    expect(delta(before, after, count, { method: 'GET', route: '/v1/apps/:app', status: '200' })).toBe(2);
    expect(delta(before, after, count, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(delta(before, after, count, { method: 'GET', route: '/metrics', status: '401' })).toBe(1);
    expect(valueOf(after, count, { method: 'POST', route: '/graphql', status: '200' })).toBeGreaterThanOrEqual(1);
    const routes = new Set(samplesOf(after, count).map((m) => m.labels.route));
    expect([...routes].filter((r) => /shop|blog|nothing-here/.test(r))).toEqual([]);
  });

  it('counts webhook attempts by outcome and shows the outbox by state, as /health does', async () => {
    const ok = await s.call(alice, 'POST', '/v1/webhooks', { body: { url: receiver.url('/ok'), event_types: ['*'], app: 'shop' } });
    const down = await s.call(alice, 'POST', '/v1/webhooks', { body: { url: receiver.url('/down'), event_types: ['*'], app: 'shop' } });
    expect([ok.status, down.status]).toEqual([201, 201]);
    receiver.expect('/ok', ok.body.secret);
    receiver.expect('/down', down.body.secret);
    receiver.mode('/down', 503);
    const before = await scrape();

    await s.provision(alice, 'shop', 'redis', 'redis-starter-256');
    const head = (await s.head())!;
    const health = async () => (await s.call(null, 'GET', '/health')).body.info.webhooks;
    await until(async () => {
      const w = await health();
      return w.dispatched_up_to !== null && BigInt(w.dispatched_up_to) >= head && w.pending_deliveries === 0;
    }, 'every delivery delivered or dead');

    const after = await scrape();
    const sent = receiver.accepted('/ok').length;
    const refused = receiver.received.filter((r) => r.path === '/down').length;
    expect(sent).toBeGreaterThan(0);
    expect(refused).toBe(sent); // the same events to both
    expect(delta(before, after, 'db_addons_webhook_attempts_total', { outcome: 'delivered' })).toBe(sent);
    expect(delta(before, after, 'db_addons_webhook_attempts_total', { outcome: 'dead' })).toBe(refused);
    expect(delta(before, after, 'db_addons_webhook_attempts_total', { outcome: 'failed' })).toBe(0);
    const outbox = await health();
    expect(outbox).toMatchObject({ delivered: sent, dead_deliveries: refused });
    expect(valueOf(after, 'db_addons_webhook_deliveries', { state: 'delivered' })).toBe(sent);
    expect(valueOf(after, 'db_addons_webhook_deliveries', { state: 'dead' })).toBe(refused);
    expect(valueOf(after, 'db_addons_webhook_deliveries', { state: 'pending' })).toBe(0);
  });

  it('shows each projection\'s lag as the admin list computes it, and the sagas\' lag as /health does, without failing readiness', async () => {
    // Every read model holds the last write (a query about add-ons waits for it); then nothing moves.
    const created = await s.call(alice, 'POST', '/v1/apps', { body: { name: 'docs' } });
    expect((await s.call(alice, 'GET', `/v1/apps/docs/addons?min_position=${created.headers['x-event-position']}`)).status).toBe(200);
    const metrics = await scrape();
    const overview = (await s.call(admin, 'GET', '/v1/admin/projections')).body;
    expect(overview.projections.length).toBeGreaterThan(0);
    for (const p of overview.projections as Array<{ name: string; version: number; lag: string }>) {
      const labels = { projection: p.name, version: String(p.version) };
      expect([p.name, valueOf(metrics, 'db_addons_projection_lag_positions', labels)]).toEqual([p.name, Number(p.lag)]);
      expect([p.name, p.lag]).toEqual([p.name, '0']);
      expect([p.name, valueOf(metrics, 'db_addons_projection_parked', labels)]).toEqual([p.name, 0]);
    }

    // The runtime is off: the sagas' checkpoint never moved, they are behind by the whole log they follow.
    const [last] = await s.store.readAll({ direction: 'backwards', maxCount: 1, filter: { streamPrefixes: ['addon-', 'app-'] } });
    expect(valueOf(metrics, 'db_addons_saga_lag_positions')).toBe(Number(last.position));
    expect(valueOf(metrics, 'db_addons_saga_parked')).toBe(0);
    expect(['pending', 'running', 'dead'].map((state) => valueOf(metrics, 'db_addons_saga_backlog', { state }))).toEqual([0, 0, 0]);
    const health = await s.call(null, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.info.platform).toMatchObject({ status: 'up', sagas_checkpoint: null, sagas_lag: last.position.toString() });
  });

  it('shows a parked projection as 1, falling behind as the log grows', async () => {
    // An event our deciders would never write: a plan the catalogue does not know.
    const id = randomUUID();
    const meta = { $correlationId: randomUUID(), $causationId: randomUUID(), actor: 'admin:import', occurredAt: new Date().toISOString(), schemaVersion: 1 };
    const { position } = await s.store.append(
      `addon-${id}`,
      [{ id: randomUUID(), type: 'AddonProvisioned', data: { addonId: id, appName: 'shop', planId: 'imported-plan', at: meta.occurredAt }, metadata: meta }],
      { expectedRevision: 'no_stream' },
    );
    const backups = { projection: 'backups', version: '1' };
    let metrics = await scrape();
    await until(async () => valueOf((metrics = await scrape()), 'db_addons_projection_parked', backups) === 1, 'the backups projection to park');
    const lagAtPark = valueOf(metrics, 'db_addons_projection_lag_positions', backups)!;
    expect(lagAtPark).toBeGreaterThanOrEqual(1);

    await s.createApp(alice, 'later');
    const head = (await s.head())!;
    metrics = await scrape();
    expect(head).toBeGreaterThan(position);
    expect(valueOf(metrics, 'db_addons_projection_lag_positions', backups)).toBe(lagAtPark + Number(head - position));
    expect(valueOf(metrics, 'db_addons_projection_parked', { projection: 'audit', version: '1' })).toBe(0);
  });

  it('still answers when the event store does not: lags are left out, what the other sources know stays', async () => {
    await fixture.app.get(EventStore).close();
    const metrics = await scrape();
    expect(samplesOf(metrics, 'db_addons_saga_lag_positions')).toEqual([]);
    expect(samplesOf(metrics, 'db_addons_projection_lag_positions')).toEqual([]);
    expect(valueOf(metrics, 'db_addons_saga_backlog', { state: 'pending' })).toBe(0);
    expect(valueOf(metrics, 'db_addons_projection_parked', { projection: 'backups', version: '1' })).toBe(1);
    expect(valueOf(metrics, 'db_addons_webhook_deliveries', { state: 'dead' })).toBeGreaterThan(0);
    expect(['runtime', 'read_models', 'webhooks'].map((source) => valueOf(metrics, 'db_addons_metrics_source_up', { source }))).toEqual([1, 1, 1]);
  });
});
