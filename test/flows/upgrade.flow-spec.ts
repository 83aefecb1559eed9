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
  MINUTE,
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
 * Version upgrade: VersionUpgradeStarted (the owner; downtime per class: Business minor
 * none, major downtime; Starter always downtime) → the data plane upgrades (60 s, plus the
 * downtime: 30 to 120 s) → VersionUpgraded → the app restarts (reason upgrade). A final
 * failure is VersionUpgradeFailed and the version does not change.
 */
describe('flow: version upgrade', () => {
  let sim: Simulation;

  beforeEach(async () => {
    sim = await new Simulation().start();
  });

  afterEach(async () => {
    await sim.dispose();
  });

  const upgrade = async (addon: { id: string; app: string }, body: object = {}) => {
    const res = expectStatus(await sim.call('owner:alice', 'POST', `/v1/apps/${addon.app}/addons/${addon.id}/upgrade`, body), 202);
    expect(res.body.addon.status).toBe('upgrading');
    return res;
  };

  it.each([
    // class, plan, from, to, kind, downtime, how long the data plane takes (s)
    ['Business minor', 'postgresql-business-512', '17.4.0', '17.5.0', 'minor', 'none', [60, 60]],
    ['Business major', 'postgresql-business-512', '16.9.0', '17.5.0', 'major', 'downtime', [90, 180]],
    ['Starter minor', 'postgresql-starter-512', '17.4.0', '17.5.0', 'minor', 'downtime', [90, 180]],
    ['Starter major', 'postgresql-starter-512', '16.9.0', '17.5.0', 'major', 'downtime', [90, 180]],
  ] as const)('%s (%s, %s → %s): VersionUpgradeStarted → VersionUpgraded → AppRestartRequested', async (_, plan, from, to, kind, downtime, [min, max]) => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan, version: from });
    expect((await getAddon(sim, addon)).next_version).toBe(to);
    const varsBefore = await variables(sim, 'shop');
    const addonFrom = await lastRevision(sim, `addon-${addon.id}`);
    const appFrom = await lastRevision(sim, 'app-shop');

    const res = await upgrade(addon);
    await sim.advance(5 * MINUTE);

    const events = await eventsAfter(sim, `addon-${addon.id}`, addonFrom);
    expect(typesOf(events)).toEqual(['VersionUpgradeStarted', 'VersionUpgraded']);
    const [started, upgraded] = events;
    expectFromRequest(started, 'owner:alice', requestIdOf(res));
    expect(dataOf(started)).toMatchObject({ fromVersion: from, toVersion: to, kind, downtime });
    expectCausedBy(upgraded, 'upgrade', started);
    expect(dataOf(upgraded)).toMatchObject({ fromVersion: from, toVersion: to });
    const took = msBetween(atOf(started), atOf(upgraded)) / 1000;
    expect(took).toBeGreaterThanOrEqual(min);
    expect(took).toBeLessThanOrEqual(max);

    const app = await eventsAfter(sim, 'app-shop', appFrom);
    expect(typesOf(app)).toEqual(['AppRestartRequested']);
    expectCausedBy(app[0], 'upgrade', upgraded);
    expect(dataOf(app[0])).toEqual({ reason: 'upgrade', addonId: addon.id, at: atOf(upgraded) });

    const view = await getAddon(sim, addon);
    expect(view).toMatchObject({ status: 'running', version: to });
    expect((await sim.driver.instance(addon.id))?.version).toBe(to);
    expect(await variables(sim, 'shop')).toEqual(varsBefore);
    await expectCleanLogAndJobs(sim);
  });

  it('a major upgrade from an older minor is refused (422), and writes nothing', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-business-512', version: '16.8.0' });
    const before = await lastRevision(sim, `addon-${addon.id}`);
    const res = await sim.call('owner:alice', 'POST', `/v1/apps/shop/addons/${addon.id}/upgrade`, { version: '17.5.0' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VERSION.NOT_ON_LATEST_MINOR');
    expect(await lastRevision(sim, `addon-${addon.id}`)).toBe(before);
    // The path: 16.8.0 → 16.9.0 → 17.5.0.
    await upgrade(addon);
    await sim.advance(5 * MINUTE);
    await upgrade(addon);
    await sim.advance(5 * MINUTE);
    const upgraded = (await eventsAfter(sim, `addon-${addon.id}`, before)).filter((e) => e.type === 'VersionUpgraded');
    expect(upgraded.map((e) => dataOf(e))).toEqual([
      expect.objectContaining({ fromVersion: '16.8.0', toVersion: '16.9.0' }),
      expect.objectContaining({ fromVersion: '16.9.0', toVersion: '17.5.0' }),
    ]);
    expect((await getAddon(sim, addon)).next_version).toBeNull();
    await expectCleanLogAndJobs(sim);
  });

  it('a final driver failure records VersionUpgradeFailed with the reason; the version does not change', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-business-512', version: '17.4.0' });
    const addonFrom = await lastRevision(sim, `addon-${addon.id}`);
    const appFrom = await lastRevision(sim, 'app-shop');
    sim.driver.failNext('upgrade', { retryable: false, reason: 'the host refused the operation' });
    await upgrade(addon);
    await sim.advance(5 * MINUTE);

    const events = await eventsAfter(sim, `addon-${addon.id}`, addonFrom);
    expect(typesOf(events)).toEqual(['VersionUpgradeStarted', 'VersionUpgradeFailed']);
    expectCausedBy(events[1], 'upgrade', events[0]);
    expect(dataOf(events[1])).toEqual({
      fromVersion: '17.4.0',
      toVersion: '17.5.0',
      reason: 'the host refused the operation',
      at: atOf(events[0]),
    });
    expect(await eventsAfter(sim, 'app-shop', appFrom)).toEqual([]);
    const view = await getAddon(sim, addon);
    expect(view).toMatchObject({ status: 'running', version: '17.4.0', next_version: '17.5.0' });
    expect((await sim.driver.instance(addon.id))?.version).toBe('17.4.0');
    await expectCleanLogAndJobs(sim);
  });

  it('retryable failures on every attempt end in VersionUpgradeFailed at the fifth attempt (+75 s)', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-starter-512', version: '17.4.0' });
    const addonFrom = await lastRevision(sim, `addon-${addon.id}`);
    sim.driver.failNext('upgrade', { times: 5, reason: 'timed out' });
    await upgrade(addon);
    await sim.advance(5 * MINUTE);
    const events = await eventsAfter(sim, `addon-${addon.id}`, addonFrom);
    expect(typesOf(events)).toEqual(['VersionUpgradeStarted', 'VersionUpgradeFailed']);
    expect(atOf(events[1])).toBe(plus(atOf(events[0]), 75 * SECOND));
    expect((await getAddon(sim, addon)).version).toBe('17.4.0');
    await expectCleanLogAndJobs(sim);
  });
});
