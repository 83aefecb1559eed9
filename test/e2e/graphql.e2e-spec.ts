import { GraphQLError } from 'graphql';
import type { Response } from 'supertest';
import { formatGraphQLError } from '../../src/graphql/graphql.module';
import { AppFixture } from './app-fixture';
import { Scenario } from './scenario';

interface GqlError {
  message: string;
  path?: Array<string | number>;
  extensions: { code: string; status: number; details?: Record<string, unknown>; stacktrace?: unknown };
}

/**
 * GraphQL at POST /graphql over the real app: the same reads and writes as REST, behind the
 * same guard (roles, tokens), the same reach (another owner's things are "not found", as
 * missing ones) and the same stable error codes, in `extensions.code`.
 */
describe('GraphQL API', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  let alice: string;
  let bob: string;
  let support: string;
  let platform: string;
  let addonId: string;
  let password: string;

  const gql = (token: string | null, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
    s.call(token, 'POST', '/graphql', { body: { query, ...(variables && { variables }) }, ...(headers && { headers }) });

  /** The one error of an answer, with its code and status; never a stack. */
  function onlyError(response: Response, code: string, status: number, httpStatus = 200): GqlError {
    // A resolver's error is part of a 200 answer; an operation GraphQL refuses outright is Apollo's 400.
    expect(response.status).toBe(httpStatus);
    const errors = response.body.errors as GqlError[] | undefined;
    expect(errors?.map((e) => e.extensions.code)).toEqual([code]);
    const [error] = errors!;
    expect(error.extensions.status).toBe(status);
    expect(error.extensions.stacktrace).toBeUndefined();
    expect(response.text).not.toMatch(/\bat .+\.(ts|js):\d+/);
    return error;
  }

  const ADDON_FIELDS = `id app resourceId provider { id name } plan { id class memoryMb } version nextVersion status
    features { name enabled } maintenanceWindow { weekdayUtc startingHourUtc durationInHour }
    backupSchedule { enabled active scheduledAt hourUtc } nodes { name role status }`;

  beforeAll(async () => {
    await fixture.start();
    alice = await s.token('owner', 'alice');
    bob = await s.token('owner', 'bob');
    support = await s.token('support', 'sam');
    platform = await s.token('platform', 'monitor');
    await s.createApp(alice, 'shop');
    await s.createApp(bob, 'bobs');
    addonId = await s.runningAddon(alice, 'shop', 'postgresql', 'postgresql-starter-256');
    const variables = await s.call(alice, 'GET', '/v1/apps/shop/variables');
    const url = (variables.body.variables as Array<{ value: string }>).map((v) => v.value).find((v) => v.includes('://'))!;
    password = decodeURIComponent(new URL(url).password);
    expect(password.length).toBeGreaterThan(8);
  });
  afterAll(() => fixture.dispose());

  it('an owner lists their apps and add-ons with the fields of the REST view', async () => {
    const res = await gql(alice, `{ apps { name owner addonIds } addons(app: "shop") { ${ADDON_FIELDS} } }`);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.apps).toEqual([{ name: 'shop', owner: 'alice', addonIds: [addonId] }]);
    const rest = (await s.call(alice, 'GET', `/v1/apps/shop/addons/${addonId}`)).body.addon;
    expect(res.body.data.addons).toEqual([
      expect.objectContaining({
        id: addonId,
        app: 'shop',
        resourceId: rest.resource_id,
        provider: { id: 'postgresql', name: rest.addon_provider.name },
        plan: { id: 'postgresql-starter-256', class: 'starter', memoryMb: rest.plan.memory_mb },
        version: rest.version,
        nextVersion: rest.next_version,
        status: 'running',
        nodes: rest.nodes,
      }),
    ]);
  });

  it('an owner requests a backup and reads it back, by the backups query and by Addon.backups', async () => {
    const requested = await gql(
      alice,
      `mutation($app: String!, $id: ID!) { requestBackup(app: $app, addonId: $id) { backup { id status method } position } }`,
      { app: 'shop', id: addonId },
    );
    expect(requested.body.errors).toBeUndefined();
    const { backup, position } = requested.body.data.requestBackup;
    expect(backup).toMatchObject({ status: 'scheduled', method: 'manual' });
    expect(position).toMatch(/^\d+$/);

    const listed = await gql(
      alice,
      `query($id: ID!, $at: String) {
        backups(app: "shop", addonId: $id, minPosition: $at) { id status method retention }
        addon(app: "shop", addonId: $id) { id backups(minPosition: $at) { id } }
      }`,
      { id: addonId, at: position },
    );
    expect(listed.body.errors).toBeUndefined();
    expect(listed.body.data.backups).toEqual([{ id: backup.id, status: 'scheduled', method: 'manual', retention: expect.any(Array) }]);
    expect(listed.body.data.addon).toEqual({ id: addonId, backups: [{ id: backup.id }] });
  });

  it("another owner's app or add-on is NOT_FOUND, exactly as a missing one", async () => {
    const theirs = onlyError(await gql(bob, `{ addons(app: "shop") { id } }`), 'APP.NOT_FOUND', 404);
    const missing = onlyError(await gql(bob, `{ addons(app: "nope") { id } }`), 'APP.NOT_FOUND', 404);
    expect(theirs.message).toBe(missing.message);

    const addon = onlyError(await gql(bob, `{ addon(app: "shop", addonId: "${addonId}") { id } }`), 'APP.NOT_FOUND', 404);
    expect(addon.message).toBe(missing.message);
    onlyError(await gql(bob, `{ backups(app: "shop", addonId: "${addonId}") { id } }`), 'APP.NOT_FOUND', 404);
    onlyError(await gql(alice, `{ addon(app: "shop", addonId: "00000000-0000-4000-8000-000000000000") { id } }`), 'ADDON.NOT_FOUND', 404);

    const history = onlyError(await gql(bob, `{ history(addonId: "${addonId}") { action } }`), 'ADDON.NOT_FOUND', 404);
    const nothing = onlyError(await gql(bob, `{ history(addonId: "00000000-0000-4000-8000-000000000000") { action } }`), 'ADDON.NOT_FOUND', 404);
    expect(history.message).toBe(nothing.message);

    const change = onlyError(
      await gql(bob, `mutation { changePlan(app: "shop", addonId: "${addonId}", planId: "postgresql-starter-512") { position } }`),
      'APP.NOT_FOUND',
      404,
    );
    expect(change.message).toBe(missing.message);
  });

  it('support reads the audit log, app events and the history; an owner may not read the whole log', async () => {
    const audit = await gql(support, `{ audit(type: "AppCreated") { entries { app actor action } nextCursor } }`);
    expect(audit.body.errors).toBeUndefined();
    expect(audit.body.data.audit).toEqual({
      entries: [
        { app: 'shop', actor: 'owner:alice', action: 'AppCreated' },
        { app: 'bobs', actor: 'owner:bob', action: 'AppCreated' },
      ],
      nextCursor: null,
    });

    const events = await gql(support, `{ appEvents(app: "shop", limit: 2) { entries { action } nextCursor } }`);
    expect(events.body.data.appEvents.entries.map((e: { action: string }) => e.action)).toEqual(['AppCreated', 'AddonAttached']);
    expect(events.body.data.appEvents.nextCursor).toMatch(/^\d+$/);

    const history = await gql(support, `{ history(addonId: "${addonId}") { position action actor state { status plan { id } } } }`);
    expect(history.body.errors).toBeUndefined();
    const steps = history.body.data.history as Array<{ position: string; action: string; actor: string; state: { status: string } | null }>;
    expect(steps.map((step) => step.action).slice(0, 3)).toEqual(['AddonProvisioned', 'AddonRunning', 'BackupRequested']);
    expect(steps[0]).toMatchObject({ actor: 'owner:alice', state: { status: 'provisioning', plan: { id: 'postgresql-starter-256' } } });

    const state = await gql(support, `{ addonState(addonId: "${addonId}", at: "${steps[1].position}") { at step { action state { status } } } }`);
    expect(state.body.errors).toBeUndefined();
    expect(state.body.data.addonState).toEqual({ at: steps[1].position, step: { action: 'AddonRunning', state: { status: 'running' } } });
    const latest = await gql(alice, `{ addonState(addonId: "${addonId}") { at step { action } } }`);
    expect(latest.body.data.addonState).toEqual({ at: null, step: { action: steps[steps.length - 1].action } });
    onlyError(await gql(support, `{ addonState(addonId: "${addonId}", at: "yesterday") { at } }`), 'REPLAY.INVALID_POINT', 400);

    onlyError(await gql(alice, `{ audit { nextCursor } }`), 'AUTH.FORBIDDEN', 403);
    const own = await gql(alice, `{ appEvents(app: "shop") { entries { action } } }`);
    expect(own.body.errors).toBeUndefined();
  });

  it("availability: the owner and support read the month's figures; another owner is NOT_FOUND", async () => {
    const month = new Date().toISOString().slice(0, 7);
    const own = await gql(alice, `{ availability(addonId: "${addonId}") { month downtimeMinutes incidents slaPercent budgetMinutes status partial } }`);
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data.availability).toMatchObject({ month, downtimeMinutes: 0, incidents: 0, slaPercent: 98, status: 'met', partial: true });
    const bySupport = await gql(support, `{ availability(addonId: "${addonId}", month: "${month}") { status } }`);
    expect(bySupport.body.data.availability).toEqual({ status: 'met' });
    onlyError(await gql(bob, `{ availability(addonId: "${addonId}") { status } }`), 'ADDON.NOT_FOUND', 404);
  });

  it('a support token cannot run a mutation: AUTH.FORBIDDEN, and nothing is appended', async () => {
    const head = await s.head();
    const res = await gql(support, `mutation { changePlan(app: "shop", addonId: "${addonId}", planId: "postgresql-starter-512") { position } }`);
    const error = onlyError(res, 'AUTH.FORBIDDEN', 403);
    expect(error.path).toEqual(['changePlan']);
    expect(res.body.data).toBeNull();
    onlyError(await gql(support, `mutation { createApp(name: "support-app") { position } }`), 'AUTH.FORBIDDEN', 403);
    expect(await s.since(head)).toEqual([]);
  });

  it('the roles of a resolved field hold too: the platform reads add-ons but not their backups', async () => {
    const listed = await gql(platform, `{ addons(app: "shop") { id } }`);
    expect(listed.body.errors).toBeUndefined();
    const withBackups = await gql(platform, `{ addons(app: "shop") { id backups { id } } }`);
    expect(withBackups.body.errors.map((e: GqlError) => [e.extensions.code, e.path])).toEqual([['AUTH.FORBIDDEN', ['addons', 0, 'backups']]]);
  });

  it('no token is AUTH.MISSING_TOKEN; a bad one AUTH.INVALID_TOKEN', async () => {
    const res = await gql(null, `{ apps { name } }`);
    const error = onlyError(res, 'AUTH.MISSING_TOKEN', 401);
    expect(error.message).toMatch(/Authorization: Bearer/);
    expect(res.body.data).toBeNull();
    onlyError(await gql(null, `mutation { createApp(name: "anon") { position } }`), 'AUTH.MISSING_TOKEN', 401);
    onlyError(await gql(`${alice}x`, `{ apps { name } }`), 'AUTH.INVALID_TOKEN', 401);
  });

  it('changePlan appends PlanChanged with the owner as actor and the request id as correlation id', async () => {
    const head = await s.head();
    const res = await gql(
      alice,
      `mutation($id: ID!) { changePlan(app: "shop", addonId: $id, planId: "postgresql-starter-512") { addon { status plan { id } } position warnings } }`,
      { id: addonId },
      { 'X-Request-Id': 'gql-change-1' },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.headers['x-request-id']).toBe('gql-change-1');
    expect(res.body.data.changePlan).toMatchObject({ addon: { status: 'changing-plan', plan: { id: 'postgresql-starter-512' } }, warnings: [] });
    const appended = await s.since(head);
    const planChanged = appended.find((e) => e.type === 'PlanChanged')!;
    expect(planChanged).toMatchObject({
      stream: `addon-${addonId}`,
      data: { fromPlanId: 'postgresql-starter-256', toPlanId: 'postgresql-starter-512' },
      metadata: { actor: 'owner:alice', $correlationId: 'gql-change-1' },
    });
    expect(res.body.data.changePlan.position).toBe(appended[appended.length - 1].position.toString());
  });

  it('a DomainError keeps its stable code; invalid arguments are VALIDATION.FAILED with the fields, as over REST', async () => {
    const other = await s.runningAddon(alice, 'shop', 'redis', 'redis-starter-256');
    const head = await s.head();
    const unknown = onlyError(
      await gql(alice, `mutation($id: ID!) { changePlan(app: "shop", addonId: $id, planId: "redis-starter-999") { position } }`, { id: other }),
      'PLAN.UNKNOWN',
      422,
    );
    expect(unknown.message).toMatch(/Unknown plan/);
    const rest = await s.call(alice, 'PATCH', `/v1/apps/shop/addons/${other}`, { body: { plan_id: 'redis-starter-999' } });
    expect(rest.body.error.code).toBe('PLAN.UNKNOWN');
    expect(unknown.extensions.details).toEqual(rest.body.error.details);

    const invalid = onlyError(
      await gql(alice, `mutation($id: ID!) { changePlan(app: "shop", addonId: $id, planId: "huge") { position } }`, { id: other }),
      'VALIDATION.FAILED',
      400,
    );
    expect((invalid.extensions.details!.fields as Array<{ field: string }>).map((f) => f.field)).toEqual(['planId']);
    const badApp = onlyError(await gql(alice, `mutation { createApp(name: "Not An App") { position } }`), 'VALIDATION.FAILED', 400);
    expect((badApp.extensions.details!.fields as Array<{ field: string }>).map((f) => f.field)).toEqual(['name']);
    expect(await s.since(head)).toEqual([]);

    // GraphQL's own refusals keep Apollo's code, with a status.
    onlyError(await gql(alice, `{ nope }`), 'GRAPHQL_VALIDATION_FAILED', 400, 400);
  });

  it('createApp, provisionAddon, upgradeAddon and deprovisionAddon run the REST commands', async () => {
    const created = await gql(alice, `mutation { createApp(name: "blog") { app { name owner } position } }`);
    expect(created.body.data.createApp).toMatchObject({ app: { name: 'blog', owner: 'alice' }, position: expect.stringMatching(/^\d+$/) });
    onlyError(await gql(bob, `mutation { createApp(name: "blog") { position } }`), 'APP.ALREADY_EXISTS', 409);

    const provision = (provider: string, version: string) =>
      gql(
        alice,
        `mutation($p: String!, $plan: String!, $v: String) { provisionAddon(app: "blog", providerId: $p, planId: $plan, version: $v) {
          addon { id status version nextVersion provider { id } } position } }`,
        { p: provider, plan: `${provider}-starter-256`, v: version },
      );
    const provisioned = await provision('redis', '7.2.8');
    expect(provisioned.body.errors).toBeUndefined();
    const first = provisioned.body.data.provisionAddon.addon;
    expect(first).toMatchObject({ status: 'provisioning', version: '7.2.8', nextVersion: '7.4.2', provider: { id: 'redis' } });
    onlyError(await provision('redis', '7.2'), 'VALIDATION.FAILED', 400);
    await s.completeProvisioning(first.id);

    const upgrade = await gql(alice, `mutation($id: ID!) { upgradeAddon(app: "blog", addonId: $id) { addon { status } } }`, { id: first.id });
    expect(upgrade.body.errors).toBeUndefined();
    expect(upgrade.body.data.upgradeAddon.addon.status).toBe('upgrading');
    expect((await s.stream(`addon-${first.id}`)).map((e) => e.type)).toContain('VersionUpgradeStarted');

    const second = (await provision('postgresql', '17.5.0')).body.data.provisionAddon.addon.id as string;
    await s.completeProvisioning(second);
    onlyError(
      await gql(alice, `mutation($id: ID!) { upgradeAddon(app: "blog", addonId: $id) { addon { status } } }`, { id: second }),
      (await s.call(alice, 'POST', `/v1/apps/blog/addons/${second}/upgrade`, { body: {} })).body.error.code,
      422,
    );
    const removed = await gql(alice, `mutation($id: ID!) { deprovisionAddon(app: "blog", addonId: $id) { addon { status } } }`, { id: second });
    expect(removed.body.errors).toBeUndefined();
    expect(removed.body.data.deprovisionAddon.addon.status).toBe('deprovisioned');
    onlyError(await gql(alice, `{ addon(app: "blog", addonId: "${second}") { id } }`), 'ADDON.NOT_FOUND', 404);
  });

  it('a password never appears in any GraphQL answer', async () => {
    await gql(alice, `{ addons(app: "shop") { ${ADDON_FIELDS} } }`);
    await gql(support, `{ history(addonId: "${addonId}") { summary state { ${ADDON_FIELDS} } } }`);
    const answers = s.recorded.filter((r) => r.path === '/graphql');
    expect(answers.length).toBeGreaterThan(20);
    for (const answer of answers) {
      expect(answer.text).not.toContain(password);
      expect(answer.text).not.toMatch(/password/i);
    }
  });

  it('a failure on our side is INTERNAL.ERROR with a generic message: never its own message or stack', () => {
    const thrown = new Error('SQLITE_CORRUPT at /data/events.sqlite');
    const error = new GraphQLError(thrown.message, { path: ['apps'], originalError: thrown });
    const formatted = formatGraphQLError({ message: thrown.message, path: ['apps'] }, error);
    expect(formatted).toEqual({
      message: expect.stringMatching(/X-Request-Id/),
      path: ['apps'],
      extensions: { code: 'INTERNAL.ERROR', status: 500, details: {} },
    });
  });
});
