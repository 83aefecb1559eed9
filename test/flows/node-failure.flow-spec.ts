import {
  atOf,
  dataOf,
  eventsAfter,
  expectCausedBy,
  expectFromRequest,
  expectCleanLogAndJobs,
  expectStatus,
  getAddon,
  HOUR,
  lastRevision,
  MINUTE,
  msBetween,
  ofType,
  Provisioned,
  requestIdOf,
  runningAddon,
  SECOND,
  typesOf,
  variables,
} from './flow-kit';
import { Simulation } from './simulation';

/**
 * Node failures reported by monitoring. Business: the leader down fails over to the
 * standby within 60 s (FailoverTriggered, automatic), a new standby is rebuilt
 * (FailoverCompleted), and the connection URL does not change. Starter and Sandbox: the
 * add-on is unavailable until the node recovers. Operators can switch over a Business
 * add-on on request.
 */
describe('flow: node failure and failover', () => {
  let sim: Simulation;

  beforeEach(async () => {
    sim = await new Simulation().start();
  });

  afterEach(async () => {
    await sim.dispose();
  });

  const report = async (kind: 'node-failures' | 'node-recoveries', addon: Provisioned, node: string) =>
    expectStatus(await sim.call('platform:monitoring', 'POST', `/v1/platform/${kind}`, { addon_id: addon.id, node }), 202);

  const nodeNames = (view: { nodes: Array<{ name: string; role: string; status: string }> }) =>
    view.nodes.map((n) => `${n.name.replace(/^.*-(db|sentinel|gateway)-/, '$1-')} ${n.role} ${n.status}`);

  it.each([
    ['postgresql', 'postgresql-business-512', ['db-2 leader up', 'db-3 standby up']],
    [
      'redis',
      'redis-business-1024',
      [
        'db-2 leader up',
        'db-3 standby up',
        'sentinel-1 sentinel up',
        'sentinel-2 sentinel up',
        'sentinel-3 sentinel up',
        'gateway-1 gateway up',
        'gateway-2 gateway up',
      ],
    ],
  ])('%s Business: leader down → NodeFailureDetected → FailoverTriggered (automatic, < 60 s) → FailoverCompleted, URL unchanged', async (provider, plan, nodesAfter) => {
    const addon = await runningAddon(sim, { app: 'shop', provider, plan });
    const before = await getAddon(sim, addon);
    const varsBefore = await variables(sim, 'shop');
    const leader = before.nodes.find((n: { role: string }) => n.role === 'leader').name;
    const standby = before.nodes.find((n: { role: string }) => n.role === 'standby').name;
    expect([leader, standby]).toEqual([`${before.resource_id}-db-1`, `${before.resource_id}-db-2`]);
    const from = await lastRevision(sim, `addon-${addon.id}`);
    const appFrom = await lastRevision(sim, 'app-shop');

    const res = await report('node-failures', addon, leader);
    await sim.advance(0);
    // The failover is triggered at once, and the promotion takes the data plane's 20 s.
    expect((await getAddon(sim, addon)).status).toBe('failing-over');
    await sim.advance(20 * SECOND);

    const events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['NodeFailureDetected', 'FailoverTriggered', 'FailoverCompleted']);
    const [detected, triggered, completed] = events;
    expectFromRequest(detected, 'platform:monitoring', requestIdOf(res));
    expect(dataOf(detected)).toMatchObject({ node: leader, role: 'leader' });
    expectCausedBy(triggered, 'failures', detected);
    expect(dataOf(triggered)).toMatchObject({ reason: 'automatic', fromNode: leader, toNode: standby });
    expect(msBetween(atOf(detected), atOf(triggered))).toBeLessThanOrEqual(60 * SECOND);
    expectCausedBy(completed, 'failures', triggered);
    const newStandby = `${before.resource_id}-db-3`;
    expect(dataOf(completed)).toMatchObject({ leader: standby, standby: newStandby });
    expect(msBetween(atOf(triggered), atOf(completed))).toBe(20 * SECOND);

    const after = await getAddon(sim, addon);
    expect(after.status).toBe('running');
    expect(nodeNames(after)).toEqual(nodesAfter);
    expect(after.connection).toEqual(before.connection);
    expect(await variables(sim, 'shop')).toEqual(varsBefore);
    // No restart of the app: clients reach the new leader through the gateway.
    expect(await eventsAfter(sim, 'app-shop', appFrom)).toEqual([]);
    expect((await sim.driver.instance(addon.id))?.nodes.slice(0, 2)).toEqual([
      { name: standby, role: 'leader' },
      { name: newStandby, role: 'standby' },
    ]);

    // Hours later nothing more has happened (the day's periodic backup aside).
    await sim.advance(6 * HOUR);
    expect(typesOf(await eventsAfter(sim, `addon-${addon.id}`, from))).toEqual([
      'NodeFailureDetected',
      'FailoverTriggered',
      'FailoverCompleted',
    ]);
    await expectCleanLogAndJobs(sim);
  });

  it('Business: the promotion failing (retryable) is retried until the failover completes', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-business-512' });
    const leader = `${(await getAddon(sim, addon)).resource_id}-db-1`;
    const from = await lastRevision(sim, `addon-${addon.id}`);
    sim.driver.failNext('promoteStandby', { times: 2, reason: 'host busy' });
    await report('node-failures', addon, leader);
    await sim.advance(5 * MINUTE);
    const events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['NodeFailureDetected', 'FailoverTriggered', 'FailoverCompleted']);
    // Attempts at +0, +5 and +15 s; the third takes 20 s.
    expect(msBetween(atOf(events[1]), atOf(events[2]))).toBe((15 + 20) * SECOND);
    expect((await getAddon(sim, addon)).status).toBe('running');
    await expectCleanLogAndJobs(sim);
  });

  // A promotion is never given up (RETRIED_UNTIL_DONE): an add-on must not stay without a leader.
  it('Business: a promotion failing for about an hour is still retried until the failover completes', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-business-512' });
    const leader = `${(await getAddon(sim, addon)).resource_id}-db-1`;
    sim.driver.failNext('promoteStandby', { times: 80, reason: 'lost contact with the host' });
    await report('node-failures', addon, leader);
    await sim.advance(HOUR);
    // Still failing over after an hour, well past RUNTIME_MAX_ATTEMPTS (10): not parked.
    expect((await getAddon(sim, addon)).status).toBe('failing-over');
    expect((await sim.runtime.counts()).dead).toBe(0);
    await sim.advance(HOUR);
    expect((await getAddon(sim, addon)).status).toBe('running');
    const events = await sim.events(`addon-${addon.id}`);
    expect(typesOf(events).slice(2)).toEqual(['NodeFailureDetected', 'FailoverTriggered', 'FailoverCompleted']);
    // Backoff 5 s, 10 s … capped at a minute: the 81st try, 77 min after the first, succeeds (in 20 s).
    const [, triggered, completed] = events.slice(2);
    expect(msBetween(atOf(triggered), atOf(completed))).toBe((5 + 10 + 20 + 40 + 76 * 60 + 20) * SECOND);
    await expectCleanLogAndJobs(sim);
  });

  it('Business: the standby down during the failover to it: FailoverFailed, AddonUnavailable; its recovery fails over to it', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-business-512' });
    const [leader, standby] = (await getAddon(sim, addon)).nodes.map((n: { name: string }) => n.name);
    const from = await lastRevision(sim, `addon-${addon.id}`);
    await report('node-failures', addon, leader);
    await sim.advance(5 * SECOND);
    await report('node-failures', addon, standby);
    await sim.advance(HOUR);
    let events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['NodeFailureDetected', 'FailoverTriggered', 'NodeFailureDetected', 'FailoverFailed', 'AddonUnavailable']);
    expect(dataOf(events[3])).toMatchObject({ fromNode: leader, toNode: standby, reason: `node ${standby} went down during the failover` });
    expect(dataOf(events[4])).toMatchObject({ reason: `nodes ${leader} and ${standby} are down` });
    const down = await getAddon(sim, addon);
    expect(down.status).toBe('unavailable');
    expect(nodeNames(down)).toEqual(['db-1 leader down', 'db-2 standby down']);

    // The standby comes back first: the add-on serves again through a failover to it.
    await report('node-recoveries', addon, standby);
    await sim.advance(5 * MINUTE);
    events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events).slice(5)).toEqual(['NodeRecovered', 'AddonRecovered', 'FailoverTriggered', 'FailoverCompleted']);
    expect(dataOf(events[7])).toMatchObject({ reason: 'automatic', fromNode: leader, toNode: standby });
    const view = await getAddon(sim, addon);
    expect(view.status).toBe('running');
    expect(nodeNames(view)).toEqual(['db-2 leader up', 'db-3 standby up']);
    await expectCleanLogAndJobs(sim);
  });

  it('Business: the standby down is recorded, the add-on keeps serving, and it recovers without failover', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-business-512' });
    const standby = `${(await getAddon(sim, addon)).resource_id}-db-2`;
    const from = await lastRevision(sim, `addon-${addon.id}`);
    await report('node-failures', addon, standby);
    await sim.advance(2 * HOUR);
    expect(typesOf(await eventsAfter(sim, `addon-${addon.id}`, from))).toEqual(['NodeFailureDetected']);
    expect((await getAddon(sim, addon)).status).toBe('running');
    await report('node-recoveries', addon, standby);
    await sim.advance(MINUTE);
    expect(typesOf(await eventsAfter(sim, `addon-${addon.id}`, from))).toEqual(['NodeFailureDetected', 'NodeRecovered']);
    await expectCleanLogAndJobs(sim);
  });

  it.each([
    ['Starter', 'postgresql', 'postgresql-starter-512'],
    ['Sandbox', 'postgresql', 'postgresql-sandbox'],
  ])('%s: NodeFailureDetected, AddonUnavailable, nothing more for hours; NodeRecovered, AddonRecovered after the report', async (_, provider, plan) => {
    const addon = await runningAddon(sim, { app: 'shop', provider, plan });
    const node = `${(await getAddon(sim, addon)).resource_id}-db-1`;
    const from = await lastRevision(sim, `addon-${addon.id}`);
    const appFrom = await lastRevision(sim, 'app-shop');

    const failure = await report('node-failures', addon, node);
    // From 09:00 to 21:00: no failover, no restart, nothing.
    await sim.advance(12 * HOUR);
    let events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['NodeFailureDetected', 'AddonUnavailable']);
    expectFromRequest(events[0], 'platform:monitoring', requestIdOf(failure));
    expectFromRequest(events[1], 'platform:monitoring', requestIdOf(failure));
    expect(dataOf(events[0])).toMatchObject({ node, role: 'leader' });
    expect(dataOf(events[1])).toMatchObject({ reason: `node ${node} is down` });
    const down = await getAddon(sim, addon);
    expect(down.status).toBe('unavailable');
    expect(nodeNames(down)).toEqual(['db-1 leader down']);
    // No failover for this class.
    const switchover = await sim.call('platform:operator', 'POST', `/v1/apps/shop/addons/${addon.id}/failover`);
    expect(switchover.status).toBe(422);
    expect(switchover.body.error.code).toBe('FAILOVER.NOT_AVAILABLE');

    const recovery = await report('node-recoveries', addon, node);
    await sim.advance(MINUTE);
    events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['NodeFailureDetected', 'AddonUnavailable', 'NodeRecovered', 'AddonRecovered']);
    expectFromRequest(events[2], 'platform:monitoring', requestIdOf(recovery));
    expectFromRequest(events[3], 'platform:monitoring', requestIdOf(recovery));
    expect(dataOf(events[2])).toMatchObject({ node });
    const up = await getAddon(sim, addon);
    expect(up.status).toBe('running');
    expect(nodeNames(up)).toEqual(['db-1 leader up']);
    expect(await eventsAfter(sim, 'app-shop', appFrom)).toEqual([]);
    await expectCleanLogAndJobs(sim);
  });

  it('Starter down over the backup hour: the periodic backup is taken late, once, after the recovery', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    const node = `${(await getAddon(sim, addon)).resource_id}-db-1`;
    await sim.advanceTo('2026-01-05T23:00:00.000Z');
    const from = await lastRevision(sim, `addon-${addon.id}`);
    await report('node-failures', addon, node);
    await sim.advanceTo('2026-01-06T02:00:00.000Z');
    expect(typesOf(await eventsAfter(sim, `addon-${addon.id}`, from))).toEqual(['NodeFailureDetected', 'AddonUnavailable']);
    await report('node-recoveries', addon, node);
    await sim.advanceTo('2026-01-06T12:00:00.000Z');
    const events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual([
      'NodeFailureDetected',
      'AddonUnavailable',
      'NodeRecovered',
      'AddonRecovered',
      'BackupRequested',
      'BackupStarted',
      'BackupTaken',
    ]);
    const [requested] = ofType(events, 'BackupRequested');
    expect(dataOf(requested)).toMatchObject({ method: 'periodic' });
    // Tried again every 10 minutes while unavailable: the first try after 02:00.
    expect(atOf(requested)).toBe('2026-01-06T02:10:00.000Z');
    // The next day's is on time.
    await sim.advanceTo('2026-01-07T01:00:00.000Z');
    const next = ofType(await eventsAfter(sim, `addon-${addon.id}`, from), 'BackupRequested');
    expect(next.map(atOf)).toEqual(['2026-01-06T02:10:00.000Z', '2026-01-07T00:00:00.000Z']);
    await expectCleanLogAndJobs(sim);
  });

  it('operator switchover on Business: FailoverTriggered (switchover) → FailoverCompleted, URL unchanged', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-business-1024' });
    const before = await getAddon(sim, addon);
    const varsBefore = await variables(sim, 'shop');
    const from = await lastRevision(sim, `addon-${addon.id}`);
    // Owners may not.
    expect((await sim.call('owner:alice', 'POST', `/v1/apps/shop/addons/${addon.id}/failover`)).status).toBe(403);

    const res = expectStatus(await sim.call('platform:operator', 'POST', `/v1/apps/shop/addons/${addon.id}/failover`), 202);
    expect(res.body.addon.status).toBe('failing-over');
    await sim.advance(30 * SECOND);
    const events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['FailoverTriggered', 'FailoverCompleted']);
    expectFromRequest(events[0], 'platform:operator', requestIdOf(res));
    expect(dataOf(events[0])).toMatchObject({
      reason: 'switchover',
      fromNode: `${before.resource_id}-db-1`,
      toNode: `${before.resource_id}-db-2`,
    });
    expectCausedBy(events[1], 'failures', events[0]);
    expect(dataOf(events[1])).toMatchObject({ leader: `${before.resource_id}-db-2`, standby: `${before.resource_id}-db-3` });
    const after = await getAddon(sim, addon);
    expect(nodeNames(after)).toEqual(['db-2 leader up', 'db-3 standby up']);
    expect(after.connection).toEqual(before.connection);
    expect(await variables(sim, 'shop')).toEqual(varsBefore);

    // A second switchover goes back onto a fresh node, never a name used before.
    expectStatus(await sim.call('platform:operator', 'POST', `/v1/apps/shop/addons/${addon.id}/failover`), 202);
    await sim.advance(30 * SECOND);
    expect(nodeNames(await getAddon(sim, addon))).toEqual(['db-3 leader up', 'db-4 standby up']);
    await expectCleanLogAndJobs(sim);
  });
});
