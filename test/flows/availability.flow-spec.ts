import { expectStatus, HOUR, MINUTE, Provisioned, runningAddon, SECOND } from './flow-kit';
import { Simulation } from './simulation';

/**
 * Availability per add-on per calendar month, from the availability read model, through
 * the real flows in simulated time: unplanned downtime against the class's SLA budget.
 */
describe('flow: availability against the SLA', () => {
  let sim: Simulation;

  afterEach(async () => {
    await sim.dispose();
  });

  const report = async (kind: 'node-failures' | 'node-recoveries', addon: Provisioned, node: string) =>
    expectStatus(await sim.call('platform:monitoring', 'POST', `/v1/platform/${kind}`, { addon_id: addon.id, node }), 202);
  const availability = async (addon: Provisioned, month?: string, who = 'owner:alice' as const) =>
    expectStatus(await sim.call(who, 'GET', `/v1/addons/${addon.id}/availability${month ? `?month=${month}` : ''}`), 200).body.availability;
  const leaderOf = async (addon: Provisioned) =>
    expectStatus(await sim.call('owner:alice', 'GET', `/v1/apps/${addon.app}/addons/${addon.id}`), 200).body.addon.nodes[0].name as string;

  it('Starter: each outage counts from the failure report to the recovery; past the 98 % budget it is breached', async () => {
    sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    const node = await leaderOf(addon);
    await report('node-failures', addon, node);
    await sim.advance(2 * HOUR);
    // Under way: counted up to now.
    expect(await availability(addon)).toMatchObject({ month: '2026-01', downtime_minutes: 120, incidents: 1, status: 'met', partial: true });
    await report('node-recoveries', addon, node);
    await sim.advance(HOUR);
    const january = await availability(addon);
    // 2 % of 31 days = 892.8 minutes.
    expect(january).toMatchObject({ downtime_minutes: 120, incidents: 1, sla_percent: 98, budget_minutes: 892.8, status: 'met' });
    expect(january.availability_percent).toBeCloseTo(100 * (1 - 120 / (31 * 1440)), 3);

    await report('node-failures', addon, node);
    await sim.advance(13 * HOUR);
    await report('node-recoveries', addon, node);
    await sim.advance(MINUTE);
    expect(await availability(addon)).toMatchObject({ downtime_minutes: 900, incidents: 2, status: 'breached' });
  });

  it('an outage across a month end counts in both months; a plan change the owner asked for does not count', async () => {
    sim = await new Simulation('2026-01-31T20:00:00.000Z').start();
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    const node = await leaderOf(addon);
    await sim.advanceTo('2026-01-31T23:00:00.000Z');
    await report('node-failures', addon, node);
    await sim.advanceTo('2026-02-01T01:30:00.000Z');
    await report('node-recoveries', addon, node);
    await sim.advance(MINUTE);
    expect(await availability(addon, '2026-01')).toMatchObject({ downtime_minutes: 60, incidents: 1, partial: false });
    expect(await availability(addon, '2026-02')).toMatchObject({ downtime_minutes: 90, incidents: 0 });
    expectStatus(await sim.call('owner:alice', 'PATCH', `/v1/apps/shop/addons/${addon.id}`, { plan_id: 'redis-starter-2048' }), 202);
    await sim.advance(5 * MINUTE);
    expect(await availability(addon, '2026-02')).toMatchObject({ downtime_minutes: 90, incidents: 0 });
  });

  it('Business: a leader failure costs the failover (20 s); both nodes down for an hour breaches 99.96 %', async () => {
    sim = await new Simulation('2026-03-02T09:00:00.000Z').start();
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-business-512' });
    const [leader, standby] = (
      expectStatus(await sim.call('owner:alice', 'GET', `/v1/apps/shop/addons/${addon.id}`), 200).body.addon.nodes as Array<{ name: string }>
    ).map((n) => n.name);
    await report('node-failures', addon, leader);
    await sim.advance(MINUTE);
    // 0.04 % of 31 days = 17.86 minutes.
    expect(await availability(addon)).toMatchObject({ downtime_minutes: 0.33, incidents: 1, sla_percent: 99.96, budget_minutes: 17.86, status: 'met' });

    const view = expectStatus(await sim.call('owner:alice', 'GET', `/v1/apps/shop/addons/${addon.id}`), 200).body.addon;
    const [newLeader, newStandby] = (view.nodes as Array<{ name: string }>).map((n) => n.name);
    expect(newLeader).toBe(standby);
    await report('node-failures', addon, newStandby);
    await report('node-failures', addon, newLeader);
    await sim.advance(HOUR);
    await report('node-recoveries', addon, newLeader);
    await sim.advance(10 * SECOND);
    expect(await availability(addon)).toMatchObject({ incidents: 2, status: 'breached' });
    expect((await availability(addon)).downtime_minutes).toBeCloseTo(60.33, 1);
    // Support reads it too; another owner cannot.
    expect((await availability(addon, undefined, 'support:sam' as never)).status).toBe('breached');
    expect((await sim.call('owner:bob', 'GET', `/v1/addons/${addon.id}/availability`)).status).toBe(404);
  });

  it('Sandbox: no SLA; a bad month is 400', async () => {
    sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
    const addon = await runningAddon(sim, { app: 'lab', provider: 'postgresql', plan: 'postgresql-sandbox' });
    expect(await availability(addon)).toMatchObject({ sla_percent: null, budget_minutes: null, status: 'no-sla', downtime_minutes: 0 });
    const bad = await sim.call('owner:alice', 'GET', `/v1/addons/${addon.id}/availability?month=2026-13`);
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION.FAILED']);
  });
});
