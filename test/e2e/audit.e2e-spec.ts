import { AppFixture } from './app-fixture';
import { Scenario } from './scenario';

/**
 * The audit log over HTTP, from its read model: an owner reads their app's entries, support
 * reads and filters everything, pages follow a cursor, and nothing secret is ever listed.
 */
describe('Audit log over HTTP', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  let alice: string;
  let bob: string;
  let support: string;
  let addonId: string;
  let password: string;

  beforeAll(async () => {
    await fixture.start();
    alice = await s.token('owner', 'alice');
    bob = await s.token('owner', 'bob');
    support = await s.token('support', 'sam');
    await s.createApp(alice, 'shop');
    await s.createApp(bob, 'bobs');
    addonId = await s.runningAddon(alice, 'shop', 'postgresql', 'postgresql-starter-256');
    const change = await s.call(alice, 'PATCH', `/v1/apps/shop/addons/${addonId}`, { body: { plan_id: 'postgresql-starter-512' } });
    expect(change.status).toBe(202);
    const variables = await s.call(alice, 'GET', '/v1/apps/shop/variables');
    const url = (variables.body.variables as Array<{ value: string }>).map((v) => v.value).find((v) => v.includes('://'))!;
    password = decodeURIComponent(new URL(url).password);
  });
  afterAll(() => fixture.dispose());

  it("an owner reads their app's entries in log order, its add-on's included, each with actor, summary and request", async () => {
    const res = await s.call(alice, 'GET', '/v1/apps/shop/events');
    expect(res.status).toBe(200);
    const entries = res.body.entries as Array<Record<string, string>>;
    expect(entries.map((e) => e.action)).toEqual([
      'AppCreated',
      'AddonAttached',
      'AddonProvisioned',
      'AddonRunning',
      'AppVariablesSet',
      'PlanChanged',
    ]);
    expect(entries.map((e) => BigInt(e.position))).toEqual([...entries.map((e) => BigInt(e.position))].sort((a, b) => (a < b ? -1 : 1)));
    const planChange = entries.find((e) => e.action === 'PlanChanged')!;
    expect(planChange).toMatchObject({
      actor: 'owner:alice',
      app: 'shop',
      addon_id: addonId,
      summary: 'Plan change from postgresql-starter-256 to postgresql-starter-512 (downtime: seconds)',
    });
    expect(planChange.correlation_id).toMatch(/\S/);
    expect(res.body.next_cursor).toBeNull();
  });

  it("another owner's app answers 404, as a missing one; support reads it", async () => {
    expect((await s.call(bob, 'GET', '/v1/apps/shop/events')).status).toBe(404);
    expect((await s.call(bob, 'GET', '/v1/apps/nope/events')).status).toBe(404);
    expect((await s.call(support, 'GET', '/v1/apps/shop/events')).status).toBe(200);
  });

  it('support filters the whole log by app, add-on, actor and type; owners may not', async () => {
    const byType = await s.call(support, 'GET', '/v1/audit?type=AppCreated');
    expect(byType.status).toBe(200);
    expect((byType.body.entries as Array<{ app: string }>).map((e) => e.app)).toEqual(['shop', 'bobs']);
    const byAddon = await s.call(support, 'GET', `/v1/audit?addon=${addonId}&actor=owner:alice`);
    expect((byAddon.body.entries as Array<{ action: string }>).map((e) => e.action)).toEqual(['AddonAttached', 'AddonProvisioned', 'PlanChanged']);
    const byApp = await s.call(support, 'GET', '/v1/audit?app=bobs');
    expect((byApp.body.entries as Array<{ action: string }>).map((e) => e.action)).toEqual(['AppCreated']);
    expect((await s.call(alice, 'GET', '/v1/audit')).status).toBe(403);
  });

  it('pages follow next_cursor until the end, each entry once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await s.call(support, 'GET', `/v1/audit?limit=2${cursor ? `&after=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.entries.length).toBeLessThanOrEqual(2);
      seen.push(...(res.body.entries as Array<{ position: string }>).map((e) => e.position));
      cursor = res.body.next_cursor;
    } while (cursor !== null);
    const all = await s.call(support, 'GET', '/v1/audit?limit=500');
    expect(seen).toEqual((all.body.entries as Array<{ position: string }>).map((e) => e.position));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('read-your-writes: with min_position, a query answers once the audit holds the write', async () => {
    const write = await s.call(alice, 'PUT', `/v1/apps/shop/addons/${addonId}/maintenance-window`, {
      body: { weekday_utc: 2, starting_hour_utc: 3 },
    });
    expect(write.status).toBe(200);
    const position = write.headers['x-event-position'];
    expect(position).toMatch(/^\d+$/);
    const res = await s.call(support, 'GET', `/v1/audit?type=MaintenanceWindowSet&min_position=${position}`);
    expect((res.body.entries as Array<{ position: string }>).map((e) => e.position)).toEqual([position]);
  });

  it('bad filters are 400 with every failing field, and READ_MODEL.INVALID_POSITION', async () => {
    const res = await s.call(support, 'GET', '/v1/audit?limit=0&from=yesterday&type=Drop%20table');
    expect(res.status).toBe(400);
    expect((res.body.error.details.fields as Array<{ field: string }>).map((f) => f.field).sort()).toEqual(['from', 'limit', 'type']);
    const unknown = await s.call(support, 'GET', '/v1/audit?colour=blue');
    expect(unknown.status).toBe(400);
  });

  it('no entry holds the database password', async () => {
    expect(password.length).toBeGreaterThan(20);
    const all = await s.call(support, 'GET', '/v1/audit?limit=500');
    expect(all.text).not.toContain(password);
    expect(all.text).not.toContain(encodeURIComponent(password));
  });
});
