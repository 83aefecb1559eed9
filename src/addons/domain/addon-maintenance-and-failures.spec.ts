import { AddonCommand } from './addon.commands';
import { addonDecider } from './addon.decider';
import { AddonEvent, MaintenanceWindow } from './addon.events';
import {
  db,
  given,
  LEADER,
  maintenanceAnnounced,
  maintenanceCompleted,
  maintenanceStarted,
  NOW,
  PLAN_OF,
  planChangedTo,
  planChangeStarted,
  PROVISIONED_AT,
  provisioned,
  removed,
  running,
  STANDBY,
  upgradeStarted,
} from './testing/addon-fixtures';

// NOW is Wednesday 5 March 2025, 12:00 UTC; the add-on's window is Wednesdays 02:00–10:00 UTC.
const NEXT_START = '2025-03-12T02:00:00.000Z';
const NEXT_END = '2025-03-12T10:00:00.000Z';
const IN_WINDOW = '2025-03-12T03:00:00.000Z';
const M1 = 'mnt-1';

const schedule = (maintenanceId = M1, at = NOW, reason = 'security patches'): AddonCommand => ({
  type: 'ScheduleMaintenance',
  data: { maintenanceId, reason, at },
});
const start = (at: string, maintenanceId = M1): AddonCommand => ({ type: 'StartMaintenance', data: { maintenanceId, at } });
const complete = (at: string, maintenanceId = M1): AddonCommand => ({ type: 'CompleteMaintenance', data: { maintenanceId, at } });
const cancel = (at: string, maintenanceId = M1, reason = 'patch withdrawn'): AddonCommand => ({
  type: 'CancelMaintenance',
  data: { maintenanceId, reason, at },
});
const windowOn = (weekdayUtc: number, startingHourUtc: number): MaintenanceWindow => ({
  weekdayUtc,
  startingHourUtc,
  durationHours: 8,
});

/** A running Starter add-on with a maintenance announced now for next Wednesday's window. */
const announced: AddonEvent[] = [...running(PLAN_OF.starter), maintenanceAnnounced(M1, NEXT_START)];
/** The same, its maintenance under way. */
const inMaintenance: AddonEvent[] = [...announced, maintenanceStarted(M1, NEXT_START)];

describe('Maintenance: "announced at least 24 h before it starts, then started and completed"', () => {
  describe('"announced": in the first occurrence of the weekly window starting at least 24 h after now', () => {
    it('the default window (Wednesday 02:00 UTC) passed today: next Wednesday, 02:00–10:00', () => {
      given(...running(PLAN_OF.starter))
        .when(schedule())
        .then({
          type: 'MaintenanceAnnounced',
          data: { maintenanceId: M1, reason: 'security patches', startsAt: NEXT_START, endsAt: NEXT_END, at: NOW },
        });
    });

    it.each<[string, MaintenanceWindow, string, string]>([
      ['later this week, more than 24 h away (Friday 02:00, 38 h): that one', windowOn(5, 2), '2025-03-07T02:00:00.000Z', '2025-03-07T10:00:00.000Z'],
      ['tomorrow, less than 24 h away (Thursday 02:00, 14 h): the week after', windowOn(4, 2), '2025-03-13T02:00:00.000Z', '2025-03-13T10:00:00.000Z'],
      ['exactly 24 h away (Thursday 12:00): that one', windowOn(4, 12), '2025-03-06T12:00:00.000Z', '2025-03-06T20:00:00.000Z'],
      ['today, already passed (Wednesday 02:00): next week', windowOn(3, 2), NEXT_START, NEXT_END],
      ['today, still ahead but within 24 h (Wednesday 20:00): next week', windowOn(3, 20), '2025-03-12T20:00:00.000Z', '2025-03-13T04:00:00.000Z'],
      ['Saturday 23:00: ends 8 h later, on Sunday 07:00', windowOn(6, 23), '2025-03-08T23:00:00.000Z', '2025-03-09T07:00:00.000Z'],
    ])('window %s', (_, maintenanceWindow, startsAt, endsAt) => {
      given(...running(PLAN_OF.starter, { maintenanceWindow }))
        .when(schedule())
        .thenMatches({ type: 'MaintenanceAnnounced', data: { startsAt, endsAt } });
    });

    it('24 h less one millisecond ahead of the window is too short: the week after', () => {
      given(...running(PLAN_OF.starter, { maintenanceWindow: windowOn(4, 12) }))
        .when(schedule(M1, '2025-03-05T12:00:00.001Z'))
        .thenMatches({ type: 'MaintenanceAnnounced', data: { startsAt: '2025-03-13T12:00:00.000Z' } });
    });

    it('across a year end: Tuesday 30 December, Thursday 22:00 window → 1 January 22:00 to 2 January 06:00', () => {
      given(...running(PLAN_OF.starter, { maintenanceWindow: windowOn(4, 22) }))
        .when(schedule(M1, '2025-12-30T12:00:00.000Z'))
        .thenMatches({
          type: 'MaintenanceAnnounced',
          data: { startsAt: '2026-01-01T22:00:00.000Z', endsAt: '2026-01-02T06:00:00.000Z' },
        });
    });

    it('"endsAt = startsAt + 8 h": the window is 8 hours long', () => {
      for (const [weekday, hour] of [[0, 0], [1, 5], [3, 21], [6, 23]]) {
        const state = given(...running(PLAN_OF.starter, { maintenanceWindow: windowOn(weekday, hour) })).state;
        const [event] = addonDecider.decide(schedule(), state);
        if (event.type !== 'MaintenanceAnnounced') throw new Error(event.type);
        expect(Date.parse(event.data.endsAt) - Date.parse(event.data.startsAt)).toBe(8 * 3_600_000);
      }
    });

    it('the window set last is the one used', () => {
      const moved: AddonEvent = { type: 'MaintenanceWindowSet', data: { ...windowOn(5, 2), at: PROVISIONED_AT } };
      given(...running(PLAN_OF.starter), moved)
        .when(schedule())
        .thenMatches({ type: 'MaintenanceAnnounced', data: { startsAt: '2025-03-07T02:00:00.000Z' } });
    });

    it('the announced maintenance is part of the add-on, not started', () => {
      expect(given(...announced).state).toMatchObject({
        status: 'running',
        maintenance: { maintenanceId: M1, reason: 'security patches', startsAt: NEXT_START, endsAt: NEXT_END, started: false },
      });
    });

    it('the same maintenanceId again (a retry): no events', () => {
      given(...announced).when(schedule()).thenNothing();
      given(...announced).when(schedule(M1, '2025-03-06T12:00:00.000Z')).thenNothing();
      given(...inMaintenance).when(schedule(M1, IN_WINDOW)).thenNothing();
    });

    it('another while one is pending: MAINTENANCE.ALREADY_SCHEDULED, naming the pending one', () => {
      const error = given(...announced).when(schedule('mnt-2')).thenFails('MAINTENANCE.ALREADY_SCHEDULED', { maintenanceId: M1 });
      expect(error.message).toBe(`A maintenance is already announced from ${NEXT_START}; announce another after it.`);
      given(...inMaintenance).when(schedule('mnt-2', IN_WINDOW)).thenFails('MAINTENANCE.ALREADY_SCHEDULED', { maintenanceId: M1 });
    });

    it('another once the previous one completed or was cancelled: announced', () => {
      given(...inMaintenance, maintenanceCompleted(M1, IN_WINDOW))
        .when(schedule('mnt-2', IN_WINDOW))
        .thenMatches({ type: 'MaintenanceAnnounced', data: { maintenanceId: 'mnt-2', startsAt: '2025-03-19T02:00:00.000Z' } });
      const cancelled: AddonEvent = { type: 'MaintenanceCancelled', data: { maintenanceId: M1, reason: 'withdrawn', at: NOW } };
      given(...announced, cancelled)
        .when(schedule('mnt-2'))
        .thenMatches({ type: 'MaintenanceAnnounced', data: { maintenanceId: 'mnt-2', startsAt: NEXT_START } });
    });

    it('one whose window ended without it starting is called off, and no longer blocks the next', () => {
      const afterWindow = '2025-03-13T12:00:00.000Z';
      given(...announced)
        .when(schedule('mnt-2', afterWindow))
        .then(
          {
            type: 'MaintenanceCancelled',
            data: { maintenanceId: M1, reason: 'its window ended before it could start', at: afterWindow },
          },
          {
            type: 'MaintenanceAnnounced',
            data: {
              maintenanceId: 'mnt-2',
              reason: 'security patches',
              startsAt: '2025-03-19T02:00:00.000Z',
              endsAt: '2025-03-19T10:00:00.000Z',
              at: afterWindow,
            },
          },
        );
    });

    it('while its window is still open, a pending one that has not started still blocks', () => {
      given(...announced).when(schedule('mnt-2', IN_WINDOW)).thenFails('MAINTENANCE.ALREADY_SCHEDULED');
    });

    it('refused before the add-on runs: ADDON.NOT_RUNNING', () => {
      given(provisioned(PLAN_OF.starter)).when(schedule()).thenFails('ADDON.NOT_RUNNING');
      given(provisioned(PLAN_OF.starter), { type: 'AddonProvisioningFailed', data: { reason: 'no capacity', at: NOW } })
        .when(schedule())
        .thenFails('ADDON.NOT_RUNNING');
    });

    it('refused once removed: ADDON.NOT_FOUND', () => {
      given(...running(PLAN_OF.starter), removed(NOW, null)).when(schedule()).thenFails('ADDON.NOT_FOUND');
    });
  });

  describe('"then started": inside the announced window only', () => {
    it('at the window start: MaintenanceStarted, and the add-on is in maintenance', () => {
      given(...announced).when(start(NEXT_START)).then(maintenanceStarted(M1, NEXT_START));
      expect(given(...inMaintenance).state).toMatchObject({
        status: 'maintenance',
        maintenance: { maintenanceId: M1, started: true },
      });
    });

    it('up to the last millisecond of the window', () => {
      given(...announced).when(start('2025-03-12T09:59:59.999Z')).then(maintenanceStarted(M1, '2025-03-12T09:59:59.999Z'));
    });

    it.each([
      ['before startsAt', '2025-03-12T01:59:59.999Z'],
      ['now, a week early', NOW],
      ['at endsAt', NEXT_END],
      ['after endsAt', '2025-03-12T13:00:00.000Z'],
    ])('%s: MAINTENANCE.OUTSIDE_WINDOW with the announced start and end', (_, at) => {
      const error = given(...announced)
        .when(start(at))
        .thenFails('MAINTENANCE.OUTSIDE_WINDOW', { startsAt: NEXT_START, endsAt: NEXT_END });
      expect(error.message).toBe(`This maintenance runs from ${NEXT_START} to ${NEXT_END}, as announced.`);
    });

    it.each<[string, AddonEvent[], string]>([
      ['changing plan', [...announced, planChangeStarted(PLAN_OF.starter, PLAN_OF.business, IN_WINDOW)], 'changing-plan'],
      ['upgrading', [...running(PLAN_OF.starter, { version: '16.8.0' }), maintenanceAnnounced(M1, NEXT_START), upgradeStarted('16.8.0', '16.9.0')], 'upgrading'],
      [
        'restoring',
        [...announced, { type: 'RestoreStarted', data: { restoreId: 'r1', source: { pointInTime: NOW }, at: NOW } }],
        'restoring',
      ],
      [
        'failing over',
        [
          ...running(PLAN_OF.business),
          maintenanceAnnounced(M1, NEXT_START),
          { type: 'FailoverTriggered', data: { reason: 'switchover', fromNode: LEADER.name, toNode: STANDBY.name, at: NOW } },
        ],
        'failing-over',
      ],
    ])('while the add-on is %s: ADDON.OPERATION_IN_PROGRESS', (_, history, status) => {
      given(...history).when(start(IN_WINDOW)).thenFails('ADDON.OPERATION_IN_PROGRESS', { status });
    });

    it('while the add-on is unavailable: ADDON.NOT_RUNNING', () => {
      given(
        ...announced,
        { type: 'NodeFailureDetected', data: { node: LEADER.name, role: 'leader', at: NOW } },
        { type: 'AddonUnavailable', data: { reason: 'down', at: NOW } },
      )
        .when(start(IN_WINDOW))
        .thenFails('ADDON.NOT_RUNNING', { status: 'unavailable' });
    });

    it('a repeated start: no events', () => {
      given(...inMaintenance).when(start(IN_WINDOW)).thenNothing();
    });

    it('a start for another, or no, maintenance: no events', () => {
      given(...announced).when(start(IN_WINDOW, 'mnt-other')).thenNothing();
      given(...running(PLAN_OF.starter)).when(start(IN_WINDOW)).thenNothing();
    });
  });

  describe('in maintenance, the add-on takes no other operation', () => {
    it.each<AddonCommand>([
      { type: 'ChangePlan', data: { planId: PLAN_OF.business, at: IN_WINDOW } },
      { type: 'RequestBackup', data: { backupId: 'b1', method: 'manual', at: IN_WINDOW } },
      { type: 'RequestBackup', data: { backupId: 'b2', method: 'periodic', at: IN_WINDOW } },
      { type: 'StartUpgrade', data: { at: IN_WINDOW } },
      { type: 'EnableFeature', data: { feature: 'force-tls', at: IN_WINDOW } },
    ])('$type: ADDON.OPERATION_IN_PROGRESS', (command) => {
      const history = [...running(PLAN_OF.starter, { version: '16.8.0' }), maintenanceAnnounced(M1, NEXT_START), maintenanceStarted(M1, NEXT_START)];
      const error = given(...history).when(command).thenFails('ADDON.OPERATION_IN_PROGRESS', { status: 'maintenance' });
      expect(error.message).toBe('The add-on is in maintenance. Try again when it is done.');
    });

    it('a Business switchover: ADDON.OPERATION_IN_PROGRESS', () => {
      given(...running(PLAN_OF.business), maintenanceAnnounced(M1, NEXT_START), maintenanceStarted(M1, NEXT_START))
        .when({ type: 'TriggerFailover', data: { reason: 'switchover', at: IN_WINDOW } })
        .thenFails('ADDON.OPERATION_IN_PROGRESS', { status: 'maintenance' });
    });

    it('node failure reports: ADDON.OPERATION_IN_PROGRESS (the platform restarts nodes itself)', () => {
      const error = given(...inMaintenance)
        .when({ type: 'ReportNodeFailure', data: { node: LEADER.name, at: IN_WINDOW } })
        .thenFails('ADDON.OPERATION_IN_PROGRESS');
      expect(error.message).toBe('The add-on is in maintenance; its nodes are expected to restart.');
    });
  });

  describe('"then completed"', () => {
    it('CompleteMaintenance: MaintenanceCompleted; the add-on runs again, no maintenance pending', () => {
      given(...inMaintenance).when(complete(IN_WINDOW)).then(maintenanceCompleted(M1, IN_WINDOW));
      const state = given(...inMaintenance, maintenanceCompleted(M1, IN_WINDOW)).state;
      expect(state).toMatchObject({ status: 'running' });
      expect(state).not.toHaveProperty('maintenance.maintenanceId');
    });

    it('operations are taken again afterwards', () => {
      given(...inMaintenance, maintenanceCompleted(M1, IN_WINDOW))
        .when({ type: 'ChangePlan', data: { planId: PLAN_OF.business, at: IN_WINDOW } })
        .thenMatches({ type: 'PlanChanged', data: { toPlanId: PLAN_OF.business } });
    });

    it('a repeated completion: no events', () => {
      given(...inMaintenance, maintenanceCompleted(M1, IN_WINDOW)).when(complete(IN_WINDOW)).thenNothing();
    });

    it('a completion before it started, or of another maintenance: no events', () => {
      given(...announced).when(complete(IN_WINDOW)).thenNothing();
      given(...inMaintenance).when(complete(IN_WINDOW, 'mnt-other')).thenNothing();
    });
  });

  describe('"failed": its work could not be done inside the window', () => {
    const fail = (at: string, maintenanceId = M1): AddonCommand => ({
      type: 'FailMaintenance',
      data: { maintenanceId, reason: 'host busy', at },
    });
    const failed: AddonEvent = { type: 'MaintenanceFailed', data: { maintenanceId: M1, reason: 'host busy', at: IN_WINDOW } };

    it('FailMaintenance: MaintenanceFailed with the reason; the add-on runs as before, no maintenance pending', () => {
      given(...inMaintenance).when(fail(IN_WINDOW)).then(failed);
      const state = given(...inMaintenance, failed).state;
      expect(state).toMatchObject({ status: 'running' });
      expect(state).not.toHaveProperty('maintenance.maintenanceId');
    });

    it('operations are taken again, and another maintenance can be announced', () => {
      given(...inMaintenance, failed)
        .when({ type: 'ChangePlan', data: { planId: PLAN_OF.business, at: IN_WINDOW } })
        .thenMatches({ type: 'PlanChanged', data: { toPlanId: PLAN_OF.business } });
      given(...inMaintenance, failed).when(schedule('mnt-2', IN_WINDOW)).thenMatches({ type: 'MaintenanceAnnounced' });
    });

    it('only once started, and only the one under way: otherwise no events', () => {
      given(...announced).when(fail(IN_WINDOW)).thenNothing();
      given(...inMaintenance).when(fail(IN_WINDOW, 'mnt-other')).thenNothing();
      given(...inMaintenance, failed).when(fail(IN_WINDOW)).thenNothing();
    });
  });

  describe('cancellation: only before it started', () => {
    it('a pending maintenance: MaintenanceCancelled with its reason; nothing pending any more', () => {
      given(...announced)
        .when(cancel(NOW))
        .then({ type: 'MaintenanceCancelled', data: { maintenanceId: M1, reason: 'patch withdrawn', at: NOW } });
      const state = given(...announced, {
        type: 'MaintenanceCancelled',
        data: { maintenanceId: M1, reason: 'patch withdrawn', at: NOW },
      }).state;
      expect(state).toMatchObject({ status: 'running' });
      expect(state).not.toHaveProperty('maintenance.maintenanceId');
    });

    it('once started: no events, the maintenance goes on', () => {
      given(...inMaintenance).when(cancel(IN_WINDOW)).thenNothing();
    });

    it('a repeat, or another maintenance: no events', () => {
      const cancelled: AddonEvent = { type: 'MaintenanceCancelled', data: { maintenanceId: M1, reason: 'x', at: NOW } };
      given(...announced, cancelled).when(cancel(NOW)).thenNothing();
      given(...announced).when(cancel(NOW, 'mnt-other')).thenNothing();
    });

    it('a cancelled maintenance cannot be started: no events', () => {
      const cancelled: AddonEvent = { type: 'MaintenanceCancelled', data: { maintenanceId: M1, reason: 'x', at: NOW } };
      given(...announced, cancelled).when(start(IN_WINDOW)).thenNothing();
    });
  });

  describe('removal', () => {
    it('clears a pending maintenance: it is never started', () => {
      const gone = [...announced, removed(NOW, '2025-04-05T12:00:00.000Z')];
      expect(given(...gone).state).toMatchObject({ status: 'deprovisioned' });
      expect(given(...gone).state).not.toHaveProperty('maintenance.maintenanceId');
      given(...gone).when(start(IN_WINDOW)).thenNothing();
      given(...gone).when(cancel(NOW)).thenNothing();
    });

    it('during a maintenance: removed, and a late completion changes nothing', () => {
      const gone = [...inMaintenance, removed(IN_WINDOW, '2025-04-12T03:00:00.000Z')];
      expect(given(...gone).state).toMatchObject({ status: 'deprovisioned' });
      given(...gone).when(complete(IN_WINDOW)).thenNothing();
    });
  });
});

describe('A plan change fails: the add-on stays on its old plan', () => {
  const fail = (reason = 'no capacity on the new host'): AddonCommand => ({ type: 'FailPlanChange', data: { reason, at: NOW } });
  const failed = (fromPlanId: string, toPlanId: string, reason = 'no capacity on the new host'): AddonEvent => ({
    type: 'PlanChangeFailed',
    data: { fromPlanId, toPlanId, reason, at: NOW },
  });

  it('while changing plan: PlanChangeFailed, with from, to and the reason', () => {
    given(...running(PLAN_OF.starter), planChangeStarted(PLAN_OF.starter, PLAN_OF.business))
      .when(fail())
      .then(failed(PLAN_OF.starter, PLAN_OF.business));
  });

  it('afterwards: the old plan, the old nodes, running, no plan change', () => {
    const state = given(
      ...running(PLAN_OF.starter),
      planChangeStarted(PLAN_OF.starter, PLAN_OF.business),
      failed(PLAN_OF.starter, PLAN_OF.business),
    ).state;
    expect(state).toMatchObject({ status: 'running', planId: PLAN_OF.starter, nodes: [LEADER] });
    expect(state).not.toHaveProperty('planChange.fromPlanId');
  });

  it('a Business add-on after a failover gets back the nodes it had, not fresh ones', () => {
    const failedOver: AddonEvent[] = [
      ...running(PLAN_OF.business),
      { type: 'FailoverTriggered', data: { reason: 'switchover', fromNode: LEADER.name, toNode: STANDBY.name, at: NOW } },
      { type: 'FailoverCompleted', data: { leader: STANDBY.name, standby: db(3, 'standby').name, at: NOW } },
    ];
    const state = given(
      ...failedOver,
      planChangeStarted(PLAN_OF.business, PLAN_OF.starter),
      failed(PLAN_OF.business, PLAN_OF.starter),
    ).state;
    expect(state).toMatchObject({ status: 'running', planId: PLAN_OF.business, nodes: [db(2, 'leader'), db(3, 'standby')] });
  });

  it('a plan change can be asked again afterwards', () => {
    given(...running(PLAN_OF.starter), planChangeStarted(PLAN_OF.starter, PLAN_OF.business), failed(PLAN_OF.starter, PLAN_OF.business))
      .when({ type: 'ChangePlan', data: { planId: PLAN_OF.business, at: NOW } })
      .thenMatches({ type: 'PlanChanged', data: { fromPlanId: PLAN_OF.starter, toPlanId: PLAN_OF.business, nodes: [LEADER, STANDBY] } });
  });

  it('a repeat: no events', () => {
    given(...running(PLAN_OF.starter), planChangeStarted(PLAN_OF.starter, PLAN_OF.business), failed(PLAN_OF.starter, PLAN_OF.business))
      .when(fail())
      .thenNothing();
  });

  it('only while changing plan: on a running add-on, or once the change finished, no events', () => {
    given(...running(PLAN_OF.starter)).when(fail()).thenNothing();
    given(...running(PLAN_OF.starter), ...planChangedTo(PLAN_OF.starter, PLAN_OF.business, NOW)).when(fail()).thenNothing();
    given(...running(PLAN_OF.starter, { version: '16.8.0' }), upgradeStarted('16.8.0', '16.9.0')).when(fail()).thenNothing();
  });

  it('a change asked while the add-on was unavailable fails: it is unavailable again, its node still down', () => {
    const state = given(
      ...running(PLAN_OF.starter),
      { type: 'NodeFailureDetected', data: { node: LEADER.name, role: 'leader', at: NOW } },
      { type: 'AddonUnavailable', data: { reason: `node ${LEADER.name} is down`, at: NOW } },
      planChangeStarted(PLAN_OF.starter, PLAN_OF.business),
      failed(PLAN_OF.starter, PLAN_OF.business),
    ).state;
    expect(state).toMatchObject({ status: 'unavailable', planId: PLAN_OF.starter, nodes: [LEADER], failedNodes: [LEADER.name] });
  });

  it('a Sandbox whose move to a paid plan failed was never paid: removing it keeps no manual backups', () => {
    given(...running(PLAN_OF.sandbox), planChangeStarted(PLAN_OF.sandbox, PLAN_OF.starter), failed(PLAN_OF.sandbox, PLAN_OF.starter))
      .when({ type: 'DeprovisionAddon', data: { at: NOW } })
      .then(removed(NOW, null));
  });

  it('a former Starter back on a Sandbox after a failed move: its backups still age from the day it went to the Sandbox', () => {
    const wentToSandbox = '2025-02-01T09:00:00.000Z';
    const state = given(
      ...running(PLAN_OF.starter),
      ...planChangedTo(PLAN_OF.starter, PLAN_OF.sandbox, wentToSandbox),
      planChangeStarted(PLAN_OF.sandbox, PLAN_OF.starter),
      failed(PLAN_OF.sandbox, PLAN_OF.starter),
    ).state;
    expect(state).toMatchObject({ planId: PLAN_OF.sandbox, lastPaidClass: 'starter', sandboxSince: wentToSandbox });
  });
});

describe('A version upgrade fails: the add-on keeps its version', () => {
  const fail = (reason = 'data directory incompatible'): AddonCommand => ({ type: 'FailUpgrade', data: { reason, at: NOW } });
  const upgrading = [...running(PLAN_OF.starter, { version: '16.9.0' }), upgradeStarted('16.9.0', '17.5.0')];
  const failed: AddonEvent = {
    type: 'VersionUpgradeFailed',
    data: { fromVersion: '16.9.0', toVersion: '17.5.0', reason: 'data directory incompatible', at: NOW },
  };

  it('while upgrading: VersionUpgradeFailed, with from, to and the reason', () => {
    given(...upgrading).when(fail()).then(failed);
  });

  it('afterwards: the version unchanged, running, no upgrade in progress', () => {
    const state = given(...upgrading, failed).state;
    expect(state).toMatchObject({ status: 'running', version: '16.9.0' });
    expect(state).not.toHaveProperty('upgrade.toVersion');
  });

  it('the upgrade can be asked again afterwards', () => {
    given(...upgrading, failed)
      .when({ type: 'StartUpgrade', data: { at: NOW } })
      .thenMatches({ type: 'VersionUpgradeStarted', data: { fromVersion: '16.9.0', toVersion: '17.5.0' } });
  });

  it('a repeat: no events', () => {
    given(...upgrading, failed).when(fail()).thenNothing();
  });

  it('only while upgrading: on a running add-on, once upgraded, or while changing plan, no events', () => {
    given(...running(PLAN_OF.starter)).when(fail()).thenNothing();
    given(...upgrading, { type: 'VersionUpgraded', data: { fromVersion: '16.9.0', toVersion: '17.5.0', at: NOW } })
      .when(fail())
      .thenNothing();
    given(...running(PLAN_OF.starter), planChangeStarted(PLAN_OF.starter, PLAN_OF.business)).when(fail()).thenNothing();
  });
});
