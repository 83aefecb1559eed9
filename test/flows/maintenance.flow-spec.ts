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
  plus,
  Provisioned,
  requestIdOf,
  runningAddon,
  typesOf,
} from './flow-kit';
import { Simulation } from './simulation';

const MAINTENANCE_TYPES = ['MaintenanceAnnounced', 'MaintenanceStarted', 'MaintenanceCompleted', 'MaintenanceCancelled'];

/**
 * Maintenance: announced by an operator (POST /v1/platform/maintenances) for the first
 * occurrence of the add-on's weekly window starting at least 24 h later (8 h long); started
 * by the platform when the window opens, the data plane works 30 min, then completed
 * inside the window. A busy add-on is tried again within the window; busy the whole window,
 * the maintenance is called off.
 */
describe('flow: maintenance', () => {
  let sim: Simulation;

  afterEach(async () => {
    await sim.dispose();
  });

  /** Monday 5 January 2026, 09:00 UTC. */
  async function setUp(env: Record<string, string> = {}) {
    sim = await new Simulation('2026-01-05T09:00:00.000Z').start(env);
    return runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
  }

  const setWindow = async (addon: Provisioned, weekday: number, hour: number) =>
    expectStatus(
      await sim.call('owner:alice', 'PUT', `/v1/apps/shop/addons/${addon.id}/maintenance-window`, { weekday_utc: weekday, starting_hour_utc: hour }),
      200,
    );

  const announce = async (addon: Provisioned, reason = 'Security patches of the host OS') => {
    const res = expectStatus(await sim.call('platform:operator', 'POST', '/v1/platform/maintenances', { addon_id: addon.id, reason }), 202);
    return res;
  };

  const maintenanceEvents = async (addon: Provisioned) =>
    ofType(await sim.events(`addon-${addon.id}`), ...MAINTENANCE_TYPES);

  it('announced for the next window ≥ 24 h ahead; nothing before it opens; started when it opens; completed inside it', async () => {
    const addon = await setUp();
    await setWindow(addon, 3, 2); // Wednesday 02:00–10:00 UTC
    const announcedAt = sim.now();
    const res = await announce(addon);
    expect(res.body.addon.maintenance).toMatchObject({
      reason: 'Security patches of the host OS',
      starts_at: '2026-01-07T02:00:00.000Z',
      ends_at: '2026-01-07T10:00:00.000Z',
      started: false,
    });

    let events = await maintenanceEvents(addon);
    expect(typesOf(events)).toEqual(['MaintenanceAnnounced']);
    const [announced] = events;
    expectFromRequest(announced, 'platform:operator', requestIdOf(res));
    const { maintenanceId, startsAt, endsAt, reason } = dataOf<{ maintenanceId: string; startsAt: string; endsAt: string; reason: string }>(
      announced,
    );
    expect(reason).toBe('Security patches of the host OS');
    expect(msBetween(announcedAt, startsAt)).toBeGreaterThanOrEqual(24 * HOUR);
    expect(new Date(startsAt).getUTCDay()).toBe(3);
    expect(new Date(startsAt).getUTCHours()).toBe(2);
    expect(msBetween(startsAt, endsAt)).toBe(8 * HOUR);

    // The instant before it opens: still only announced (the daily backups go on).
    await sim.advanceTo(plus(startsAt, -1));
    expect(typesOf(await maintenanceEvents(addon))).toEqual(['MaintenanceAnnounced']);
    expect((await getAddon(sim, addon)).status).toBe('running');

    await sim.advanceTo(startsAt);
    events = await maintenanceEvents(addon);
    expect(typesOf(events)).toEqual(['MaintenanceAnnounced', 'MaintenanceStarted']);
    expectCausedBy(events[1], 'maintenance', announced);
    expect(dataOf(events[1])).toEqual({ maintenanceId, at: startsAt });
    const during = await getAddon(sim, addon);
    expect(during).toMatchObject({ status: 'maintenance', maintenance: { id: maintenanceId, started: true } });
    // The owner's operations wait for it.
    const refused = await sim.call('owner:alice', 'PATCH', `/v1/apps/shop/addons/${addon.id}`, { plan_id: 'redis-starter-2048' });
    expect(refused.status).toBe(409);

    await sim.advanceTo(endsAt);
    events = await maintenanceEvents(addon);
    expect(typesOf(events)).toEqual(['MaintenanceAnnounced', 'MaintenanceStarted', 'MaintenanceCompleted']);
    expectCausedBy(events[2], 'maintenance', events[1]);
    expect(dataOf(events[2])).toEqual({ maintenanceId, at: plus(startsAt, 30 * MINUTE) });
    expect(Date.parse(atOf(events[2]))).toBeLessThan(Date.parse(endsAt));
    const after = await getAddon(sim, addon);
    expect(after.status).toBe('running');
    expect(after.maintenance).toBeUndefined();
    // A paid add-on keeps only its two timers.
    expect(await sim.runtime.counts()).toEqual({ pending: 2, dead: 0 });
    await expectCleanLogAndJobs(sim);
  });

  it('a window less than 24 h away is skipped for the next week\'s', async () => {
    const addon = await setUp();
    await setWindow(addon, 2, 3); // Tuesday 03:00 UTC: tomorrow, under 24 h from Monday 09:00
    const res = await announce(addon);
    expect(res.body.addon.maintenance).toMatchObject({ starts_at: '2026-01-13T03:00:00.000Z', ends_at: '2026-01-13T11:00:00.000Z' });
    await sim.advanceTo('2026-01-13T02:59:59.999Z');
    expect(typesOf(await maintenanceEvents(addon))).toEqual(['MaintenanceAnnounced']);
    await sim.advanceTo('2026-01-13T04:00:00.000Z');
    expect((await maintenanceEvents(addon)).map((e) => `${e.type} ${atOf(e)}`)).toEqual([
      'MaintenanceAnnounced 2026-01-05T09:00:30.000Z',
      'MaintenanceStarted 2026-01-13T03:00:00.000Z',
      'MaintenanceCompleted 2026-01-13T03:30:00.000Z',
    ]);
    await expectCleanLogAndJobs(sim);
  });

  it('the default window (random weekday, 01:00–05:00 UTC start) is honoured too', async () => {
    const addon = await setUp();
    const window = (await getAddon(sim, addon)).maintenance_window;
    const res = await announce(addon);
    const { starts_at: startsAt, ends_at: endsAt } = res.body.addon.maintenance;
    expect(new Date(startsAt).getUTCDay()).toBe(window.weekday_utc);
    expect(new Date(startsAt).getUTCHours()).toBe(window.starting_hour_utc);
    expect(msBetween(sim.now(), startsAt)).toBeGreaterThanOrEqual(24 * HOUR);
    expect(msBetween(sim.now(), startsAt)).toBeLessThan(8 * 24 * HOUR);
    await sim.advanceTo(endsAt);
    expect(typesOf(await maintenanceEvents(addon))).toEqual(['MaintenanceAnnounced', 'MaintenanceStarted', 'MaintenanceCompleted']);
    await expectCleanLogAndJobs(sim);
  });

  it('a plan change in progress when the window opens: tried again every 10 min inside the window, started once it is done', async () => {
    // Ten attempts for a retryable driver failure, so the plan change can last ~20 minutes.
    const addon = await setUp({ DRIVER_MAX_ATTEMPTS: '10' });
    await setWindow(addon, 3, 2);
    await announce(addon);
    await sim.advanceTo('2026-01-07T01:59:00.000Z');
    // Fails 8 times: attempts at -60 s, then +5, +10, +20, +40, +80, +160, +320, +600 s: the 9th at 02:19:35.
    sim.driver.failNext('changePlan', { times: 8, reason: 'host busy' });
    expectStatus(await sim.call('owner:alice', 'PATCH', `/v1/apps/shop/addons/${addon.id}`, { plan_id: 'redis-starter-2048' }), 202);
    await sim.advanceTo('2026-01-07T02:00:00.000Z');
    expect((await getAddon(sim, addon)).status).toBe('changing-plan');
    expect(typesOf(await maintenanceEvents(addon))).toEqual(['MaintenanceAnnounced']);

    await sim.advanceTo('2026-01-07T10:00:00.000Z');
    const all = await sim.events(`addon-${addon.id}`);
    const restarted = ofType(all, 'AddonRestarted')[0];
    expect(Date.parse(atOf(restarted))).toBeGreaterThan(Date.parse('2026-01-07T02:19:35.000Z') - 1);
    expect(Date.parse(atOf(restarted))).toBeLessThan(Date.parse('2026-01-07T02:20:00.000Z'));
    expect((await maintenanceEvents(addon)).map((e) => `${e.type} ${atOf(e)}`)).toEqual([
      'MaintenanceAnnounced 2026-01-05T09:00:30.000Z',
      'MaintenanceStarted 2026-01-07T02:20:00.000Z', // busy at 02:00 and 02:10
      'MaintenanceCompleted 2026-01-07T02:50:00.000Z',
    ]);
    await expectCleanLogAndJobs(sim);
  });

  it('busy for the whole window (its node down): MaintenanceCancelled before the window ends, never started', async () => {
    const addon = await setUp();
    await setWindow(addon, 3, 2);
    const from = await lastRevision(sim, `addon-${addon.id}`);
    await announce(addon);
    const node = (await getAddon(sim, addon)).nodes[0].name;
    await sim.advanceTo('2026-01-07T01:00:00.000Z');
    expectStatus(await sim.call('platform:monitoring', 'POST', '/v1/platform/node-failures', { addon_id: addon.id, node }), 202);
    await sim.advanceTo('2026-01-07T11:00:00.000Z');

    const events = await maintenanceEvents(addon);
    expect(typesOf(events)).toEqual(['MaintenanceAnnounced', 'MaintenanceCancelled']);
    const { maintenanceId } = dataOf<{ maintenanceId: string }>(events[0]);
    // Tried at 02:00, 02:10 … 09:50: the last try whose retry would fall outside the window calls it off.
    expect(dataOf(events[1])).toEqual({ maintenanceId, reason: 'the add-on was busy for the whole window', at: '2026-01-07T09:50:00.000Z' });
    expect(events[1].metadata.actor).toBe('platform:maintenance');
    expect(events[1].metadata.$correlationId).toBe(events[0].metadata.$correlationId);
    expect((await getAddon(sim, addon)).maintenance).toBeUndefined();
    // A new maintenance can be announced.
    const again = await announce(addon, 'Second try');
    expect(again.body.addon.maintenance.starts_at).toBe('2026-01-14T02:00:00.000Z');
    expect(typesOf(await eventsAfter(sim, `addon-${addon.id}`, from)).filter((t) => !t.startsWith('Backup'))).toEqual([
      'MaintenanceAnnounced',
      'NodeFailureDetected',
      'AddonUnavailable',
      'MaintenanceCancelled',
      'MaintenanceAnnounced',
    ]);
    await expectCleanLogAndJobs(sim);
  });

  it('data-plane work failing on every attempt: MaintenanceFailed with the reason, and the add-on serves on', async () => {
    const addon = await setUp();
    await setWindow(addon, 3, 2);
    const announced = await announce(addon);
    sim.driver.failNext('maintain', { times: 10, reason: 'host busy' });
    await sim.advanceTo('2026-01-08T12:00:00.000Z');
    const events = ofType(await sim.events(`addon-${addon.id}`), ...MAINTENANCE_TYPES, 'MaintenanceFailed');
    expect(typesOf(events)).toEqual(['MaintenanceAnnounced', 'MaintenanceStarted', 'MaintenanceFailed']);
    const { maintenanceId } = dataOf<{ maintenanceId: string }>(events[0]);
    // DRIVER_MAX_ATTEMPTS (5): tries at +0, +5, +15, +35 and +75 s; the last one's failure is final.
    expect(dataOf(events[2])).toEqual({ maintenanceId, reason: 'host busy', at: '2026-01-07T02:01:15.000Z' });
    expect(events[2].metadata.$correlationId).toBe(events[0].metadata.$correlationId);
    const view = await getAddon(sim, addon);
    expect(view.status).toBe('running');
    expect(view.maintenance).toBeUndefined();
    expect(announced.status).toBe(202);
    // Operations are accepted again, and a new maintenance can be announced.
    expectStatus(await sim.call('owner:alice', 'POST', `/v1/apps/shop/addons/${addon.id}/backups`), 202);
    expect((await announce(addon, 'Second try')).body.addon.maintenance.starts_at).toBe('2026-01-14T02:00:00.000Z');
    await sim.advance(HOUR);
    await expectCleanLogAndJobs(sim);
  });
});
