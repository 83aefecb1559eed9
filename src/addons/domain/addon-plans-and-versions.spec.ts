import { CLASS_POLICIES, Downtime, nextVersion, SERVICE_CLASSES } from '../../catalogue/domain/catalogue';
import { AddonCommand } from './addon.commands';
import { AddonEvent } from './addon.events';
import {
  db,
  given,
  LEADER,
  nodesOf,
  NOW,
  PLAN_OF,
  planChangedTo,
  provisioned,
  running,
  STANDBY,
} from './testing/addon-fixtures';

const changePlan = (planId: string): AddonCommand => ({ type: 'ChangePlan', data: { planId, at: NOW } });
const upgrade = (toVersion?: string): AddonCommand => ({
  type: 'StartUpgrade',
  data: { ...(toVersion !== undefined && { toVersion }), at: NOW },
});
const upgraded = (fromVersion: string, toVersion: string): AddonEvent => ({
  type: 'VersionUpgraded',
  data: { fromVersion, toVersion, at: NOW },
});

describe('Plan change: "any plan of the same type, up or down, at any time"', () => {
  describe.each<[string, string, Downtime, boolean, string]>([
    ['postgresql-starter-512', 'postgresql-starter-2048', 'seconds', false, 'Starter to Starter: a few seconds'],
    ['postgresql-starter-2048', 'postgresql-starter-512', 'seconds', true, 'Starter to Starter: a few seconds'],
    ['postgresql-starter-1024', 'postgresql-business-1024', 'none', false, 'Starter to Business: none'],
    ['postgresql-starter-1024', 'postgresql-business-256', 'none', true, 'Starter to Business: none'],
    ['postgresql-business-1024', 'postgresql-business-4096', 'none', false, 'Business to Business: none'],
    ['postgresql-business-4096', 'postgresql-business-1024', 'none', true, 'Business to Business: none'],
    ['postgresql-business-1024', 'postgresql-starter-1024', 'seconds', false, '(design) onto a single node: seconds'],
    ['postgresql-sandbox', 'postgresql-starter-256', 'seconds', false, '(design) from a Sandbox: seconds'],
    ['postgresql-sandbox', 'postgresql-business-256', 'seconds', false, '(design) from a Sandbox: seconds'],
    ['postgresql-starter-256', 'postgresql-sandbox', 'seconds', true, '(design) onto a Sandbox: seconds'],
  ])('%s → %s', (from, to, downtime, downgrade, rule) => {
    it(`"${rule}"; ${downgrade ? '(design) flagged as a downgrade: the new plan has less memory' : 'not a downgrade'}`, () => {
      given(...running(from))
        .when(changePlan(to))
        .then({ type: 'PlanChanged', data: { fromPlanId: from, toPlanId: to, downtime, downgrade, nodes: nodesOf(to), at: NOW } });
    });
  });

  describe('"the database is restarted on a new host with the new plan"', () => {
    it('Starter to Business adds a hot standby; the leader keeps its name', () => {
      given(...running(PLAN_OF.starter))
        .when(changePlan(PLAN_OF.business))
        .thenMatches({ type: 'PlanChanged', data: { nodes: [LEADER, STANDBY] } });
    });

    it('Business to Starter keeps the leader only', () => {
      given(...running(PLAN_OF.business))
        .when(changePlan(PLAN_OF.starter))
        .thenMatches({ type: 'PlanChanged', data: { nodes: [LEADER] } });
    });

    it('Redis Starter to Business adds the standby, 3 sentinels and 2 HAProxy gateways', () => {
      given(...running('redis-starter-1024'))
        .when(changePlan('redis-business-1024'))
        .thenMatches({ type: 'PlanChanged', data: { nodes: nodesOf('redis-business-1024') } });
      expect(nodesOf('redis-business-1024').map((n) => n.role)).toEqual([
        'leader',
        'standby',
        'sentinel',
        'sentinel',
        'sentinel',
        'gateway',
        'gateway',
      ]);
    });

    it('after a failover, the new leader stays leader through plan changes; a new standby gets a fresh name', () => {
      const failedOver: AddonEvent[] = [
        ...running(PLAN_OF.business),
        { type: 'FailoverTriggered', data: { reason: 'switchover', fromNode: LEADER.name, toNode: STANDBY.name, at: NOW } },
        { type: 'FailoverCompleted', data: { leader: STANDBY.name, standby: db(3, 'standby').name, at: NOW } },
      ];
      given(...failedOver)
        .when(changePlan(PLAN_OF.starter))
        .thenMatches({ type: 'PlanChanged', data: { nodes: [db(2, 'leader')] } });

      const onStarter: AddonEvent[] = [
        ...failedOver,
        {
          type: 'PlanChanged',
          data: { fromPlanId: PLAN_OF.business, toPlanId: PLAN_OF.starter, downtime: 'seconds', downgrade: false, nodes: [db(2, 'leader')], at: NOW },
        },
        { type: 'AddonRestarted', data: { reason: 'plan-change', downtimeSeconds: 3, at: NOW } },
      ];
      given(...onStarter)
        .when(changePlan(PLAN_OF.business))
        .thenMatches({ type: 'PlanChanged', data: { nodes: [db(2, 'leader'), db(3, 'standby')] } });
    });

    it('"then the linked app is restarted": the restart is recorded with the downtime observed', () => {
      given(...running(PLAN_OF.starter), planChangedTo(PLAN_OF.starter, 'postgresql-starter-2048', NOW)[0])
        .when({ type: 'RecordRestart', data: { downtimeSeconds: 4, at: NOW } })
        .then({ type: 'AddonRestarted', data: { reason: 'plan-change', downtimeSeconds: 4, at: NOW } });
    });

    it('a repeated restart report changes nothing', () => {
      given(...running(PLAN_OF.starter), ...planChangedTo(PLAN_OF.starter, 'postgresql-starter-2048', NOW))
        .when({ type: 'RecordRestart', data: { downtimeSeconds: 4, at: NOW } })
        .thenNothing();
    });

    it('the add-on is on its new plan, running, once restarted', () => {
      const state = given(...running(PLAN_OF.starter), ...planChangedTo(PLAN_OF.starter, PLAN_OF.business, NOW)).state;
      expect(state).toMatchObject({ status: 'running', planId: PLAN_OF.business, nodes: [LEADER, STANDBY] });
    });
  });

  describe('refusals', () => {
    it('the plan it is on: PLAN.UNCHANGED', () => {
      const error = given(...running(PLAN_OF.starter)).when(changePlan(PLAN_OF.starter)).thenFails('PLAN.UNCHANGED');
      expect(error.message).toBe('The add-on is already on postgresql-starter-1024.');
    });

    it('a plan of another type: PLAN.TYPE_MISMATCH', () => {
      given(...running(PLAN_OF.starter)).when(changePlan('mysql-starter-1024')).thenFails('PLAN.TYPE_MISMATCH', {
        planId: 'mysql-starter-1024',
      });
    });

    it('an unknown plan: PLAN.UNKNOWN, echoing at most 64 characters of it', () => {
      given(...running(PLAN_OF.starter))
        .when(changePlan(`postgresql-${'z'.repeat(200)}`))
        .thenFails('PLAN.UNKNOWN', { planId: `postgresql-${'z'.repeat(53)}` });
    });

    it('during another plan change: ADDON.OPERATION_IN_PROGRESS', () => {
      const error = given(...running(PLAN_OF.starter), planChangedTo(PLAN_OF.starter, PLAN_OF.business, NOW)[0])
        .when(changePlan('postgresql-business-2048'))
        .thenFails('ADDON.OPERATION_IN_PROGRESS', { status: 'changing-plan' });
      expect(error.message).toBe('The add-on is changing plan. Try again when it is done.');
    });

    it('before it runs: ADDON.NOT_RUNNING', () => {
      given(provisioned(PLAN_OF.starter)).when(changePlan(PLAN_OF.business)).thenFails('ADDON.NOT_RUNNING', {
        status: 'provisioning',
      });
    });
  });
});

describe('Version upgrade', () => {
  const on = (version: string, planId = PLAN_OF.starter) => running(planId, { version });

  describe('"to reach the next major, the add-on must first be on the newest minor of its current major (2.3.x → 2.5.x → 3.1.x)"', () => {
    it('14.17.0 → 14.18.0: the newest minor of its major comes first', () => {
      given(...on('14.17.0'))
        .when(upgrade())
        .then({
          type: 'VersionUpgradeStarted',
          data: { fromVersion: '14.17.0', toVersion: '14.18.0', kind: 'minor', downtime: 'downtime', at: NOW },
        });
    });

    it('14.18.0 → 15.13.0: then the newest version of the next major', () => {
      given(...on('14.18.0'))
        .when(upgrade())
        .thenMatches({ type: 'VersionUpgradeStarted', data: { fromVersion: '14.18.0', toVersion: '15.13.0', kind: 'major' } });
    });

    it('"the add-on exposes its next_version": the default target is next_version', () => {
      for (const version of ['14.17.0', '14.18.0', '15.12.0', '16.9.0']) {
        given(...on(version))
          .when(upgrade())
          .thenMatches({ type: 'VersionUpgradeStarted', data: { toVersion: nextVersion('postgresql', version)! } });
      }
    });

    it('asking for the next major from an older minor: VERSION.NOT_ON_LATEST_MINOR, naming the version to go to first', () => {
      const error = given(...on('14.17.0'))
        .when(upgrade('15.13.0'))
        .thenFails('VERSION.NOT_ON_LATEST_MINOR', { nextVersion: '14.18.0' });
      expect(error.message).toBe(
        'Upgrade to 14.18.0 first: the next major is reached from the newest version of the current one.',
      );
    });

    it('skipping a major: VERSION.MAJOR_SKIPPED, naming next_version', () => {
      const error = given(...on('14.18.0'))
        .when(upgrade('16.9.0'))
        .thenFails('VERSION.MAJOR_SKIPPED', { nextVersion: '15.13.0' });
      expect(error.message).toBe('Upgrade to version 15 first: majors are upgraded one at a time.');
    });

    it('any newer version of the same major, or of the next major once on the newest minor, is allowed', () => {
      given(...running('mongodb-starter-512', { version: '7.0.16' }))
        .when(upgrade('7.0.18'))
        .thenMatches({ type: 'VersionUpgradeStarted', data: { toVersion: '7.0.18', kind: 'minor' } });
      given(...running('mongodb-starter-512', { version: '6.0.20' }))
        .when(upgrade('7.0.16'))
        .thenMatches({ type: 'VersionUpgradeStarted', data: { toVersion: '7.0.16', kind: 'major' } });
    });
  });

  describe('"only to a version the catalogue offers, never down"', () => {
    it('an older version: VERSION.NOT_NEWER', () => {
      const error = given(...on('15.13.0')).when(upgrade('14.18.0')).thenFails('VERSION.NOT_NEWER');
      expect(error.message).toBe('The add-on runs 15.13.0; it can only move to a newer version, never back.');
    });

    it('the version it runs: VERSION.NOT_NEWER', () => {
      given(...on('15.13.0')).when(upgrade('15.13.0')).thenFails('VERSION.NOT_NEWER');
    });

    it('a version not offered: VERSION.UNKNOWN, echoing at most 32 characters', () => {
      const error = given(...on('15.13.0')).when(upgrade(`18.0.0${'-rc'.repeat(100)}`)).thenFails('VERSION.UNKNOWN');
      expect(error.message).not.toContain('-rc'.repeat(11));
      expect(error.message).toContain('Offered: 14.17.0, 14.18.0');
    });

    it('on the newest version: VERSION.UP_TO_DATE', () => {
      const error = given(...on('17.5.0')).when(upgrade()).thenFails('VERSION.UP_TO_DATE');
      expect(error.message).toBe('PostgreSQL 17.5.0 is the newest version offered.');
    });

    it('a type with a single version offered is always up to date', () => {
      given(...running('elasticsearch-starter-1024')).when(upgrade()).thenFails('VERSION.UP_TO_DATE');
    });
  });

  describe.each(SERVICE_CLASSES)('"downtime per the class table": %s', (cls) => {
    const policy = CLASS_POLICIES[cls];
    it(`a minor upgrade: ${policy.minorUpgrade}`, () => {
      given(...on('16.8.0', PLAN_OF[cls]))
        .when(upgrade())
        .thenMatches({ type: 'VersionUpgradeStarted', data: { kind: 'minor', downtime: cls === 'business' ? 'none' : 'downtime' } });
    });

    it('a major upgrade: downtime', () => {
      given(...on('16.9.0', PLAN_OF[cls]))
        .when(upgrade())
        .thenMatches({ type: 'VersionUpgradeStarted', data: { kind: 'major', downtime: 'downtime' } });
    });
  });

  describe('completion', () => {
    const started: AddonEvent = {
      type: 'VersionUpgradeStarted',
      data: { fromVersion: '16.9.0', toVersion: '17.5.0', kind: 'major', downtime: 'downtime', at: NOW },
    };

    it('the platform reports it done: VersionUpgraded, and the add-on runs the new version', () => {
      given(...on('16.9.0'), started).when({ type: 'CompleteUpgrade', data: { at: NOW } }).then(upgraded('16.9.0', '17.5.0'));
      expect(given(...on('16.9.0'), started, upgraded('16.9.0', '17.5.0')).state).toMatchObject({
        status: 'running',
        version: '17.5.0',
      });
    });

    it('a repeated report changes nothing', () => {
      given(...on('16.9.0'), started, upgraded('16.9.0', '17.5.0'))
        .when({ type: 'CompleteUpgrade', data: { at: NOW } })
        .thenNothing();
    });

    it.each<AddonCommand>([upgrade(), changePlan(PLAN_OF.business), { type: 'EnableFeature', data: { feature: 'force-tls', at: NOW } }])(
      'while upgrading, $type: ADDON.OPERATION_IN_PROGRESS',
      (command) => {
        given(...on('16.9.0'), started).when(command).thenFails('ADDON.OPERATION_IN_PROGRESS', { status: 'upgrading' });
      },
    );

    it('not before the add-on runs: ADDON.NOT_RUNNING', () => {
      given(provisioned(PLAN_OF.starter, { version: '16.8.0' })).when(upgrade()).thenFails('ADDON.NOT_RUNNING');
    });
  });
});
