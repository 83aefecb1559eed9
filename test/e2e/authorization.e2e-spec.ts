import type { Response } from 'supertest';
import { ARCHIVE_LINK_PATH, ArchiveLinks } from '../../src/backups/archive-links';
import { InstanceSpec, PlatformDriver } from '../../src/platform/driver/platform-driver.port';
import { addonOf, PUBLIC_STREAMS } from '../../src/public-events/public-event';
import { AppFixture, bearer } from './app-fixture';
import { describeEvents, Method, Scenario } from './scenario';
import { SseClient } from './sse-client';

/**
 * The authorization matrix, over the real app, for REST and GraphQL: every read that names
 * an app or an add-on, every write, every GraphQL query, resolved field and mutation, asked
 * by each role. It proves that an owner sees only their own apps (add-ons, backups, audit,
 * history, availability), that another owner's thing answers exactly as a missing one (same
 * status, code and message, at every level of a path: app, add-on, backup), that support
 * reads everything and can write nothing, that the platform reaches only the routes it is
 * listed on, that a refused write appends nothing, and that no answer to support or the
 * platform ever holds a database password.
 */

type Role = 'owner' | 'support' | 'platform';
type Who = 'alice' | 'bob';
/** The path segments a route names, outermost first. */
type Level = 'app' | 'addon' | 'backup';
type Ids = Record<Level, string>;
interface Tenant extends Ids {
  who: Who;
  token: string;
  password: string;
  /** Unplanned incidents this month: bob's add-on had a node down, alice's none. */
  incidents: number;
}

const WHO: readonly Who[] = ['alice', 'bob'];
const MISSING: Ids = { app: 'no-such-app', addon: '00000000-0000-4000-8000-000000000000', backup: '00000000-0000-4000-8000-000000000001' };
const NOT_FOUND: Record<Level, string> = { app: 'APP.NOT_FOUND', addon: 'ADDON.NOT_FOUND', backup: 'BACKUP.NOT_FOUND' };

/** The caller's own ids above `level`, and `from`'s (the other owner's, or missing ones) from `level` down. */
function mix(params: readonly Level[], level: Level, own: Ids, from: Ids): Ids {
  const ids = { ...own };
  for (const param of params.slice(params.indexOf(level))) ids[param] = from[param];
  return ids;
}

/** A test case: its name (which names the cell of the matrix) and its body. */
type Case = [string, () => Promise<void>];

describe('Authorization matrix (REST and GraphQL)', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  const tenants = {} as Record<Who, Tenant>;
  const tokens = {} as Record<'support' | 'platform', string>;
  const otherOf = (t: Tenant) => tenants[t.who === 'alice' ? 'bob' : 'alice'];
  const all = () => WHO.map((who) => tenants[who]);

  const expectStatus = (res: Response, status: number) => {
    if (res.status !== status) throw new Error(`expected ${status}, got ${res.status} ${res.text}`);
  };
  const expectForbidden = (res: Response, roles: readonly string[]) => {
    expectStatus(res, 403);
    expect(res.body.error).toMatchObject({ code: 'AUTH.FORBIDDEN', details: { roles } });
  };
  /** Another owner's thing answers exactly as a missing one: the same status, code, message and details. */
  const expectSameNotFound = (foreign: Response, missing: Response, code: string) => {
    expect([foreign.status, foreign.body.error?.code]).toEqual([404, code]);
    expect(foreign.body).toEqual(missing.body);
  };
  /** Runs `calls`, and checks they appended nothing to the event store. */
  async function appendsNothing<T>(calls: () => Promise<T>): Promise<T> {
    const head = await s.head();
    const result = await calls();
    expect(describeEvents(await s.since(head))).toEqual([]);
    return result;
  }

  /** A manual backup, taken by the (simulated) data plane and recorded done, as the platform would. */
  async function doneBackup(t: Tenant): Promise<string> {
    const base = `/v1/apps/${t.app}/addons/${t.addon}`;
    const requested = await s.call(t.token, 'POST', `${base}/backups`);
    expectStatus(requested, 202);
    const { id: backupId, name, created_at: createdAt } = requested.body.backup;
    await s.platform(t.addon, { type: 'StartBackup', data: { backupId } });
    const { addon } = (await s.call(t.token, 'GET', base)).body;
    const spec: InstanceSpec = {
      addonId: t.addon,
      resourceId: addon.resource_id,
      providerId: addon.addon_provider.id,
      planId: addon.plan.id,
      version: addon.version,
      nodes: addon.nodes.map((n: { name: string; role: string }) => ({ name: n.name, role: n.role })),
    };
    const artifact = await fixture.app.get(PlatformDriver).takeBackup(spec, { backupId, name, createdAt });
    await s.platform(t.addon, { type: 'CompleteBackup', data: { backupId, ...artifact } });
    return backupId;
  }

  async function passwordOf(t: Tenant): Promise<string> {
    const res = await s.call(t.token, 'GET', `/v1/apps/${t.app}/variables`);
    const url = (res.body.variables as Array<{ value: string }>).map((v) => v.value).find((v) => v.includes('://'))!;
    return decodeURIComponent(new URL(url).password);
  }

  beforeAll(async () => {
    await fixture.start({ DRIVER_LATENCY_SCALE: '0' });
    tokens.support = await s.token('support', 'sam');
    tokens.platform = await s.token('platform', 'monitor');
    for (const [who, app] of [['alice', 'shop'], ['bob', 'bobs']] as const) {
      const token = await s.token('owner', who);
      await s.createApp(token, app);
      const addon = await s.runningAddon(token, app, 'postgresql', 'postgresql-starter-256');
      tenants[who] = { who, token, app, addon, backup: '', password: '', incidents: 0 };
      tenants[who].backup = await doneBackup(tenants[who]);
      tenants[who].password = await passwordOf(tenants[who]);
      expect(tenants[who].password.length).toBeGreaterThan(20);
    }
    const { alice, bob } = tenants;
    expect(alice.password).not.toBe(bob.password);
    // More audit entries: an owner's change, and an incident on bob's add-on (down, then back).
    expectStatus(
      await s.call(alice.token, 'PUT', `/v1/apps/shop/addons/${alice.addon}/maintenance-window`, { body: { weekday_utc: 2, starting_hour_utc: 10 } }),
      200,
    );
    const node = (await s.call(bob.token, 'GET', `/v1/apps/bobs/addons/${bob.addon}`)).body.addon.nodes[0].name as string;
    expectStatus(await s.call(tokens.platform, 'POST', '/v1/platform/node-failures', { body: { addon_id: bob.addon, node } }), 202);
    expectStatus(await s.call(tokens.platform, 'POST', '/v1/platform/node-recoveries', { body: { addon_id: bob.addon, node } }), 202);
    bob.incidents = 1;
  });
  afterAll(() => fixture.dispose());

  // ---------------------------------------------------------------------------------------
  // 1. REST reads
  // ---------------------------------------------------------------------------------------

  interface ReadRoute {
    route: string;
    /** The roles the route documents (the matrix asks as owner, support and platform). */
    roles: readonly (Role | 'admin')[];
    params: readonly Level[];
    path: (ids: Ids) => string;
    /** How the route is read when it is not one answer (the event feed streams); one call by default. */
    read?: (token: string, path: string) => Promise<Response>;
    /** Checks a 200 holds `t`'s data and no one else's; `t` undefined: a route naming nothing, asked by one who sees all. */
    scope: (res: Response, role: Role, t?: Tenant) => void;
  }

  const urlsOf = (res: Response) =>
    (res.body.variables as Array<{ value: string }>).map((v) => v.value).filter((v) => v.includes('://')).map((v) => new URL(v));

  const REST_READS: ReadRoute[] = [
    {
      route: 'GET /v1/apps',
      roles: ['owner', 'support', 'platform'],
      params: [],
      path: () => '/v1/apps',
      scope: (res, _role, t) => {
        const seen = (res.body.apps as Array<{ name: string; owner: string }>).map((a) => [a.name, a.owner]).sort();
        expect(seen).toEqual((t ? [t] : all()).map((x) => [x.app, x.who]).sort());
      },
    },
    {
      route: 'GET /v1/apps/:app',
      roles: ['owner', 'support', 'platform'],
      params: ['app'],
      path: ({ app }) => `/v1/apps/${app}`,
      scope: (res, _role, t) => expect(res.body.app).toMatchObject({ name: t!.app, owner: t!.who, addon_ids: [t!.addon] }),
    },
    {
      route: 'GET /v1/apps/:app/variables',
      roles: ['owner', 'support'],
      params: ['app'],
      path: ({ app }) => `/v1/apps/${app}/variables`,
      scope: (res, role, t) => {
        const urls = urlsOf(res);
        expect(urls.length).toBeGreaterThan(0);
        // The owner sees their own password, never the other's; support sees it masked.
        expect(urls.map((u) => decodeURIComponent(u.password))).toEqual(urls.map(() => (role === 'owner' ? t!.password : '********')));
        expect(res.text).not.toContain(otherOf(t!).password);
      },
    },
    {
      route: 'GET /v1/apps/:app/addons',
      roles: ['owner', 'support', 'platform'],
      params: ['app'],
      path: ({ app }) => `/v1/apps/${app}/addons`,
      scope: (res, _role, t) => expect((res.body.addons as Array<{ id: string; app: string }>).map((a) => [a.app, a.id])).toEqual([[t!.app, t!.addon]]),
    },
    {
      route: 'GET /v1/apps/:app/addons/:id',
      roles: ['owner', 'support', 'platform'],
      params: ['app', 'addon'],
      path: ({ app, addon }) => `/v1/apps/${app}/addons/${addon}`,
      scope: (res, _role, t) => expect(res.body.addon).toMatchObject({ id: t!.addon, app: t!.app, status: 'running' }),
    },
    {
      route: 'GET /v1/apps/:app/addons/:id/backups',
      roles: ['owner', 'support'],
      params: ['app', 'addon'],
      path: ({ app, addon }) => `/v1/apps/${app}/addons/${addon}/backups`,
      scope: (res, _role, t) => expect((res.body.backups as Array<{ id: string }>).map((b) => b.id)).toEqual([t!.backup]),
    },
    {
      route: 'GET /v1/apps/:app/addons/:id/backups/:bid',
      roles: ['owner', 'support'],
      params: ['app', 'addon', 'backup'],
      path: ({ app, addon, backup }) => `/v1/apps/${app}/addons/${addon}/backups/${backup}`,
      scope: (res, _role, t) => expect(res.body.backup).toMatchObject({ id: t!.backup, status: 'done', method: 'manual' }),
    },
    {
      route: 'GET /v1/apps/:app/addons/:id/backups/:bid/archive',
      roles: ['owner', 'support'],
      params: ['app', 'addon', 'backup'],
      path: ({ app, addon, backup }) => `/v1/apps/${app}/addons/${addon}/backups/${backup}/archive`,
      scope: (res, _role, t) => {
        const url: string = res.body.download_url;
        expect(url.startsWith(ARCHIVE_LINK_PATH)).toBe(true);
        // The link is signed for this very backup of this very add-on.
        expect(fixture.app.get(ArchiveLinks).check(url.slice(ARCHIVE_LINK_PATH.length))).toMatchObject({ valid: true, addonId: t!.addon, backupId: t!.backup });
      },
    },
    {
      route: 'GET /v1/apps/:app/events',
      roles: ['owner', 'support'],
      params: ['app'],
      path: ({ app }) => `/v1/apps/${app}/events`,
      scope: (res, _role, t) => {
        const entries = res.body.entries as Array<{ app: string; addon_id: string | null; action: string; actor: string }>;
        expect([...new Set(entries.map((e) => e.app))]).toEqual([t!.app]);
        expect([...new Set(entries.map((e) => e.addon_id).filter(Boolean))]).toEqual([t!.addon]);
        expect(entries.filter((e) => e.action === 'AppCreated').map((e) => e.actor)).toEqual([`owner:${t!.who}`]);
      },
    },
    {
      route: 'GET /v1/addons/:id/history',
      roles: ['owner', 'support'],
      params: ['addon'],
      path: ({ addon }) => `/v1/addons/${addon}/history`,
      scope: (res, _role, t) => {
        const steps = res.body.history as Array<{ action: string; state: { id: string; app: string } }>;
        expect(steps.map((h) => h.action).slice(0, 2)).toEqual(['AddonProvisioned', 'AddonRunning']);
        expect([...new Set(steps.map((h) => `${h.state.app} ${h.state.id}`))]).toEqual([`${t!.app} ${t!.addon}`]);
      },
    },
    {
      route: 'GET /v1/addons/:id/state',
      roles: ['owner', 'support'],
      params: ['addon'],
      path: ({ addon }) => `/v1/addons/${addon}/state`,
      scope: (res, _role, t) => expect(res.body.step.state).toMatchObject({ id: t!.addon, app: t!.app }),
    },
    {
      route: 'GET /v1/addons/:id/availability',
      roles: ['owner', 'support', 'platform'],
      params: ['addon'],
      path: ({ addon }) => `/v1/addons/${addon}/availability`,
      scope: (res, _role, t) => expect(res.body.availability).toMatchObject({ month: new Date().toISOString().slice(0, 7), incidents: t!.incidents }),
    },
    {
      route: 'GET /v1/audit',
      roles: ['support'],
      params: [],
      path: () => '/v1/audit?limit=500',
      scope: (res) => {
        const entries = res.body.entries as Array<{ app: string | null; addon_id: string | null }>;
        expect(new Set(entries.map((e) => e.app).filter(Boolean))).toEqual(new Set(all().map((t) => t.app)));
        expect(new Set(entries.map((e) => e.addon_id).filter(Boolean))).toEqual(new Set(all().map((t) => t.addon)));
      },
    },
    {
      route: 'GET /v1/events',
      roles: ['owner', 'support', 'platform', 'admin'],
      params: ['app', 'addon'],
      path: ({ app, addon }) => `/v1/events?after=0&app=${app}&addon=${addon}`,
      read: readFeed,
      scope: (res, _role, t) => {
        const events = res.body.events as Array<{ type: string; app: string; addon_id: string | null }>;
        expect([...new Set(events.map((e) => `${e.app} ${e.addon_id}`))]).toEqual([`${t!.app} ${t!.addon}`]);
        expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['AddonAttached', 'AddonProvisioned', 'AddonRunning', 'BackupTaken']));
        expect(res.text).not.toContain(otherOf(t!).addon);
      },
    },
  ];

  /**
   * The event feed read as one answer: the stream until it holds the add-on's last event
   * in the log, as `{ events }` (or the error answer), recorded like any call for the
   * secrets check.
   */
  async function readFeed(token: string, path: string): Promise<Response> {
    const client = await SseClient.open(fixture.http(), path, { headers: bearer(token) });
    if (client.status === 200) {
      const query = new URL(path, 'http://feed').searchParams;
      const [app, addon] = [query.get('app'), query.get('addon')];
      const log = await s.store.readAll({ filter: PUBLIC_STREAMS });
      const last = log.filter((e) => e.stream === `addon-${addon}` || (e.stream === `app-${app}` && addonOf(e) === addon)).at(-1)!.position;
      await client.until((c) => c.events.some((e) => BigInt(e.id!) >= last), 'the feed caught up with the log');
      await client.close();
    }
    const answer = { status: client.status, headers: client.headers, text: client.status === 200 ? client.raw : client.text };
    const role = token === tokens.support ? 'support' : token === tokens.platform ? 'platform' : 'owner';
    s.recorded.push({ method: 'GET', path, role, ...answer });
    return { ...answer, body: client.status === 200 ? { events: client.parsed() } : client.json } as unknown as Response;
  }

  function readCases(r: ReadRoute): Case[] {
    const cases: Case[] = [];
    const get = (token: string, ids: Ids) => (r.read ? r.read(token, r.path(ids)) : s.call(token, 'GET', r.path(ids)));
    for (const who of WHO) {
      if (!r.roles.includes('owner')) {
        cases.push([`${r.route} · ${who} (owner): 403 AUTH.FORBIDDEN`, async () => expectForbidden(await get(tenants[who].token, tenants[who]), r.roles)]);
        continue;
      }
      cases.push([
        `${r.route} · ${who} reads their own: 200, only their data`,
        async () => {
          const t = tenants[who];
          const res = await get(t.token, t);
          expectStatus(res, 200);
          r.scope(res, 'owner', t);
        },
      ]);
      for (const level of r.params) {
        cases.push([
          `${r.route} · ${who} on the other owner's ${level}: 404 ${NOT_FOUND[level]}, as a missing one`,
          async () => {
            const t = tenants[who];
            const foreign = await get(t.token, mix(r.params, level, t, otherOf(t)));
            const missing = await get(t.token, mix(r.params, level, t, MISSING));
            expectSameNotFound(foreign, missing, NOT_FOUND[level]);
          },
        ]);
      }
    }
    for (const role of ['support', 'platform'] as const) {
      for (const t of r.params.length > 0 ? WHO : [undefined]) {
        const whose = t ? ` ${t}'s` : '';
        if (!r.roles.includes(role)) {
          cases.push([`${r.route} · ${role} on${whose || ' it'}: 403 AUTH.FORBIDDEN`, async () => expectForbidden(await get(tokens[role], t ? tenants[t] : MISSING), r.roles)]);
          continue;
        }
        cases.push([
          `${r.route} · ${role} reads${whose || ' everything'}: 200`,
          async () => {
            const tenant = t ? tenants[t] : undefined;
            const res = await get(tokens[role], tenant ?? MISSING);
            expectStatus(res, 200);
            r.scope(res, role, tenant);
          },
        ]);
      }
    }
    return cases;
  }

  describe('1. REST reads', () => {
    it.each(REST_READS.flatMap(readCases))('%s', (_name, run) => run());

    it("an owner's app events cannot be widened to another app, nor filtered onto another owner's add-on", async () => {
      const { alice, bob } = tenants;
      const widened = await s.call(bob.token, 'GET', `/v1/apps/bobs/events?app=shop`);
      expect([widened.status, widened.body.error.code]).toEqual([400, 'VALIDATION.FAILED']);
      const filtered = await s.call(bob.token, 'GET', `/v1/apps/bobs/events?addon=${alice.addon}`);
      expectStatus(filtered, 200);
      expect(filtered.body.entries).toEqual([]);
    });
  });

  // ---------------------------------------------------------------------------------------
  // 2. REST writes
  // ---------------------------------------------------------------------------------------

  interface WriteRoute {
    route: string;
    roles: readonly Role[];
    method: Method;
    params: readonly Level[];
    path: (ids: Ids) => string;
    /** A body the allowed role's call would accept, so only the role or the reach refuses it. */
    body?: (ids: Ids) => unknown;
  }

  const addonPath = ({ app, addon }: Ids) => `/v1/apps/${app}/addons/${addon}`;
  const REST_WRITES: WriteRoute[] = [
    { route: 'POST /v1/apps', roles: ['owner'], method: 'POST', params: [], path: () => '/v1/apps', body: () => ({ name: 'not-theirs' }) },
    {
      route: 'POST /v1/apps/:app/addons',
      roles: ['owner'],
      method: 'POST',
      params: ['app'],
      path: ({ app }) => `/v1/apps/${app}/addons`,
      body: () => ({ addon_provider_id: 'redis', plan_id: 'redis-starter-256' }),
    },
    { route: 'PATCH /v1/apps/:app/addons/:id', roles: ['owner'], method: 'PATCH', params: ['app', 'addon'], path: addonPath, body: () => ({ plan_id: 'postgresql-starter-512' }) },
    { route: 'DELETE /v1/apps/:app/addons/:id', roles: ['owner'], method: 'DELETE', params: ['app', 'addon'], path: addonPath },
    { route: 'POST /v1/apps/:app/addons/:id/upgrade', roles: ['owner'], method: 'POST', params: ['app', 'addon'], path: (ids) => `${addonPath(ids)}/upgrade`, body: () => ({}) },
    { route: 'PUT /v1/apps/:app/addons/:id/features/:feature', roles: ['owner'], method: 'PUT', params: ['app', 'addon'], path: (ids) => `${addonPath(ids)}/features/force-tls` },
    { route: 'DELETE /v1/apps/:app/addons/:id/features/:feature', roles: ['owner'], method: 'DELETE', params: ['app', 'addon'], path: (ids) => `${addonPath(ids)}/features/force-tls` },
    {
      route: 'PUT /v1/apps/:app/addons/:id/maintenance-window',
      roles: ['owner'],
      method: 'PUT',
      params: ['app', 'addon'],
      path: (ids) => `${addonPath(ids)}/maintenance-window`,
      body: () => ({ weekday_utc: 4, starting_hour_utc: 12 }),
    },
    {
      route: 'PUT /v1/apps/:app/addons/:id/backup-schedule',
      roles: ['owner'],
      method: 'PUT',
      params: ['app', 'addon'],
      path: (ids) => `${addonPath(ids)}/backup-schedule`,
      body: () => ({ enabled: true, scheduled_at: '20 Europe/Paris' }),
    },
    { route: 'POST /v1/apps/:app/addons/:id/backups', roles: ['owner'], method: 'POST', params: ['app', 'addon'], path: (ids) => `${addonPath(ids)}/backups` },
    {
      route: 'POST /v1/apps/:app/addons/:id/restore',
      roles: ['owner'],
      method: 'POST',
      params: ['app', 'addon'],
      path: (ids) => `${addonPath(ids)}/restore`,
      body: () => ({ backup_id: tenants.alice.backup }),
    },
    { route: 'POST /v1/apps/:app/addons/:id/failover', roles: ['platform'], method: 'POST', params: ['app', 'addon'], path: (ids) => `${addonPath(ids)}/failover` },
    ...(['node-failures', 'node-recoveries'] as const).map(
      (report): WriteRoute => ({
        route: `POST /v1/platform/${report}`,
        roles: ['platform'],
        method: 'POST',
        params: [],
        path: () => `/v1/platform/${report}`,
        body: () => ({ addon_id: tenants.alice.addon, node: 'shop-db-1' }),
      }),
    ),
    {
      route: 'POST /v1/platform/maintenances',
      roles: ['platform'],
      method: 'POST',
      params: [],
      path: () => '/v1/platform/maintenances',
      body: () => ({ addon_id: tenants.alice.addon, reason: 'Security patches' }),
    },
  ];

  function writeCases(w: WriteRoute): Case[] {
    const cases: Case[] = [];
    const send = (token: string, ids: Ids) => s.call(token, w.method, w.path(ids), w.body ? { body: w.body(ids) } : {});
    // Every caller whose role the route does not list, on alice's add-on (an owner on their own).
    const callers: Array<{ caller: string; role: Role; token: () => string; on: Who }> = [
      { caller: 'support', role: 'support', token: () => tokens.support, on: 'alice' },
      { caller: 'platform', role: 'platform', token: () => tokens.platform, on: 'alice' },
      ...WHO.map((who) => ({ caller: `${who} (owner), on their own`, role: 'owner' as const, token: () => tenants[who].token, on: who })),
    ];
    for (const { caller, role, token, on } of callers.filter((c) => !w.roles.includes(c.role))) {
      cases.push([
        `${w.route} · ${caller}: 403 AUTH.FORBIDDEN, nothing appended`,
        async () => expectForbidden(await appendsNothing(() => send(token(), tenants[on])), w.roles),
      ]);
    }
    if (w.roles.includes('owner')) {
      for (const who of WHO) {
        for (const level of w.params) {
          cases.push([
            `${w.route} · ${who} on the other owner's ${level}: 404 ${NOT_FOUND[level]} as a missing one, nothing appended`,
            async () => {
              const t = tenants[who];
              const [foreign, missing] = await appendsNothing(async () => [
                await send(t.token, mix(w.params, level, t, otherOf(t))),
                await send(t.token, mix(w.params, level, t, MISSING)),
              ]);
              expectSameNotFound(foreign, missing, NOT_FOUND[level]);
            },
          ]);
        }
      }
    }
    return cases;
  }

  describe('2. REST writes', () => {
    it.each(REST_WRITES.flatMap(writeCases))('%s', (_name, run) => run());

    it("another owner repeating alice's request with her Idempotency-Key gets 404, not her kept answer, and appends nothing", async () => {
      const { alice, bob } = tenants;
      const request = { body: { weekday_utc: 5, starting_hour_utc: 12 }, headers: { 'Idempotency-Key': 'authz-shared-key' } };
      const path = `${addonPath(alice)}/maintenance-window`;
      expectStatus(await s.call(alice.token, 'PUT', path, request), 200);
      const replayed = await s.call(alice.token, 'PUT', path, request);
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      const theirs = await appendsNothing(() => s.call(bob.token, 'PUT', path, request));
      expect([theirs.status, theirs.body.error?.code, theirs.headers['idempotent-replayed']]).toEqual([404, 'APP.NOT_FOUND', undefined]);
      expectForbidden(await appendsNothing(() => s.call(tokens.support, 'PUT', path, request)), ['owner']);
    });
  });

  // ---------------------------------------------------------------------------------------
  // 3. GraphQL queries and resolved fields
  // ---------------------------------------------------------------------------------------

  const gql = (token: string, query: string) => s.call(token, 'POST', '/graphql', { body: { query } });
  const q = JSON.stringify;
  interface GqlError {
    message: string;
    path?: Array<string | number>;
    extensions: { code: string; status: number };
  }
  const errorsOf = (res: Response) => ((res.body.errors ?? []) as GqlError[]).map((e) => [e.extensions.code, e.extensions.status, e.path]);
  const dataOf = (res: Response) => {
    expectStatus(res, 200);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  };

  interface GqlRead {
    name: string;
    roles: readonly Role[];
    params: readonly Level[];
    query: (ids: Ids) => string;
    /** Where a role's refusal sits: the query, or the resolved field. */
    deniedAt: Array<string | number>;
    /** The resolved field this case reaches through its parent, if any. */
    field?: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answer's data, shaped by the query
    scope: (data: any, role: Role, t?: Tenant) => void;
  }

  const GQL_READS: GqlRead[] = [
    {
      name: 'apps',
      roles: ['owner', 'support', 'platform'],
      params: [],
      query: () => `{ apps { name owner addonIds } }`,
      deniedAt: ['apps'],
      scope: (data, _role, t) =>
        expect(data.apps.map((a: { name: string; owner: string; addonIds: string[] }) => [a.name, a.owner, a.addonIds]).sort()).toEqual(
          (t ? [t] : all()).map((x) => [x.app, x.who, [x.addon]]).sort(),
        ),
    },
    {
      name: 'app',
      roles: ['owner', 'support', 'platform'],
      params: ['app'],
      query: ({ app }) => `{ app(name: ${q(app)}) { name owner addonIds } }`,
      deniedAt: ['app'],
      scope: (data, _role, t) => expect(data.app).toEqual({ name: t!.app, owner: t!.who, addonIds: [t!.addon] }),
    },
    {
      name: 'addons',
      roles: ['owner', 'support', 'platform'],
      params: ['app'],
      query: ({ app }) => `{ addons(app: ${q(app)}) { id app } }`,
      deniedAt: ['addons'],
      scope: (data, _role, t) => expect(data.addons).toEqual([{ id: t!.addon, app: t!.app }]),
    },
    {
      name: 'addons { backups } (resolved field)',
      field: 'Addon.backups',
      roles: ['owner', 'support'],
      params: ['app'],
      query: ({ app }) => `{ addons(app: ${q(app)}) { id backups { id status } } }`,
      deniedAt: ['addons', 0, 'backups'],
      scope: (data, _role, t) => expect(data.addons).toEqual([{ id: t!.addon, backups: [{ id: t!.backup, status: 'done' }] }]),
    },
    {
      name: 'addon',
      roles: ['owner', 'support', 'platform'],
      params: ['app', 'addon'],
      query: ({ app, addon }) => `{ addon(app: ${q(app)}, addonId: ${q(addon)}) { id app status } }`,
      deniedAt: ['addon'],
      scope: (data, _role, t) => expect(data.addon).toEqual({ id: t!.addon, app: t!.app, status: 'running' }),
    },
    {
      name: 'addon { backups } (resolved field)',
      field: 'Addon.backups',
      roles: ['owner', 'support'],
      params: ['app', 'addon'],
      query: ({ app, addon }) => `{ addon(app: ${q(app)}, addonId: ${q(addon)}) { id backups { id } } }`,
      deniedAt: ['addon', 'backups'],
      scope: (data, _role, t) => expect(data.addon).toEqual({ id: t!.addon, backups: [{ id: t!.backup }] }),
    },
    {
      name: 'backups',
      roles: ['owner', 'support'],
      params: ['app', 'addon'],
      query: ({ app, addon }) => `{ backups(app: ${q(app)}, addonId: ${q(addon)}) { id status method } }`,
      deniedAt: ['backups'],
      scope: (data, _role, t) => expect(data.backups).toEqual([{ id: t!.backup, status: 'done', method: 'manual' }]),
    },
    {
      name: 'audit',
      roles: ['support'],
      params: [],
      query: () => `{ audit(limit: 500) { entries { app addonId } } }`,
      deniedAt: ['audit'],
      scope: (data) => {
        const entries = data.audit.entries as Array<{ app: string | null; addonId: string | null }>;
        expect(new Set(entries.map((e) => e.app).filter(Boolean))).toEqual(new Set(all().map((t) => t.app)));
        expect(new Set(entries.map((e) => e.addonId).filter(Boolean))).toEqual(new Set(all().map((t) => t.addon)));
      },
    },
    {
      name: 'appEvents',
      roles: ['owner', 'support'],
      params: ['app'],
      query: ({ app }) => `{ appEvents(app: ${q(app)}, limit: 500) { entries { app addonId } } }`,
      deniedAt: ['appEvents'],
      scope: (data, _role, t) => {
        const entries = data.appEvents.entries as Array<{ app: string; addonId: string | null }>;
        expect([...new Set(entries.map((e) => e.app))]).toEqual([t!.app]);
        expect([...new Set(entries.map((e) => e.addonId).filter(Boolean))]).toEqual([t!.addon]);
      },
    },
    {
      name: 'history',
      roles: ['owner', 'support'],
      params: ['addon'],
      query: ({ addon }) => `{ history(addonId: ${q(addon)}) { action state { id app } } }`,
      deniedAt: ['history'],
      scope: (data, _role, t) => {
        const steps = data.history as Array<{ action: string; state: { id: string; app: string } }>;
        expect(steps[0].action).toBe('AddonProvisioned');
        expect([...new Set(steps.map((h) => `${h.state.app} ${h.state.id}`))]).toEqual([`${t!.app} ${t!.addon}`]);
      },
    },
    {
      name: 'addonState',
      roles: ['owner', 'support'],
      params: ['addon'],
      query: ({ addon }) => `{ addonState(addonId: ${q(addon)}) { step { state { id app } } } }`,
      deniedAt: ['addonState'],
      scope: (data, _role, t) => expect(data.addonState.step.state).toEqual({ id: t!.addon, app: t!.app }),
    },
    {
      name: 'availability',
      roles: ['owner', 'support', 'platform'],
      params: ['addon'],
      query: ({ addon }) => `{ availability(addonId: ${q(addon)}) { month incidents } }`,
      deniedAt: ['availability'],
      scope: (data, _role, t) => expect(data.availability).toEqual({ month: new Date().toISOString().slice(0, 7), incidents: t!.incidents }),
    },
  ];

  function gqlReadCases(r: GqlRead): Case[] {
    const cases: Case[] = [];
    const denied = async (token: string, ids: Ids) => {
      const res = await gql(token, r.query(ids));
      expectStatus(res, 200);
      expect(errorsOf(res)).toEqual([['AUTH.FORBIDDEN', 403, r.deniedAt]]);
    };
    for (const who of WHO) {
      if (!r.roles.includes('owner')) {
        cases.push([`${r.name} · ${who} (owner): AUTH.FORBIDDEN`, () => denied(tenants[who].token, tenants[who])]);
        continue;
      }
      cases.push([`${r.name} · ${who} reads their own`, async () => r.scope(dataOf(await gql(tenants[who].token, r.query(tenants[who]))), 'owner', tenants[who])]);
      for (const level of r.params) {
        cases.push([
          `${r.name} · ${who} on the other owner's ${level}: ${NOT_FOUND[level]}, as a missing one`,
          async () => {
            const t = tenants[who];
            const foreign = await gql(t.token, r.query(mix(r.params, level, t, otherOf(t))));
            const missing = await gql(t.token, r.query(mix(r.params, level, t, MISSING)));
            expect(errorsOf(foreign)).toEqual([[NOT_FOUND[level], 404, [r.deniedAt[0]]]]);
            expect(foreign.body).toEqual(missing.body);
            expect(foreign.body.data).toBeNull();
          },
        ]);
      }
    }
    for (const role of ['support', 'platform'] as const) {
      for (const t of r.params.length > 0 ? WHO : [undefined]) {
        // Resolved when the case runs: the tenants exist only once beforeAll is done.
        const tenant = () => (t ? tenants[t] : undefined);
        const whose = t ? ` ${t}'s` : '';
        if (!r.roles.includes(role)) {
          cases.push([`${r.name} · ${role} on${whose || ' it'}: AUTH.FORBIDDEN`, () => denied(tokens[role], tenant() ?? MISSING)]);
          continue;
        }
        cases.push([`${r.name} · ${role} reads${whose || ' everything'}`, async () => r.scope(dataOf(await gql(tokens[role], r.query(tenant() ?? MISSING))), role, tenant())]);
      }
    }
    return cases;
  }

  describe('3. GraphQL queries and resolved fields', () => {
    it.each(GQL_READS.flatMap(gqlReadCases))('%s', (_name, run) => run());

    it("appEvents cannot be filtered onto another owner's add-on", async () => {
      const data = dataOf(await gql(tenants.bob.token, `{ appEvents(app: "bobs", addon: ${q(tenants.alice.addon)}) { entries { action } } }`));
      expect(data.appEvents.entries).toEqual([]);
    });
  });

  // ---------------------------------------------------------------------------------------
  // 4. GraphQL mutations
  // ---------------------------------------------------------------------------------------

  interface GqlMutation {
    name: string;
    params: readonly Level[];
    /** Valid arguments, so only the role or the reach refuses it. */
    mutation: (ids: Ids) => string;
  }

  const addonArgs = ({ app, addon }: Ids) => `app: ${q(app)}, addonId: ${q(addon)}`;
  const GQL_MUTATIONS: GqlMutation[] = [
    { name: 'createApp', params: [], mutation: () => `mutation { createApp(name: "not-theirs") { position } }` },
    {
      name: 'provisionAddon',
      params: ['app'],
      mutation: ({ app }) => `mutation { provisionAddon(app: ${q(app)}, providerId: "redis", planId: "redis-starter-256") { position } }`,
    },
    { name: 'changePlan', params: ['app', 'addon'], mutation: (ids) => `mutation { changePlan(${addonArgs(ids)}, planId: "postgresql-starter-512") { position } }` },
    { name: 'requestBackup', params: ['app', 'addon'], mutation: (ids) => `mutation { requestBackup(${addonArgs(ids)}) { position } }` },
    { name: 'upgradeAddon', params: ['app', 'addon'], mutation: (ids) => `mutation { upgradeAddon(${addonArgs(ids)}) { position } }` },
    { name: 'deprovisionAddon', params: ['app', 'addon'], mutation: (ids) => `mutation { deprovisionAddon(${addonArgs(ids)}) { position } }` },
  ];

  function gqlMutationCases(m: GqlMutation): Case[] {
    const cases: Case[] = (['support', 'platform'] as const).map((role): Case => [
      `${m.name} · ${role}: AUTH.FORBIDDEN, nothing appended`,
      async () => {
        const res = await appendsNothing(() => gql(tokens[role], m.mutation(tenants.alice)));
        expect(errorsOf(res)).toEqual([['AUTH.FORBIDDEN', 403, [m.name]]]);
        expect(res.body.data).toBeNull();
      },
    ]);
    for (const who of WHO) {
      for (const level of m.params) {
        cases.push([
          `${m.name} · ${who} on the other owner's ${level}: ${NOT_FOUND[level]} as a missing one, nothing appended`,
          async () => {
            const t = tenants[who];
            const [foreign, missing] = await appendsNothing(async () => [
              await gql(t.token, m.mutation(mix(m.params, level, t, otherOf(t)))),
              await gql(t.token, m.mutation(mix(m.params, level, t, MISSING))),
            ]);
            expect(errorsOf(foreign)).toEqual([[NOT_FOUND[level], 404, [m.name]]]);
            expect(foreign.body).toEqual(missing.body);
          },
        ]);
      }
    }
    return cases;
  }

  describe('4. GraphQL mutations', () => {
    it.each(GQL_MUTATIONS.flatMap(gqlMutationCases))('%s', (_name, run) => run());
  });

  /** `GET /v1/apps/:app` as the OpenAPI document spells it: `GET /v1/apps/{app}`. */
  const openApiRoute = (route: string) => route.replace(/:(\w+)/g, '{$1}');

  describe('Coverage: the matrix is the whole API', () => {
    it('lists every route that concerns an app or an add-on, each with the roles the OpenAPI document gives it', async () => {
      const { body } = await s.call(tokens.support, 'GET', '/docs/json');
      const documented: Record<string, string[]> = {};
      for (const [path, operations] of Object.entries<Record<string, { 'x-roles'?: string[] }>>(body.paths)) {
        // Not about an app: tokens, health, the catalogue, event types, projections admin; the archive link is its own credential.
        if (!/^\/v1\/(apps|addons|audit|platform|events)\b/.test(path)) continue;
        for (const [method, operation] of Object.entries(operations)) documented[`${method.toUpperCase()} ${path}`] = operation['x-roles'] ?? [];
      }
      const matrix = Object.fromEntries([...REST_READS, ...REST_WRITES].map((r) => [openApiRoute(r.route), [...r.roles]]));
      expect(matrix).toEqual(documented);
    });

    it('names every query and mutation of the GraphQL schema', async () => {
      const res = await gql(tokens.support, `{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`);
      const names = (type: { fields: Array<{ name: string }> }) => type.fields.map((f) => f.name).sort();
      const { queryType, mutationType } = dataOf(res).__schema;
      expect(names(queryType)).toEqual([...new Set(GQL_READS.map((r) => r.deniedAt[0] as string))].sort());
      expect(names(mutationType)).toEqual(GQL_MUTATIONS.map((m) => m.name).sort());
    });

    it('covers every field of App and Addon that reaches other records: Addon.backups, and no field on App lists add-ons', async () => {
      const res = await gql(
        tokens.support,
        `{ __schema { queryType { fields { type { name ofType { name ofType { name ofType { name } } } } } }
           types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }`,
      );
      type TypeRef = { name: string | null; ofType?: TypeRef | null };
      const named = (t: TypeRef): string => t.name ?? named(t.ofType!);
      const { queryType, types } = dataOf(res).__schema as {
        queryType: { fields: Array<{ type: TypeRef }> };
        types: Array<{ name: string; fields: Array<{ name: string; type: TypeRef }> | null }>;
      };
      // The types the queries answer with: a field of App or Addon typed as one of them reaches other records.
      const records = new Set(queryType.fields.map((f) => named(f.type)));
      const reaching = types
        .filter((t) => t.name === 'App' || t.name === 'Addon')
        .flatMap((t) => t.fields!.filter((f) => records.has(named(f.type))).map((f) => `${t.name}.${f.name}`));
      expect(reaching).toEqual(['Addon.backups']);
      expect([...new Set(GQL_READS.map((r) => r.field).filter(Boolean))]).toEqual(reaching);
    });
  });

  // ---------------------------------------------------------------------------------------
  // 5. Secrets
  // ---------------------------------------------------------------------------------------

  describe('5. Secrets', () => {
    it('no answer to support or the platform holds a database password; no owner ever sees the other’s', () => {
      const secretsOf = (t: Tenant) => [t.password, encodeURIComponent(t.password)];
      const answers = s.recorded.filter((r) => r.role !== 'admin');
      const bySupport = answers.filter((r) => r.role === 'support');
      expect(bySupport.length).toBeGreaterThan(60);
      expect(bySupport.some((r) => r.path.endsWith('/variables') && r.status === 200 && r.text.includes('********'))).toBe(true);
      for (const answer of answers) {
        const call = `${answer.role} ${answer.method} ${answer.path} → ${answer.status}`;
        const text = `${answer.text}\n${JSON.stringify(answer.headers)}`;
        // Only the owner's own variables may hold their password (another owner's call there is a 404).
        const mustNotHold = all().filter((t) => !(answer.role === 'owner' && answer.method === 'GET' && answer.path === `/v1/apps/${t.app}/variables` && answer.status === 200));
        const leaked = mustNotHold.filter((t) => secretsOf(t).some((secret) => text.includes(secret))).map((t) => `${t.who}'s password`);
        expect({ call, leaked }).toEqual({ call, leaked: [] });
      }
    });
  });
});
