import { AppFixture } from './app-fixture';
import { Scenario } from './scenario';

/**
 * Audit replay for support staff, rebuilt from the event store itself: every step of an
 * add-on with its actor and the add-on right after, and the add-on as it was at a point.
 */
describe('Add-on history and state at a point', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  let alice: string;
  let bob: string;
  let support: string;
  let addonId: string;
  let changePosition: string;

  beforeAll(async () => {
    await fixture.start();
    alice = await s.token('owner', 'alice');
    bob = await s.token('owner', 'bob');
    support = await s.token('support', 'sam');
    await s.createApp(alice, 'shop');
    addonId = await s.runningAddon(alice, 'shop', 'redis', 'redis-starter-1024');
    const change = await s.call(alice, 'PATCH', `/v1/apps/shop/addons/${addonId}`, { body: { plan_id: 'redis-starter-2048' } });
    changePosition = change.headers['x-event-position'];
    await s.platform(addonId, { type: 'RecordRestart', data: { downtimeSeconds: 4 } });
  });
  afterAll(() => fixture.dispose());

  it('lists every event of the add-on in order, with actor, summary and the add-on right after', async () => {
    const res = await s.call(support, 'GET', `/v1/addons/${addonId}/history`);
    expect(res.status).toBe(200);
    const steps = res.body.history as Array<{ action: string; actor: string; summary: string; state: { status: string; plan: { id: string } } }>;
    expect(steps.map((h) => [h.action, h.actor, h.state.status, h.state.plan.id])).toEqual([
      ['AddonProvisioned', 'owner:alice', 'provisioning', 'redis-starter-1024'],
      ['AddonRunning', 'platform:e2e', 'running', 'redis-starter-1024'],
      ['PlanChanged', 'owner:alice', 'changing-plan', 'redis-starter-2048'],
      ['AddonRestarted', 'platform:e2e', 'running', 'redis-starter-2048'],
    ]);
    expect(steps[2].summary).toBe('Plan change from redis-starter-1024 to redis-starter-2048 (downtime: seconds)');
    // The password is the owner's variables' business only.
    expect(res.text).not.toMatch(/password/i);
  });

  it('the state at a position or a time: as it was then', async () => {
    const before = await s.call(alice, 'GET', `/v1/addons/${addonId}/state?at=${BigInt(changePosition) - 1n}`);
    expect(before.status).toBe(200);
    expect(before.body.step).toMatchObject({ action: 'AddonRunning', state: { status: 'running', plan: { id: 'redis-starter-1024' } } });
    const at = await s.call(alice, 'GET', `/v1/addons/${addonId}/state?at=${changePosition}`);
    expect(at.body.step).toMatchObject({ action: 'PlanChanged', state: { status: 'changing-plan' } });
    const now = await s.call(alice, 'GET', `/v1/addons/${addonId}/state?at=${encodeURIComponent(new Date().toISOString())}`);
    expect(now.body.step).toMatchObject({ action: 'AddonRestarted', state: { plan: { id: 'redis-starter-2048' } } });
    const latest = await s.call(alice, 'GET', `/v1/addons/${addonId}/state`);
    expect(latest.body.step.action).toBe('AddonRestarted');
    const early = await s.call(alice, 'GET', `/v1/addons/${addonId}/state?at=2000-01-01T00:00:00Z`);
    expect(early.status).toBe(404);
  });

  it("another owner's add-on answers 404 exactly as a missing one; a bad point is 400", async () => {
    const theirs = await s.call(bob, 'GET', `/v1/addons/${addonId}/history`);
    const missing = await s.call(bob, 'GET', '/v1/addons/00000000-0000-4000-8000-000000000000/history');
    expect([theirs.status, theirs.body.error.code]).toEqual([404, 'ADDON.NOT_FOUND']);
    expect(theirs.body).toEqual(missing.body);
    const bad = await s.call(alice, 'GET', `/v1/addons/${addonId}/state?at=yesterday`);
    expect([bad.status, bad.body.error.code]).toEqual([400, 'REPLAY.INVALID_POINT']);
  });
});
