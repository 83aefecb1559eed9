import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { EventStore, StoredEvent } from '../../src/event-store/event-store.port';
import { EventScopes } from '../../src/public-events/event-scopes';
import { PUBLIC_STREAMS, toPublicEvent } from '../../src/public-events/public-event';
import { PublicEvent } from '../../src/public-events/public-event.schemas';
import { schemaFiles } from '../../src/public-events/schema-files';
import { deliveryIdOf } from '../../src/webhooks/delivery/webhook-dispatcher';
import { WebhookReceiver } from '../support/webhook-receiver';
import { AppFixture } from './app-fixture';
import { expectError, failingFields, Scenario } from './scenario';

/**
 * Webhooks over the real app and a real HTTP receiver on loopback (the only range the
 * configuration allows here): every event once, in order per add-on, each signature
 * checked with the `standardwebhooks` library; a receiver down for a while gets
 * everything once it is back; a delivery past its retry window is dead-lettered and
 * redelivered on request under the same id; owners see their own webhooks and apps only.
 */
describe('Webhooks', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  const receiver = new WebhookReceiver();
  const ajv = addFormats(new Ajv({ allErrors: true }));
  const validators = new Map(schemaFiles().map(({ content }) => [JSON.parse(content).title as string, ajv.compile(JSON.parse(content))]));
  let alice: string;
  let bob: string;
  let support: string;
  let admin: string;
  let aliceA: string;
  let aliceB: string;
  let bobA: string;
  let password: string;
  /** Alice's first webhook: every event of her apps. */
  let aliceHook: string;

  const body = (r: { body: string }) => JSON.parse(r.body) as PublicEvent;

  /** The public events the log holds after `after`, for a webhook that sees what `sees` lets through. */
  async function expected(after: bigint, sees: (e: PublicEvent) => boolean): Promise<Array<PublicEvent & { stored: StoredEvent }>> {
    const store = fixture.app.get(EventStore);
    const scopes = fixture.app.get(EventScopes);
    const events = (await store.readAll({ fromPosition: after, filter: PUBLIC_STREAMS })).filter((e) => e.position > after);
    const out: Array<PublicEvent & { stored: StoredEvent }> = [];
    for (const stored of events) {
      const scope = await scopes.of(stored);
      const published = scope && toPublicEvent(stored, scope);
      if (published && sees(published)) out.push({ ...published, stored });
    }
    return out;
  }

  /** Some activity on an add-on: its backup hour, a feature on and off, its maintenance window. */
  async function activity(owner: string, app: string, addonId: string, hour: number) {
    const base = `/v1/apps/${app}/addons/${addonId}`;
    for (const [method, path, payload] of [
      ['PUT', `${base}/backup-schedule`, { enabled: true, scheduled_at: hour + 12 }],
      ['PUT', `${base}/features/force-tls`, undefined],
      ['DELETE', `${base}/features/force-tls`, undefined],
      ['PUT', `${base}/maintenance-window`, { weekday_utc: 2, starting_hour_utc: hour }],
    ] as const) {
      const res = await s.call(owner, method, path, payload === undefined ? {} : { body: payload });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    }
  }

  async function createWebhook(token: string, path: string, body: Record<string, unknown> = {}) {
    const res = await s.call(token, 'POST', '/v1/webhooks', { body: { url: receiver.url(path), event_types: ['*'], ...body } });
    if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${res.text}`);
    const secret: string = (body.secret as string | undefined) ?? res.body.secret;
    receiver.expect(path, secret);
    return { id: res.body.webhook.id as string, position: BigInt(res.headers['x-event-position']), secret, res };
  }

  /** Each add-on's (or app's) events in log order, as a receiver saw them. */
  const byKey = (events: PublicEvent[]) => {
    const keys = new Map<string, string[]>();
    for (const e of events) keys.set(e.addon_id ?? `app:${e.app}`, [...(keys.get(e.addon_id ?? `app:${e.app}`) ?? []), e.position]);
    return keys;
  };

  beforeAll(async () => {
    await receiver.start();
    await fixture.start({
      WEBHOOK_ALLOWED_RANGES: 'loopback',
      WEBHOOK_RETRY_BASE_MS: '50',
      WEBHOOK_RETRY_MAX_MS: '300',
      WEBHOOK_RETRY_FOR_MS: '4000',
      WEBHOOK_TIMEOUT_MS: '2000',
    });
    alice = await s.token('owner', 'alice');
    bob = await s.token('owner', 'bob');
    support = await s.token('support', 'sam');
    admin = await s.token('admin', 'ops');
    await s.createApp(alice, 'shop');
    await s.createApp(bob, 'bobs');
    aliceA = await s.runningAddon(alice, 'shop', 'postgresql', 'postgresql-starter-256');
    const variables = await s.call(alice, 'GET', '/v1/apps/shop/variables');
    const url = (variables.body.variables as Array<{ value: string }>).map((v) => v.value).find((v) => v.includes('://'))!;
    password = decodeURIComponent(new URL(url).password);
    bobA = await s.runningAddon(bob, 'bobs', 'redis', 'redis-starter-256');
  });
  afterAll(async () => {
    await fixture.dispose();
    await receiver.stop();
  });

  it('delivers every event of the owner\'s apps once, in order per add-on, signed, as published', async () => {
    const hook = await createWebhook(alice, '/alice');
    aliceHook = hook.id;
    expect(hook.res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(hook.res.body.webhook).toMatchObject({ url: receiver.url('/alice'), event_types: ['*'], app: null, owner: 'owner:alice', status: 'active' });
    expect(JSON.stringify((await s.call(alice, 'GET', `/v1/webhooks/${hook.id}`)).body)).not.toContain(hook.secret.slice(6));

    aliceB = await s.runningAddon(alice, 'shop', 'redis', 'redis-starter-256');
    await Promise.all([activity(alice, 'shop', aliceA, 3), activity(alice, 'shop', aliceB, 4), activity(bob, 'bobs', bobA, 5)]);

    const want = await expected(hook.position, (e) => e.app === 'shop');
    expect(want).toHaveLength(12); // the second add-on provisioned (4), and four changes on each
    await receiver.until(() => receiver.accepted('/alice').length >= want.length, `${want.length} deliveries`);
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more comes
    const got = receiver.accepted('/alice');
    expect(got.every((r) => r.verified)).toBe(true);
    // Once each, with the delivery id the outbox derives from the webhook and the event.
    expect(got.map((r) => r.deliveryId).sort()).toEqual(want.map((e) => deliveryIdOf(hook.id, e.id)).sort());
    expect(new Set(got.map((r) => r.deliveryId)).size).toBe(got.length);
    // The published shape, and the schema of its type; never bob's, never a password.
    const events = got.map(body);
    expect([...events].sort((a, b) => Number(BigInt(a.position) - BigInt(b.position)))).toEqual(want.map(({ stored: _stored, ...e }) => e));
    for (const event of events) expect(validators.get(event.type)!(event)).toBe(true);
    expect(events.some((e) => e.app === 'bobs')).toBe(false);
    expect(got.some((r) => r.body.includes(password))).toBe(false);
    // In order per add-on: each key's positions arrive increasing.
    for (const [key, positions] of byKey(events)) expect({ key, positions }).toEqual({ key, positions: [...positions].sort((a, b) => Number(BigInt(a) - BigInt(b))) });
    expect(byKey(events).size).toBeGreaterThanOrEqual(3); // two add-ons and the app itself

    // The delivery log: each delivered at the first attempt.
    const log = await s.call(alice, 'GET', `/v1/webhooks/${hook.id}/deliveries?limit=500`);
    expect(log.status).toBe(200);
    expect(log.body.deliveries).toHaveLength(want.length);
    expect(log.body.deliveries.every((d: { state: string; attempts: number; last_status: number }) => d.state === 'delivered' && d.attempts === 1 && d.last_status === 204)).toBe(true);
  });

  it('a receiver down for a while gets everything once it is back, still in order per add-on', async () => {
    const types = ['BackupScheduleSet', 'FeatureEnabled', 'FeatureDisabled', 'MaintenanceWindowSet'];
    const hook = await createWebhook(alice, '/flaky', { event_types: types });
    receiver.mode('/flaky', 503);
    await Promise.all([activity(alice, 'shop', aliceA, 6), activity(alice, 'shop', aliceB, 7)]);
    const want = await expected(hook.position, (e) => e.app === 'shop' && types.includes(e.type));
    expect(want).toHaveLength(8);
    // Refused and retried: one delivery per add-on at a time, the others wait their turn.
    await receiver.until(() => receiver.received.filter((r) => r.path === '/flaky').length >= 6, 'retries');
    const refused = receiver.received.filter((r) => r.path === '/flaky');
    expect(new Set(refused.map((r) => r.deliveryId)).size).toBeLessThanOrEqual(2);
    const pending = await s.call(alice, 'GET', `/v1/webhooks/${hook.id}/deliveries?state=pending`);
    expect(pending.body.deliveries).toHaveLength(8);
    expect(pending.body.deliveries.some((d: { attempts: number; last_status: number; last_error: string }) => d.attempts >= 2 && d.last_status === 503 && d.last_error === 'answered 503')).toBe(true);

    receiver.mode('/flaky', 'hang-up');
    await new Promise((resolve) => setTimeout(resolve, 300));
    receiver.mode('/flaky', 'up');
    await receiver.until(() => receiver.accepted('/flaky').length >= 8, 'the backlog');
    const got = receiver.accepted('/flaky');
    expect(got.every((r) => r.verified)).toBe(true);
    expect(got.map((r) => r.deliveryId).sort()).toEqual(want.map((e) => deliveryIdOf(hook.id, e.id)).sort());
    for (const [key, positions] of byKey(got.map(body))) {
      expect({ key, positions }).toEqual({ key, positions: want.filter((e) => (e.addon_id ?? `app:${e.app}`) === key).map((e) => e.position) });
    }
    // A retry is the same delivery: what was refused came again under its id.
    for (const r of refused) expect(got.map((g) => g.deliveryId)).toContain(r.deliveryId);
  });

  it('past its retry window a delivery is dead-lettered; redelivered on request, it comes again with the same id', async () => {
    const hook = await createWebhook(alice, '/dead', { event_types: ['FeatureEnabled'], app: 'shop' });
    receiver.mode('/dead', 500);
    const before = await s.head();
    expect((await s.call(alice, 'PUT', `/v1/apps/shop/addons/${aliceA}/features/internet-access`)).status).toBe(200);
    const [event] = (await s.since(before)).filter((e) => e.type === 'FeatureEnabled');
    const deliveryId = deliveryIdOf(hook.id, event.id);
    const deadline = Date.now() + 15_000;
    let dead: { state: string; attempts: number } | undefined;
    while (Date.now() < deadline) {
      dead = (await s.call(alice, 'GET', `/v1/webhooks/${hook.id}/deliveries/${deliveryId}`)).body.delivery;
      if (dead?.state === 'dead') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(dead).toMatchObject({ state: 'dead', last_status: 500 });
    const detail = (await s.call(support, 'GET', `/v1/webhooks/${hook.id}/deliveries/${deliveryId}`)).body.delivery;
    expect(detail.attempt_log.length).toBe(detail.attempts);
    expect(detail.attempt_log.every((a: { status: number }) => a.status === 500)).toBe(true);
    expect(detail.payload).toMatchObject({ type: 'FeatureEnabled', id: event.id, data: { feature: 'internet-access' } });
    expect((await s.call(alice, 'GET', `/v1/webhooks/${hook.id}/deliveries?state=dead`)).body.deliveries.map((d: { id: string }) => d.id)).toEqual([deliveryId]);

    // Operators see it in /health (which stays up: the receiver is the one in trouble).
    const health = await s.call(null, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.info.webhooks).toMatchObject({ status: 'up', dead_deliveries: 1 });
    // Support reads, and cannot redeliver; bob cannot see it; alice can.
    expectError(await s.call(support, 'POST', `/v1/webhooks/${hook.id}/deliveries/${deliveryId}/redeliver`), 403, 'AUTH.FORBIDDEN');
    expectError(await s.call(bob, 'POST', `/v1/webhooks/${hook.id}/deliveries/${deliveryId}/redeliver`), 404, 'WEBHOOK.NOT_FOUND');
    receiver.mode('/dead', 'up');
    const redelivered = await s.call(alice, 'POST', `/v1/webhooks/${hook.id}/deliveries/${deliveryId}/redeliver`);
    expect(redelivered.status).toBe(202);
    expect(redelivered.headers.location).toBe(`/v1/webhooks/${hook.id}/deliveries/${deliveryId}`);
    await receiver.until(() => receiver.accepted('/dead').length === 1, 'the redelivery');
    expect(receiver.accepted('/dead')[0]).toMatchObject({ deliveryId, verified: true });
    const after = (await s.call(alice, 'GET', `/v1/webhooks/${hook.id}/deliveries/${deliveryId}`)).body.delivery;
    expect(after).toMatchObject({ state: 'delivered', last_status: 204 });
    expectError(await s.call(alice, 'POST', `/v1/webhooks/${hook.id}/deliveries/00000000-0000-4000-8000-000000000000/redeliver`), 404, 'WEBHOOK_DELIVERY.NOT_FOUND');
  });

  it("an admin's webhook sees every app; an owner lists and reaches only their own webhooks", async () => {
    const hook = await createWebhook(admin, '/admin', { event_types: ['BackupRequested'] });
    await Promise.all([s.call(alice, 'POST', `/v1/apps/shop/addons/${aliceA}/backups`), s.call(bob, 'POST', `/v1/apps/bobs/addons/${bobA}/backups`)]);
    await receiver.until(() => receiver.accepted('/admin').length >= 2, 'both apps');
    expect(new Set(receiver.accepted('/admin').map((r) => body(r).app))).toEqual(new Set(['shop', 'bobs']));

    const mine = await s.call(alice, 'GET', '/v1/webhooks');
    expect(mine.body.webhooks.every((w: { owner: string }) => w.owner === 'owner:alice')).toBe(true);
    expect(mine.body.webhooks.length).toBe(3);
    expect((await s.call(bob, 'GET', '/v1/webhooks')).body.webhooks).toEqual([]);
    expect((await s.call(support, 'GET', '/v1/webhooks')).body.webhooks.length).toBe(4);
    const foreign = await s.call(bob, 'GET', `/v1/webhooks/${mine.body.webhooks[0].id}`);
    const missing = await s.call(bob, 'GET', '/v1/webhooks/00000000-0000-4000-8000-000000000000');
    expectError(foreign, 404, 'WEBHOOK.NOT_FOUND');
    expect(foreign.body).toEqual(missing.body);
    expect(JSON.stringify((await s.call(support, 'GET', '/v1/webhooks')).body)).not.toMatch(/whsec_|ciphertext/);
  });

  it('after DELETE nothing more is delivered', async () => {
    const hook = await createWebhook(alice, '/gone', { event_types: ['FeatureEnabled'] });
    expect((await s.call(alice, 'PUT', `/v1/apps/shop/addons/${aliceB}/features/internet-access`)).status).toBe(200);
    await receiver.until(() => receiver.accepted('/gone').length === 1, 'the first');
    expectError(await s.call(support, 'DELETE', `/v1/webhooks/${hook.id}`), 403, 'AUTH.FORBIDDEN');
    const deleted = await s.call(alice, 'DELETE', `/v1/webhooks/${hook.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.webhook).toMatchObject({ status: 'deleted' });
    const before = await s.head();
    expect((await s.call(alice, 'PUT', `/v1/apps/shop/addons/${aliceB}/features/force-tls`)).status).toBe(200);
    const [enabled] = (await s.since(before)).filter((e) => e.type === 'FeatureEnabled');
    // Once alice's other webhook has it, the deleted one would have had it too.
    await receiver.until(() => receiver.accepted('/alice').some((r) => r.deliveryId === deliveryIdOf(aliceHook, enabled.id)), 'the other webhook');
    expect(receiver.accepted('/gone')).toHaveLength(1);
    expectError(await s.call(alice, 'DELETE', `/v1/webhooks/${hook.id}`), 404, 'WEBHOOK.NOT_FOUND');
    expect((await s.call(alice, 'GET', `/v1/webhooks/${hook.id}`)).body.webhook).toMatchObject({ status: 'deleted' });
  });

  it('keeps a signing secret sealed: never in the log, the read models, the outbox, the logs or an answer after the first', async () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const hook = await createWebhook(alice, '/sealed', { secret, event_types: ['AddonRunning'] });
    expect(hook.res.body.secret).toBeUndefined(); // given, so not shown back
    const raw = secret.slice('whsec_'.length);
    for (const file of ['events.sqlite', 'read.sqlite', 'webhooks.sqlite']) expect(fixture.fileText(file)).not.toContain(raw);
    expect(fixture.logText()).not.toContain(raw);
    for (const path of ['/v1/webhooks', `/v1/webhooks/${hook.id}`, `/v1/webhooks/${hook.id}/deliveries`]) {
      expect((await s.call(alice, 'GET', path)).text).not.toContain(raw);
    }
  });

  it('GET /v1/event-types publishes every public type with the very schema committed in the repository', async () => {
    const res = await s.call(bob, 'GET', '/v1/event-types');
    expect(res.status).toBe(200);
    const files = schemaFiles().map(({ content }) => JSON.parse(content) as { title: string; $schema: string });
    expect(res.body.event_types.map((t: { type: string }) => t.type).sort()).toEqual(files.map((f) => f.title).sort());
    for (const { $schema: _draft, ...schema } of files) {
      expect(res.body.event_types.find((t: { type: string }) => t.type === schema.title).schema).toEqual(schema);
    }
    const one = await s.call(support, 'GET', '/v1/event-types/BackupTaken');
    expect(one.body.event_type).toMatchObject({ type: 'BackupTaken', schema_version: 2 });
    expectError(await s.call(bob, 'GET', '/v1/event-types/TokenIssued'), 404, 'EVENT_TYPE.NOT_FOUND');
    expectError(await s.call(null, 'GET', '/v1/event-types'), 401, 'AUTH.MISSING_TOKEN');
  });

  it('refuses targets on private, link-local or loopback-looking addresses, bad URLs and bad input, writing nothing', async () => {
    const head = await s.head();
    const refuse = async (token: string, payload: Record<string, unknown>, status: number, code: string) => {
      const res = await s.call(token, 'POST', '/v1/webhooks', { body: { event_types: ['*'], ...payload } });
      expectError(res, status, code);
      return res;
    };
    const forbidden = await refuse(alice, { url: 'http://10.1.2.3/hook' }, 422, 'WEBHOOK.TARGET_FORBIDDEN');
    expect(forbidden.body.error.details).toEqual({ host: '10.1.2.3', range: 'private' });
    await refuse(alice, { url: 'http://169.254.169.254/latest/meta-data' }, 422, 'WEBHOOK.TARGET_FORBIDDEN');
    await refuse(alice, { url: 'http://[fd00::1]/hook' }, 422, 'WEBHOOK.TARGET_FORBIDDEN');
    await refuse(alice, { url: 'http://[::ffff:192.168.1.1]/hook' }, 422, 'WEBHOOK.TARGET_FORBIDDEN');
    await refuse(alice, { url: 'http://0.0.0.0/hook' }, 422, 'WEBHOOK.TARGET_FORBIDDEN');
    await refuse(alice, { url: 'https://no-such-host.invalid/hook' }, 422, 'WEBHOOK.TARGET_UNRESOLVABLE');
    await refuse(alice, { url: 'ftp://example.com/hook' }, 400, 'WEBHOOK.INVALID_URL');
    await refuse(alice, { url: 'https://user:pw@example.com/hook' }, 400, 'WEBHOOK.INVALID_URL');
    await refuse(alice, { url: 'not a url' }, 400, 'WEBHOOK.INVALID_URL');
    await refuse(alice, { url: receiver.url('/x'), app: 'bobs' }, 404, 'APP.NOT_FOUND');
    await refuse(support, { url: receiver.url('/x') }, 403, 'AUTH.FORBIDDEN');
    expect(failingFields(await s.call(alice, 'POST', '/v1/webhooks', { body: { url: receiver.url('/x'), event_types: ['NoSuchEvent'], secret: 'short', extra: 1 } }))).toEqual([
      'event_types',
      'extra',
      'secret',
    ]);
    expect(failingFields(await s.call(alice, 'POST', '/v1/webhooks', { body: { url: receiver.url('/x'), event_types: [] } }))).toEqual(['event_types']);
    expect(await s.since(head)).toEqual([]);
  });
});
