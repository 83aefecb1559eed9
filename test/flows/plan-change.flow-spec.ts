import {
  atOf,
  dataOf,
  eventsAfter,
  expectCausedBy,
  expectFromRequest,
  expectCleanLogAndJobs,
  expectStatus,
  getAddon,
  lastRevision,
  msBetween,
  plus,
  requestIdOf,
  runningAddon,
  SECOND,
  typesOf,
  variables,
} from './flow-kit';
import { Simulation } from './simulation';

/**
 * Plan change: PlanChanged (the owner) → the data plane restarts the add-on on a new host
 * with the new plan (downtime per DOMAIN.md) → AddonRestarted → the app restarts
 * (AppRestartRequested, reason plan-change). A final failure is PlanChangeFailed and the
 * add-on stays on its old plan.
 */
describe('flow: plan change', () => {
  let sim: Simulation;

  beforeEach(async () => {
    sim = await new Simulation().start();
  });

  afterEach(async () => {
    await sim.dispose();
  });

  async function changePlan(addon: { id: string; app: string }, planId: string) {
    const res = expectStatus(await sim.call('owner:alice', 'PATCH', `/v1/apps/${addon.app}/addons/${addon.id}`, { plan_id: planId }), 202);
    expect(res.body.addon.status).toBe('changing-plan');
    return res;
  }

  it.each([
    ['Starter → Starter', 'redis-starter-1024', 'redis-starter-2048', 'seconds', [2, 10]],
    ['Starter → Business', 'redis-starter-1024', 'redis-business-1024', 'none', [0, 0]],
    ['Business → Business', 'redis-business-1024', 'redis-business-2048', 'none', [0, 0]],
    ['Business → Starter (downgrade)', 'redis-business-2048', 'redis-starter-1024', 'seconds', [2, 10]],
  ] as const)('%s (%s → %s): PlanChanged → AddonRestarted (downtime %s) → AppRestartRequested', async (_, from, to, downtime, [min, max]) => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: from });
    const varsBefore = await variables(sim, 'shop');
    const addonFrom = await lastRevision(sim, `addon-${addon.id}`);
    const appFrom = await lastRevision(sim, 'app-shop');

    const res = await changePlan(addon, to);
    const downgrade = from.endsWith('2048') && to.endsWith('1024');
    if (downgrade) expect(res.body.warnings).toEqual([expect.stringContaining('less memory')]);
    else expect(res.body.warnings).toBeUndefined();
    await sim.advance(60 * SECOND);

    const events = await eventsAfter(sim, `addon-${addon.id}`, addonFrom);
    expect(typesOf(events)).toEqual(['PlanChanged', 'AddonRestarted']);
    const [changed, restarted] = events;
    expectFromRequest(changed, 'owner:alice', requestIdOf(res));
    expect(dataOf(changed)).toMatchObject({ fromPlanId: from, toPlanId: to, downtime, downgrade });
    expectCausedBy(restarted, 'plan-change', changed);
    const { downtimeSeconds } = dataOf<{ downtimeSeconds: number; reason: string }>(restarted);
    expect(dataOf(restarted)).toMatchObject({ reason: 'plan-change' });
    expect(downtimeSeconds).toBeGreaterThanOrEqual(min);
    expect(downtimeSeconds).toBeLessThanOrEqual(max);
    // The restart takes its downtime on the platform's clock.
    expect(msBetween(atOf(changed), atOf(restarted))).toBe(downtimeSeconds * 1000);

    const app = await eventsAfter(sim, 'app-shop', appFrom);
    expect(typesOf(app)).toEqual(['AppRestartRequested']);
    expectCausedBy(app[0], 'plan-change', restarted);
    expect(dataOf(app[0])).toEqual({ reason: 'plan-change', addonId: addon.id, at: atOf(restarted) });

    const view = await getAddon(sim, addon);
    expect(view.status).toBe('running');
    expect(view.plan.id).toBe(to);
    const business = to.includes('business');
    expect(view.nodes.filter((n: { role: string }) => n.role === 'leader' || n.role === 'standby')).toHaveLength(business ? 2 : 1);
    // Redis Business: 3 sentinels and 2 gateways besides the two database nodes.
    expect(view.nodes).toHaveLength(business ? 7 : 1);
    expect((await sim.driver.instance(addon.id))?.planId).toBe(to);
    // The URL stays the same across the new host.
    expect(await variables(sim, 'shop')).toEqual(varsBefore);
    await expectCleanLogAndJobs(sim);
  });

  it('a final driver failure records PlanChangeFailed with the reason, and the plan reverts', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    const before = await getAddon(sim, addon);
    const from = await lastRevision(sim, `addon-${addon.id}`);
    const appFrom = await lastRevision(sim, 'app-shop');
    sim.driver.failNext('changePlan', { retryable: false, reason: 'no capacity left in the region' });
    const res = await changePlan(addon, 'redis-business-4096');
    // While it runs, GET shows the plan asked for.
    expect((await getAddon(sim, addon)).plan.id).toBe('redis-business-4096');
    await sim.advance(60 * SECOND);

    const events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['PlanChanged', 'PlanChangeFailed']);
    expectFromRequest(events[0], 'owner:alice', requestIdOf(res));
    expectCausedBy(events[1], 'plan-change', events[0]);
    expect(dataOf(events[1])).toEqual({
      fromPlanId: 'redis-starter-1024',
      toPlanId: 'redis-business-4096',
      reason: 'no capacity left in the region',
      at: atOf(events[0]),
    });
    expect(await eventsAfter(sim, 'app-shop', appFrom)).toEqual([]);

    const after = await getAddon(sim, addon);
    expect(after.status).toBe('running');
    expect(after.plan).toEqual(before.plan);
    expect(after.nodes).toEqual(before.nodes);
    expect((await sim.driver.instance(addon.id))?.planId).toBe('redis-starter-1024');

    // The owner can try again, and this time it goes through.
    await changePlan(addon, 'redis-business-4096');
    await sim.advance(60 * SECOND);
    expect(typesOf(await eventsAfter(sim, `addon-${addon.id}`, from))).toEqual([
      'PlanChanged',
      'PlanChangeFailed',
      'PlanChanged',
      'AddonRestarted',
    ]);
    expect((await getAddon(sim, addon)).plan.id).toBe('redis-business-4096');
    await expectCleanLogAndJobs(sim);
  });

  it('retryable failures are retried (5 s, 10 s), then the restart goes through once', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    const from = await lastRevision(sim, `addon-${addon.id}`);
    sim.driver.failNext('changePlan', { times: 2, reason: 'host busy' });
    await changePlan(addon, 'redis-starter-2048');
    await sim.advance(5 * 60 * SECOND);
    const events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['PlanChanged', 'AddonRestarted']);
    const downtime = dataOf<{ downtimeSeconds: number }>(events[1]).downtimeSeconds;
    expect(atOf(events[1])).toBe(plus(atOf(events[0]), (5 + 10 + downtime) * SECOND));
    expect(typesOf(await sim.events('app-shop')).filter((t) => t === 'AppRestartRequested')).toHaveLength(1);
    await expectCleanLogAndJobs(sim);
  });

  it('a retryable failure on every attempt ends in PlanChangeFailed at the fifth attempt', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-business-1024' });
    const from = await lastRevision(sim, `addon-${addon.id}`);
    sim.driver.failNext('changePlan', { times: 5, reason: 'timed out' });
    await changePlan(addon, 'redis-business-2048');
    await sim.advance(5 * 60 * SECOND);
    const events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['PlanChanged', 'PlanChangeFailed']);
    expect(dataOf(events[1])).toMatchObject({ reason: 'timed out', at: plus(atOf(events[0]), 75 * SECOND) });
    expect((await getAddon(sim, addon)).plan.id).toBe('redis-business-1024');
    await expectCleanLogAndJobs(sim);
  });

  // Both settings are accepted (1..100); the flow's failure is recorded at the last attempt the worker makes.
  it('DRIVER_MAX_ATTEMPTS above RUNTIME_MAX_ATTEMPTS: retryable failures on every attempt still end in PlanChangeFailed', async () => {
    await sim.dispose();
    sim = await new Simulation().start({ DRIVER_MAX_ATTEMPTS: '12', RUNTIME_MAX_ATTEMPTS: '10' });
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    sim.driver.failNext('changePlan', { times: 12, reason: 'timed out' });
    await changePlan(addon, 'redis-starter-2048');
    await sim.advance(3 * 3600 * SECOND);
    expect(typesOf(await sim.events(`addon-${addon.id}`)).slice(2)).toEqual(['PlanChanged', 'PlanChangeFailed']);
    expect((await getAddon(sim, addon)).status).toBe('running');
    await expectCleanLogAndJobs(sim);
  });

  it('another operation during a plan change is refused with 409 and writes nothing', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    sim.driver.failNext('changePlan', { times: 1, reason: 'host busy' });
    await changePlan(addon, 'redis-starter-2048');
    await sim.advance(SECOND);
    const before = await lastRevision(sim, `addon-${addon.id}`);
    const again = await sim.call('owner:alice', 'PATCH', `/v1/apps/shop/addons/${addon.id}`, { plan_id: 'redis-starter-4096' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ADDON.OPERATION_IN_PROGRESS');
    expect(await lastRevision(sim, `addon-${addon.id}`)).toBe(before);
    await sim.advance(60 * SECOND);
    expect((await getAddon(sim, addon)).plan.id).toBe('redis-starter-2048');
    await expectCleanLogAndJobs(sim);
  });
});
