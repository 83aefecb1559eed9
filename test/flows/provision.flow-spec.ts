import {
  atOf,
  createApp,
  dataOf,
  expectCausedBy,
  expectFromRequest,
  expectCleanLogAndJobs,
  expectOccurredAtIsAt,
  expectStatus,
  getAddon,
  plus,
  provision,
  SECOND,
  typesOf,
  variables,
} from './flow-kit';
import { Simulation } from './simulation';

/**
 * Provisioning through the real app in simulated time: AddonProvisioned (the owner's
 * request) → the data plane creates the instance (30 s) → AddonRunning and the app's
 * variables (the provisioning saga), or the flow's failure with the driver's reason.
 */
describe('flow: provision', () => {
  let sim: Simulation;

  beforeEach(async () => {
    sim = await new Simulation().start();
  });

  afterEach(async () => {
    await sim.dispose();
  });

  it.each([
    ['redis', 'redis-starter-1024', 'REDIS', 'redis'],
    ['postgresql', 'postgresql-business-512', 'POSTGRESQL', 'postgres'],
  ])('%s: AddonProvisioned → AddonRunning 30 s later; the app gets AddonAttached then both URL variables', async (provider, plan, env, scheme) => {
    await createApp(sim, 'alice', 'shop');
    const t0 = sim.now();
    const addon = await provision(sim, { app: 'shop', provider, plan });

    // Nothing happens before the data plane is done.
    await sim.advance(29 * SECOND);
    expect(await sim.types(`addon-${addon.id}`)).toEqual(['AddonProvisioned']);
    expect((await getAddon(sim, addon)).status).toBe('provisioning');

    await sim.advance(1 * SECOND);
    const events = await sim.events(`addon-${addon.id}`);
    expect(typesOf(events)).toEqual(['AddonProvisioned', 'AddonRunning']);
    const [provisioned, running] = events;
    expectFromRequest(provisioned, 'owner:alice', addon.requestId);
    expectCausedBy(running, 'provisioning', provisioned);
    expect(atOf(provisioned)).toBe(t0);
    expect(atOf(running)).toBe(plus(t0, 30 * SECOND));
    expect(dataOf(provisioned)).toMatchObject({ addonId: addon.id, appName: 'shop', providerId: provider, planId: plan });
    expectOccurredAtIsAt(events);

    const app = await sim.events('app-shop');
    expect(typesOf(app)).toEqual(['AppCreated', 'AddonAttached', 'AppVariablesSet']);
    const [, attached, set] = app;
    expectFromRequest(attached, 'owner:alice', addon.requestId);
    expect(dataOf(attached)).toEqual({ addonId: addon.id, providerId: provider, at: t0 });
    // Set by the same job that recorded AddonRunning: same actor, correlation and causation.
    expectCausedBy(set, 'provisioning', provisioned);
    expect(dataOf(set)).toEqual({
      variables: [
        { name: `SCALINGO_${env}_URL`, addonUrl: addon.id },
        { name: `${env}_URL`, alias: `SCALINGO_${env}_URL` },
      ],
      at: plus(t0, 30 * SECOND),
    });
    // The password is never in an event.
    expect(JSON.stringify(set.data)).not.toMatch(/:\/\//);

    const view = await getAddon(sim, addon);
    expect(view.status).toBe('running');
    const vars = await variables(sim, 'shop');
    expect(Object.keys(vars).sort()).toEqual([`${env}_URL`, `SCALINGO_${env}_URL`]);
    expect(vars[`${env}_URL`]).toBe(`$SCALINGO_${env}_URL`);
    const url = new URL(vars[`SCALINGO_${env}_URL`]);
    expect(url.protocol).toBe(`${scheme}:`);
    expect(url.hostname).toBe(view.connection.host);
    expect(Number(url.port)).toBe(view.connection.port);
    expect(decodeURIComponent(url.username)).toBe(view.connection.user);
    expect(url.password.length).toBeGreaterThanOrEqual(20);
    expect(url.password).not.toContain('*');

    // Support sees the variable, never the password.
    const support = await sim.call('support:sam', 'GET', '/v1/apps/shop/variables');
    const masked = (support.body.variables as Array<{ name: string; value: string }>).find((v) => v.name === `SCALINGO_${env}_URL`)!;
    expect(new URL(masked.value).password).toBe(encodeURIComponent('********'));

    // The add-on's timers are set (a paid plan: periodic backup and daily retention), nothing else waits.
    expect(await sim.runtime.find(`periodic-backup:${addon.id}`)).toMatchObject({ dueAt: new Date('2026-01-06T00:00:00.000Z') });
    expect(await sim.runtime.find(`daily-retention:${addon.id}`)).toMatchObject({ dueAt: new Date('2026-01-06T00:05:00.000Z') });
    expect(await sim.runtime.counts()).toEqual({ pending: 2, dead: 0 });
    await expectCleanLogAndJobs(sim);
  });

  it('a final driver failure records AddonProvisioningFailed with its reason, and sets no variable', async () => {
    await createApp(sim, 'alice', 'shop');
    sim.driver.failNext('provision', { retryable: false, reason: 'no capacity left in the region' });
    const t0 = sim.now();
    const addon = await provision(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    await sim.advance(10 * 60 * SECOND);

    const events = await sim.events(`addon-${addon.id}`);
    expect(typesOf(events)).toEqual(['AddonProvisioned', 'AddonProvisioningFailed']);
    expectCausedBy(events[1], 'provisioning', events[0]);
    expect(dataOf(events[1])).toEqual({ reason: 'no capacity left in the region', at: t0 });
    expect(await sim.types('app-shop')).toEqual(['AppCreated', 'AddonAttached']);
    expect(await variables(sim, 'shop')).toEqual({});

    const view = await getAddon(sim, addon);
    expect(view).toMatchObject({ status: 'provisioning-failed', provisioning_error: 'no capacity left in the region' });
    // No timers for an add-on that never ran.
    expect(await sim.runtime.counts()).toEqual({ pending: 0, dead: 0 });
    // Nothing happens later either.
    await sim.advance(2 * 24 * 3600 * SECOND);
    expect(await sim.types(`addon-${addon.id}`)).toEqual(['AddonProvisioned', 'AddonProvisioningFailed']);
    await expectCleanLogAndJobs(sim);
  });

  it('retryable failures are retried with backoff 5 s, 10 s, then succeed (AddonRunning once)', async () => {
    await createApp(sim, 'alice', 'shop');
    sim.driver.failNext('provision', { times: 2, reason: 'host busy' });
    const t0 = sim.now();
    const addon = await provision(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });

    await sim.advance(0);
    const [provisioned] = await sim.events(`addon-${addon.id}`);
    const key = `provisioning:${provisioned.id}:0`;
    // First attempt failed at t0; the job waits 5 s.
    expect(await sim.runtime.find(key)).toMatchObject({ attempts: 1, dueAt: new Date(plus(t0, 5 * SECOND)) });
    await sim.advance(5 * SECOND);
    expect(await sim.runtime.find(key)).toMatchObject({ attempts: 2, dueAt: new Date(plus(t0, 15 * SECOND)) });
    expect(await sim.types(`addon-${addon.id}`)).toEqual(['AddonProvisioned']);

    // Third attempt at t0 + 15 s, then the 30 s the instance takes.
    await sim.advance(10 * SECOND + 30 * SECOND);
    const events = await sim.events(`addon-${addon.id}`);
    expect(typesOf(events)).toEqual(['AddonProvisioned', 'AddonRunning']);
    expect(atOf(events[1])).toBe(plus(t0, (5 + 10 + 30) * SECOND));
    expectCausedBy(events[1], 'provisioning', provisioned);
    expect(await sim.runtime.find(key)).toBeNull();
    expect(await sim.types('app-shop')).toEqual(['AppCreated', 'AddonAttached', 'AppVariablesSet']);
    await expectCleanLogAndJobs(sim);
  });

  it('four retryable failures, then the fifth (last) attempt succeeds', async () => {
    await createApp(sim, 'alice', 'shop');
    sim.driver.failNext('provision', { times: 4, reason: 'timed out' });
    const t0 = sim.now();
    const addon = await provision(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    await sim.advance(10 * 60 * SECOND);
    const events = await sim.events(`addon-${addon.id}`);
    expect(typesOf(events)).toEqual(['AddonProvisioned', 'AddonRunning']);
    // Attempts at +0, +5, +15, +35, +75 s; the last one takes the 30 s.
    expect(atOf(events[1])).toBe(plus(t0, (75 + 30) * SECOND));
    await expectCleanLogAndJobs(sim);
  });

  it('a retryable failure on every attempt (DRIVER_MAX_ATTEMPTS = 5) ends in AddonProvisioningFailed at the fifth', async () => {
    await createApp(sim, 'alice', 'shop');
    sim.driver.failNext('provision', { times: 5, reason: 'lost contact with the host' });
    const t0 = sim.now();
    const addon = await provision(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });

    await sim.advance(74 * SECOND);
    expect(await sim.types(`addon-${addon.id}`)).toEqual(['AddonProvisioned']);
    await sim.advance(1 * SECOND);
    const events = await sim.events(`addon-${addon.id}`);
    expect(typesOf(events)).toEqual(['AddonProvisioned', 'AddonProvisioningFailed']);
    // Attempts at +0, +5, +15, +35 and +75 s (backoff 5, 10, 20, 40 s).
    expect(dataOf(events[1])).toEqual({ reason: 'lost contact with the host', at: plus(t0, 75 * SECOND) });
    expectCausedBy(events[1], 'provisioning', events[0]);

    await sim.advance(3600 * SECOND);
    expect(await sim.types(`addon-${addon.id}`)).toEqual(['AddonProvisioned', 'AddonProvisioningFailed']);
    expect(await sim.types('app-shop')).toEqual(['AppCreated', 'AddonAttached']);
    expect(await sim.runtime.counts()).toEqual({ pending: 0, dead: 0 });
    await expectCleanLogAndJobs(sim);
  });

  it('a failed add-on can be removed and the app provisions the same type again', async () => {
    await createApp(sim, 'alice', 'shop');
    sim.driver.failNext('provision', { retryable: false, reason: 'the host refused the operation' });
    const failed = await provision(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    await sim.advance(SECOND);
    // One add-on per type: the failed one still holds the slot until removed.
    const again = await sim.call('owner:alice', 'POST', '/v1/apps/shop/addons', { addon_provider_id: 'redis', plan_id: 'redis-starter-1024' });
    expect(again.status).toBe(409);
    expectStatus(await sim.call('owner:alice', 'DELETE', `/v1/apps/shop/addons/${failed.id}`), 200);
    await sim.advance(30 * SECOND);
    const second = await provision(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    await sim.advance(30 * SECOND);
    expect(await sim.types(`addon-${failed.id}`)).toEqual(['AddonProvisioned', 'AddonProvisioningFailed', 'AddonDeprovisioned']);
    expect(await sim.types(`addon-${second.id}`)).toEqual(['AddonProvisioned', 'AddonRunning']);
    expect(await sim.types('app-shop')).toEqual(['AppCreated', 'AddonAttached', 'AddonDetached', 'AddonAttached', 'AppVariablesSet']);
    expect(Object.keys(await variables(sim, 'shop')).sort()).toEqual(['REDIS_URL', 'SCALINGO_REDIS_URL']);
    await expectCleanLogAndJobs(sim);
  });
});
