import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { EventStore } from '../../src/event-store/event-store.port';
import { FeedService } from '../../src/feed/feed.service';
import { addonOf, PUBLIC_STREAMS, toPublicEvent } from '../../src/public-events/public-event';
import type { PublicEvent } from '../../src/public-events/public-event.schemas';
import { schemaFiles } from '../../src/public-events/schema-files';
import { ADMIN_TOKEN, AppFixture, bearer } from './app-fixture';
import { Scenario } from './scenario';
import { SseClient, SseOpenOptions } from './sse-client';

/**
 * `GET /v1/events` over real HTTP, read as a stream by a small EventSource: resuming with
 * `Last-Event-ID` gives exactly what was missed; an owner sees only their apps; filters;
 * heartbeats; every event matches its published schema and never holds a password; the app
 * stops promptly with feeds open.
 */

const MISSING_ADDON = '00000000-0000-4000-8000-000000000000';
const HEARTBEAT = /^heartbeat \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Every event of the log after `after`, as the feed shows it to one who sees everything (the scope read from the log here, not by the app's code). */
async function publicLog(store: EventStore, after: bigint | 'start' = 'start'): Promise<PublicEvent[]> {
  const events = await store.readAll({ filter: PUBLIC_STREAMS });
  const appOfAddon = new Map(events.filter((e) => e.type === 'AddonProvisioned').map((e) => [e.stream.slice('addon-'.length), (e.data as { appName: string }).appName]));
  return events
    .filter((e) => after === 'start' || e.position > after)
    .map((e) => toPublicEvent(e, { app: e.stream.startsWith('app-') ? e.stream.slice('app-'.length) : appOfAddon.get(e.stream.slice('addon-'.length))!, addonId: addonOf(e) }))
    .filter((e): e is PublicEvent => e !== null);
}

/** Resolves once `check` holds, looking again every few milliseconds; fails after `timeoutMs` (a guard, not a measure). */
async function eventually(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); ) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Until the client holds `expected.length` events, then exactly `expected`, each under its position as id. */
async function expectExactly(client: SseClient, expected: readonly PublicEvent[], what: string): Promise<void> {
  await client.until((c) => c.events.length >= expected.length, `${expected.length} events (${what})`);
  expect(client.parsed()).toEqual(expected);
  expect(client.events.map((e) => e.id)).toEqual(expected.map((e) => e.position));
}

describe('GET /v1/events (Server-Sent Events)', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  const clients: SseClient[] = [];
  const tokens = {} as Record<'alice' | 'bob' | 'support' | 'platform', string>;
  const addons = {} as Record<'alice' | 'bob', string>;
  const passwords: string[] = [];

  const feed = async (token: string, query = '', options: SseOpenOptions = {}) => {
    const client = await SseClient.open(fixture.http(), `/v1/events${query}`, { ...options, headers: { ...bearer(token), ...options.headers } });
    clients.push(client);
    return client;
  };
  /** An answer that must not be a stream: its status, body, and that nothing was streamed. */
  const refused = async (token: string, query: string, headers: Record<string, string> = {}) => {
    const client = await feed(token, query, { headers });
    expect(client.headers['content-type']).toMatch(/^application\/json/);
    expect(client.events).toEqual([]);
    return client;
  };
  const fieldsOf = (client: SseClient) => {
    expect([client.status, client.json.error?.code]).toEqual([400, 'VALIDATION.FAILED']);
    return (client.json.error!.details.fields as Array<{ field: string }>).map((f) => f.field).sort();
  };
  const ok = (status: number, expected: number) => expect(status).toBe(expected);
  const log = (after?: bigint | 'start') => publicLog(s.store, after);

  const toggle = async (token: string, app: string, addon: string) => {
    ok((await s.call(token, 'PUT', `/v1/apps/${app}/addons/${addon}/features/force-tls`)).status, 200);
    ok((await s.call(token, 'DELETE', `/v1/apps/${app}/addons/${addon}/features/force-tls`)).status, 200);
  };
  const setWindow = async (token: string, app: string, addon: string, weekday: number) =>
    ok((await s.call(token, 'PUT', `/v1/apps/${app}/addons/${addon}/maintenance-window`, { body: { weekday_utc: weekday, starting_hour_utc: 10 } })).status, 200);
  const alicesActivity = (weekday = 2) => setWindow(tokens.alice, 'shop', addons.alice, weekday);
  const bobsActivity = () => toggle(tokens.bob, 'bobs', addons.bob);

  beforeAll(async () => {
    await fixture.start({ FEED_HEARTBEAT_MS: '200', DRIVER_LATENCY_SCALE: '0' });
    tokens.alice = await s.token('owner', 'alice');
    tokens.bob = await s.token('owner', 'bob');
    tokens.support = await s.token('support', 'sam');
    tokens.platform = await s.token('platform', 'monitor');
    await s.createApp(tokens.alice, 'shop');
    await s.createApp(tokens.bob, 'bobs');
    addons.alice = await s.runningAddon(tokens.alice, 'shop', 'redis', 'redis-starter-256');
    addons.bob = await s.runningAddon(tokens.bob, 'bobs', 'postgresql', 'postgresql-starter-256');
    for (const [who, app] of [['alice', 'shop'], ['bob', 'bobs']] as const) {
      const variables = await s.call(tokens[who], 'GET', `/v1/apps/${app}/variables`);
      const url = (variables.body.variables as Array<{ value: string }>).map((v) => v.value).find((v) => v.includes('://'))!;
      passwords.push(decodeURIComponent(new URL(url).password));
    }
    await toggle(tokens.alice, 'shop', addons.alice);
    await bobsActivity();
    await alicesActivity(3);
  });
  afterEach(async () => {
    await Promise.all(clients.filter((c) => c.status === 200).map((c) => c.close()));
  });
  afterAll(() => fixture.dispose());

  it('a client that goes away mid-stream and comes back with Last-Event-ID receives exactly the events it missed, then the new ones', async () => {
    const whole = await log();
    const from = BigInt(whole[1].position);
    const afterFrom = await log(from);
    expect(afterFrom.length).toBeGreaterThan(10);

    // Three events into the catch-up, the client goes away (what else had arrived is dropped).
    const first = await feed(tokens.support, `?after=${from}`, { stopAfter: 3 });
    await first.ended;
    expect(first.parsed()).toEqual(afterFrom.slice(0, 3));
    const lastSeen = first.events[2].id!;
    // The server lets go of it (its subscription to the log is closed).
    await eventually(() => fixture.app.get(FeedService).openCount === 0, 'the feed released');

    // Meanwhile, more happens.
    await alicesActivity(4);
    await bobsActivity();

    // Back, as EventSource reconnects: the original URL, and the last id seen.
    const second = await feed(tokens.support, `?after=${from}`, { headers: { 'Last-Event-ID': lastSeen } });
    const missed = await log(BigInt(lastSeen));
    expect(missed.length).toBeGreaterThan(afterFrom.length - 3);
    await expectExactly(second, missed, 'the missed events');

    // Then live.
    await alicesActivity(5);
    const expected = await log(BigInt(lastSeen));
    expect(expected.length).toBeGreaterThan(missed.length);
    await expectExactly(second, expected, 'the missed events and the new one');
    // Together: the log after the first `after`, no gap, no duplicate, in order.
    expect([...first.parsed(), ...second.parsed()]).toEqual(await log(from));
  });

  it('without a position, only what happens from now on; after=0, the whole log', async () => {
    const live = await feed(tokens.support);
    const now = await s.head();
    const whole = await feed(tokens.support, '?after=0');
    await alicesActivity(6);
    await expectExactly(live, await log(now!), 'the new events');
    await expectExactly(whole, await log(), 'the whole log');
  });

  it("an owner's feed carries only their own apps' events; support, platform and admin see everyone's", async () => {
    const aliceFeed = await feed(tokens.alice, '?after=0');
    const bobFeed = await feed(tokens.bob, '?after=0');
    const others = await Promise.all([tokens.support, tokens.platform, ADMIN_TOKEN].map((token) => feed(token, '?after=0')));
    // Interleaved, live.
    await bobsActivity();
    await alicesActivity(1);
    await bobsActivity();
    const all = await log();
    const ofApp = (app: string) => all.filter((e) => e.app === app);
    expect(ofApp('shop').length).toBeGreaterThan(5);
    expect(ofApp('bobs').length).toBeGreaterThan(5);
    await expectExactly(aliceFeed, ofApp('shop'), "alice's");
    await expectExactly(bobFeed, ofApp('bobs'), "bob's");
    for (const other of others) await expectExactly(other, all, 'everything');
    expect(aliceFeed.raw).not.toContain(addons.bob);
    expect(aliceFeed.raw).not.toContain('bobs');
    expect(bobFeed.raw).not.toContain(addons.alice);
  });

  it('filters by app, add-on and type (two types), within what the caller may see', async () => {
    const all = await log();
    const types = ['FeatureEnabled', 'MaintenanceWindowSet'];
    const cases: Array<[string, string, PublicEvent[]]> = [
      [tokens.alice, '?after=0&app=shop', all.filter((e) => e.app === 'shop')],
      [tokens.support, '?after=0&app=bobs', all.filter((e) => e.app === 'bobs')],
      [tokens.alice, `?after=0&addon=${addons.alice}`, all.filter((e) => e.addon_id === addons.alice)],
      [tokens.support, `?after=0&app=bobs&addon=${addons.bob}`, all.filter((e) => e.addon_id === addons.bob)],
      [tokens.support, `?after=0&type=${types.join(',')}`, all.filter((e) => types.includes(e.type))],
      [tokens.bob, `?after=0&type=${types.join(',')}`, all.filter((e) => types.includes(e.type) && e.app === 'bobs')],
    ];
    for (const [token, query, expected] of cases) {
      // Each filter keeps something and leaves something out.
      expect([query, expected.length > 0 && expected.length < all.length]).toEqual([query, true]);
      await expectExactly(await feed(token, query), expected, query);
    }
    // The add-on's app events that name it are its own: AddonAttached is there.
    expect(all.filter((e) => e.addon_id === addons.alice).map((e) => e.type)).toEqual(expect.arrayContaining(['AddonAttached', 'AddonProvisioned', 'FeatureEnabled']));
  });

  it("another owner's app or add-on answers 404 exactly as a missing one, and nothing is streamed", async () => {
    const pairs: Array<[string, string, string]> = [
      ['?app=shop', '?app=no-such-app', 'APP.NOT_FOUND'],
      [`?addon=${addons.alice}`, `?addon=${MISSING_ADDON}`, 'ADDON.NOT_FOUND'],
      [`?app=bobs&addon=${addons.alice}`, `?app=bobs&addon=${MISSING_ADDON}`, 'ADDON.NOT_FOUND'],
      [`?app=shop&addon=${addons.alice}`, `?app=no-such-app&addon=${addons.alice}`, 'APP.NOT_FOUND'],
    ];
    for (const [foreignQuery, missingQuery, code] of pairs) {
      const foreign = await refused(tokens.bob, `${foreignQuery}&after=0`);
      const missing = await refused(tokens.bob, `${missingQuery}&after=0`);
      expect([foreignQuery, foreign.status, foreign.json.error?.code]).toEqual([foreignQuery, 404, code]);
      expect(foreign.json).toEqual(missing.json);
    }
  });

  it('refuses bad input with 400 naming every failing field, and streams nothing', async () => {
    const cases: Array<[string, string[]]> = [
      ['?after=abc', ['after']],
      ['?after=-1', ['after']],
      ['?after=', ['after']],
      ['?type=BackupTook', ['type']],
      ['?type=FeatureEnabled,', ['type']],
      ['?type=FeatureEnabled&type=FeatureDisabled', ['type']],
      ['?addon=not-an-id', ['addon']],
      ['?app=Not_An_App', ['app']],
      ['?since=3', ['since']],
      ['?after=x&type=Nope&addon=1&app=%20', ['addon', 'after', 'app', 'type']],
    ];
    for (const [query, fields] of cases) {
      expect([query, fieldsOf(await refused(tokens.support, query))]).toEqual([query, fields]);
    }
    // The unknown types are named; the known one is not blamed.
    const unknown = await refused(tokens.support, '?type=FeatureEnabled,BackupTook,Nope');
    expect(unknown.json.error?.details.fields).toEqual([{ field: 'type', messages: [expect.stringMatching(/unknown event types: BackupTook, Nope\b/)] }]);
    expect(JSON.stringify(unknown.json)).not.toContain('FeatureEnabled');

    const header = await refused(tokens.support, '?after=0', { 'Last-Event-ID': 'abc' });
    expect([header.status, header.json.error?.code, header.json.error?.details]).toEqual([400, 'REQUEST.INVALID_HEADER', { header: 'Last-Event-ID' }]);
    const noToken = await SseClient.open(fixture.http(), '/v1/events?after=0');
    expect([noToken.status, noToken.json.error?.code]).toEqual([401, 'AUTH.MISSING_TOKEN']);
  });

  it('sends its headers at once, a retry hint, and a heartbeat comment every FEED_HEARTBEAT_MS while nothing happens', async () => {
    // Resolved on the headers alone: nothing else has been written yet but the retry hint.
    const quiet = await feed(tokens.alice);
    expect(quiet.headers).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    expect(quiet.headers['x-request-id']).toEqual(expect.any(String));
    await quiet.until((c) => c.comments.length >= 2, 'two heartbeats');
    expect(quiet.retry).toBe(3_000);
    expect(quiet.comments.slice(0, 2)).toEqual([expect.stringMatching(HEARTBEAT), expect.stringMatching(HEARTBEAT)]);
    expect(quiet.events).toEqual([]);
  });

  it('is described in the OpenAPI document: text/event-stream, after, type, app, addon and Last-Event-ID, every role', async () => {
    const { body } = await s.call(tokens.support, 'GET', '/docs/json');
    const operation = body.paths['/v1/events'].get;
    expect(Object.keys(operation.responses['200'].content)).toEqual(['text/event-stream']);
    expect(operation.parameters.map((p: { name: string; in: string }) => `${p.in} ${p.name}`)).toEqual(
      expect.arrayContaining(['query after', 'query type', 'query app', 'query addon', 'header Last-Event-ID']),
    );
    expect(operation['x-roles']).toEqual(['owner', 'support', 'platform', 'admin']);
  });

  it('every event received here validates against its published schema, and none holds a database password', () => {
    const ajv = addFormats(new Ajv({ allErrors: true, strict: true }));
    const validators = new Map<string, ValidateFunction>(
      schemaFiles().map(({ content }) => {
        const schema = JSON.parse(content) as { title: string };
        return [schema.title, ajv.compile(schema)];
      }),
    );
    const received = clients.flatMap((c) => c.parsed<PublicEvent>());
    expect(received.length).toBeGreaterThan(100);
    const invalid = received.flatMap((event) => {
      const where = `${event.type} at ${event.position}`;
      const validate = validators.get(event.type);
      if (!validate) return [`${where}: no schema`];
      return validate(event) ? [] : [`${where}: ${ajv.errorsText(validate.errors)}`];
    });
    expect(invalid).toEqual([]);
    expect([...new Set(received.map((e) => e.type))]).toEqual(
      expect.arrayContaining(['AppCreated', 'AddonAttached', 'AddonProvisioned', 'AddonRunning', 'AppVariablesSet', 'FeatureEnabled', 'MaintenanceWindowSet']),
    );
    expect(passwords.every((p) => p.length > 8)).toBe(true);
    for (const client of clients) {
      for (const password of passwords) {
        expect(client.raw).not.toContain(password);
        expect(client.raw).not.toContain(encodeURIComponent(password));
      }
      expect(client.raw).not.toMatch(/password/i);
    }
  });
});

describe('GET /v1/events at shutdown', () => {
  it('the app stops promptly with feeds open, each ended cleanly', async () => {
    const fixture = new AppFixture();
    try {
      await fixture.start({ FEED_HEARTBEAT_MS: '200' });
      const s = new Scenario(fixture);
      const owner = await s.token('owner', 'carol');
      await s.createApp(owner, 'carols');
      const open = (query: string) => SseClient.open(fixture.http(), `/v1/events${query}`, { headers: bearer(owner) });
      const live = await open('');
      const caughtUp = await open('?after=0');
      await caughtUp.until((c) => c.events.length >= 1, 'the first event');
      await fixture.stop();
      await Promise.all([live.ended, caughtUp.ended]);
      expect([live.endedByServer, caughtUp.endedByServer]).toEqual([true, true]);
    } finally {
      await fixture.dispose();
    }
  });
});
