import { ServiceClass } from '../../catalogue/domain/catalogue';
import { AddonCommand } from './addon.commands';
import { AddonEvent, AddonNode } from './addon.events';
import {
  CONNECTION,
  db,
  given,
  LEADER,
  nodesOf,
  NOW,
  PLAN_OF,
  planChangedTo,
  provisioned,
  removed,
  RESOURCE_ID,
  running,
  STANDBY,
} from './testing/addon-fixtures';

const fails = (node: string): AddonCommand => ({ type: 'ReportNodeFailure', data: { node, at: NOW } });
const recovers = (node: string): AddonCommand => ({ type: 'ReportNodeRecovery', data: { node, at: NOW } });
const failover = (reason: 'automatic' | 'switchover'): AddonCommand => ({ type: 'TriggerFailover', data: { reason, at: NOW } });
const completeFailover = (standby: string): AddonCommand => ({ type: 'CompleteFailover', data: { standby, at: NOW } });

const detected = ({ name, role }: AddonNode): AddonEvent => ({ type: 'NodeFailureDetected', data: { node: name, role, at: NOW } });
const recovered = (node: string): AddonEvent => ({ type: 'NodeRecovered', data: { node, at: NOW } });
const unavailable = (reason: string): AddonEvent => ({ type: 'AddonUnavailable', data: { reason, at: NOW } });
const backUp: AddonEvent = { type: 'AddonRecovered', data: { at: NOW } };
const triggered = (reason: 'automatic' | 'switchover', fromNode = LEADER.name, toNode = STANDBY.name): AddonEvent => ({
  type: 'FailoverTriggered',
  data: { reason, fromNode, toNode, at: NOW },
});

describe('Failures, failover and availability', () => {
  describe('"Monitoring reports a node as unavailable"', () => {
    describe.each<[ServiceClass, string]>([
      ['sandbox', 'down until host recovers'],
      ['starter', 'down until host recovers'],
    ])('%s: "%s"', (cls) => {
      it('the leader fails: NodeFailureDetected and AddonUnavailable', () => {
        given(...running(PLAN_OF[cls]))
          .when(fails(LEADER.name))
          .then(detected(LEADER), unavailable(`node ${LEADER.name} is down`));
      });

      it('"the add-on stays unavailable until the host recovers or is redeployed": recovery brings it back', () => {
        given(...running(PLAN_OF[cls]), detected(LEADER), unavailable('down'))
          .when(recovers(LEADER.name))
          .then(recovered(LEADER.name), backUp);
      });

      it('no failover to ask for: FAILOVER.NOT_AVAILABLE, saying how to get one', () => {
        const error = given(...running(PLAN_OF[cls]), detected(LEADER), unavailable('down'))
          .when(failover('automatic'))
          .thenFails('FAILOVER.NOT_AVAILABLE');
        expect(error.message).toBe('Only Business plans have a hot standby to fail over to. Change to a Business plan first.');
      });
    });

    describe('business: "automatic failover within 60 s of detection"', () => {
      it('the leader fails: NodeFailureDetected only; the add-on does not go unavailable', () => {
        given(...running(PLAN_OF.business)).when(fails(LEADER.name)).then(detected(LEADER));
      });

      it('the platform triggers the failover: the standby is to become leader', () => {
        given(...running(PLAN_OF.business), detected(LEADER)).when(failover('automatic')).then(triggered('automatic'));
      });

      it('"the standby becomes leader, and a new standby is rebuilt"', () => {
        given(...running(PLAN_OF.business), detected(LEADER), triggered('automatic'))
          .when(completeFailover(db(3, 'standby').name))
          .then({ type: 'FailoverCompleted', data: { leader: STANDBY.name, standby: db(3, 'standby').name, at: NOW } });
      });

      it('afterwards the add-on runs on its new nodes, the failed leader gone, and "the connection URL does not change"', () => {
        const state = given(
          ...running(PLAN_OF.business),
          detected(LEADER),
          triggered('automatic'),
          { type: 'FailoverCompleted', data: { leader: STANDBY.name, standby: db(3, 'standby').name, at: NOW } },
        ).state;
        expect(state).toMatchObject({
          status: 'running',
          nodes: [db(2, 'leader'), db(3, 'standby')],
          failedNodes: [],
          connection: CONNECTION,
        });
      });

      it('Redis keeps its sentinels and gateways through a failover', () => {
        const state = given(
          ...running('redis-business-1024'),
          detected(LEADER),
          triggered('automatic'),
          { type: 'FailoverCompleted', data: { leader: STANDBY.name, standby: db(3, 'standby').name, at: NOW } },
        ).state;
        expect(state).toMatchObject({
          nodes: [db(2, 'leader'), db(3, 'standby'), ...nodesOf('redis-business-1024').slice(2)],
        });
      });

      it('an automatic failover while the leader is up: FAILOVER.NOT_NEEDED', () => {
        given(...running(PLAN_OF.business)).when(failover('automatic')).thenFails('FAILOVER.NOT_NEEDED');
      });

      it('the standby fails: the leader serves on; nothing to fail over to: FAILOVER.NO_HEALTHY_STANDBY', () => {
        given(...running(PLAN_OF.business)).when(fails(STANDBY.name)).then(detected(STANDBY));
        given(...running(PLAN_OF.business), detected(STANDBY))
          .when(failover('switchover'))
          .thenFails('FAILOVER.NO_HEALTHY_STANDBY');
      });

      it('a failover in progress: ADDON.OPERATION_IN_PROGRESS', () => {
        given(...running(PLAN_OF.business), detected(LEADER), triggered('automatic'))
          .when(failover('automatic'))
          .thenFails('ADDON.OPERATION_IN_PROGRESS');
      });

      it('a completion reported when no failover runs changes nothing', () => {
        given(...running(PLAN_OF.business)).when(completeFailover(db(3, 'standby').name)).thenNothing();
      });

      it('a sentinel or a gateway failing does not take the add-on down', () => {
        const [, , sentinel, , , gateway] = nodesOf('redis-business-256');
        given(...running('redis-business-256')).when(fails(sentinel.name)).then(detected(sentinel));
        given(...running('redis-business-256')).when(fails(gateway.name)).then(detected(gateway));
      });

      describe('both database nodes down: no healthy node serves, so it is unavailable like a Starter', () => {
        it('the leader fails after the standby: AddonUnavailable', () => {
          given(...running(PLAN_OF.business), detected(STANDBY))
            .when(fails(LEADER.name))
            .then(detected(LEADER), unavailable(`nodes ${LEADER.name} and ${STANDBY.name} are down`));
        });

        it('the standby fails before the failover took place: AddonUnavailable', () => {
          given(...running(PLAN_OF.business), detected(LEADER))
            .when(fails(STANDBY.name))
            .then(detected(STANDBY), unavailable(`nodes ${LEADER.name} and ${STANDBY.name} are down`));
        });

        const bothDown = [...running(PLAN_OF.business), detected(STANDBY), detected(LEADER), unavailable('both down')];

        it('the leader recovers: the add-on serves again, with its standby still down', () => {
          given(...bothDown).when(recovers(LEADER.name)).then(recovered(LEADER.name), backUp);
        });

        describe('the standby being promoted fails during the failover', () => {
          const failingOver = [...running(PLAN_OF.business), detected(LEADER), triggered('automatic')];
          const failoverFailed: AddonEvent = {
            type: 'FailoverFailed',
            data: { fromNode: LEADER.name, toNode: STANDBY.name, reason: `node ${STANDBY.name} went down during the failover`, at: NOW },
          };

          it('FailoverFailed, then AddonUnavailable: no node is left to lead', () => {
            given(...failingOver)
              .when(fails(STANDBY.name))
              .then(detected(STANDBY), failoverFailed, unavailable(`nodes ${LEADER.name} and ${STANDBY.name} are down`));
          });

          it('afterwards: unavailable, no failover running, the old leader still leader; a late completion changes nothing', () => {
            const after = [...failingOver, detected(STANDBY), failoverFailed, unavailable('both down')];
            expect(given(...after).state).toMatchObject({ status: 'unavailable', failover: undefined, nodes: [LEADER, STANDBY] });
            given(...after).when(completeFailover(db(3, 'standby').name)).thenNothing();
          });

          it('during a switchover (the leader up): FailoverFailed, and the leader serves on', () => {
            const switching = [...running(PLAN_OF.business), triggered('switchover')];
            given(...switching)
              .when(fails(STANDBY.name))
              .then(detected(STANDBY), failoverFailed);
            expect(given(...switching, detected(STANDBY), failoverFailed).state).toMatchObject({ status: 'running', failover: undefined });
          });
        });

        it('the standby recovers: the add-on is back, and can fail over to it', () => {
          given(...bothDown).when(recovers(STANDBY.name)).then(recovered(STANDBY.name), backUp);
          given(...bothDown, recovered(STANDBY.name), backUp).when(failover('automatic')).then(triggered('automatic'));
        });
      });
    });

    it('"a business add-on can also be failed over on request by an operator (switchover)"', () => {
      given(...running(PLAN_OF.business)).when(failover('switchover')).then(triggered('switchover'));
    });

    it('a Starter on request: FAILOVER.NOT_AVAILABLE', () => {
      given(...running(PLAN_OF.starter)).when(failover('switchover')).thenFails('FAILOVER.NOT_AVAILABLE');
    });

    it('a Starter moved to Business can fail over', () => {
      given(...running(PLAN_OF.starter), ...planChangedTo(PLAN_OF.starter, PLAN_OF.business, NOW))
        .when(failover('switchover'))
        .then(triggered('switchover'));
    });
  });

  describe('repeated reports', () => {
    it('a failure already known changes nothing', () => {
      given(...running(PLAN_OF.starter), detected(LEADER), unavailable('down')).when(fails(LEADER.name)).thenNothing();
    });

    it('a recovery of a node that is not down changes nothing', () => {
      given(...running(PLAN_OF.starter)).when(recovers(LEADER.name)).thenNothing();
      given(...running(PLAN_OF.starter), detected(LEADER), unavailable('down'), recovered(LEADER.name), backUp)
        .when(recovers(LEADER.name))
        .thenNothing();
    });
  });

  describe('while the add-on is unavailable', () => {
    const down = [...running(PLAN_OF.starter), detected(LEADER), unavailable('down')];

    it('"plan change at any time": it redeploys on a new host, which brings the add-on back', () => {
      const changed = given(...down).when({ type: 'ChangePlan', data: { planId: PLAN_OF.business, at: NOW } });
      changed.thenMatches({ type: 'PlanChanged', data: { toPlanId: PLAN_OF.business } });
      const [changing, restarted] = planChangedTo(PLAN_OF.starter, PLAN_OF.business, NOW);
      given(...down, changing)
        .when({ type: 'RecordRestart', data: { downtimeSeconds: 4, at: NOW } })
        .thenMatches({ type: 'AddonRestarted' });
      expect(given(...down, changing, restarted).state).toMatchObject({ status: 'running', failedNodes: [] });
    });

    it.each<AddonCommand>([
      { type: 'RequestBackup', data: { backupId: 'b1', method: 'manual', at: NOW } },
      { type: 'EnableFeature', data: { feature: 'force-tls', at: NOW } },
      { type: 'StartUpgrade', data: { at: NOW } },
    ])('$type: ADDON.NOT_RUNNING, saying why', (command) => {
      const error = given(...down).when(command).thenFails('ADDON.NOT_RUNNING', { status: 'unavailable' });
      expect(error.message).toBe('The add-on is unavailable until its node recovers.');
    });

    it('it can still be removed', () => {
      given(...down).when({ type: 'DeprovisionAddon', data: { at: NOW } }).thenMatches({ type: 'AddonDeprovisioned' });
    });
  });

  describe('reports the platform cannot act on', () => {
    it('an unknown node: NODE.UNKNOWN, listing the nodes and not echoing the name sent', () => {
      const error = given(...running(PLAN_OF.business))
        .when(fails('<img src=x>'))
        .thenFails('NODE.UNKNOWN', { nodes: [LEADER.name, STANDBY.name] });
      expect(error.message).toBe(`Add-on ${RESOURCE_ID} has no node named like that.`);
    });

    it('before the add-on runs: ADDON.NOT_RUNNING', () => {
      given(provisioned(PLAN_OF.starter)).when(fails(LEADER.name)).thenFails('ADDON.NOT_RUNNING');
    });

    it.each<[string, AddonEvent]>([
      ['changing-plan', planChangedTo(PLAN_OF.starter, 'postgresql-starter-2048', NOW)[0]],
      ['upgrading', { type: 'VersionUpgradeStarted', data: { fromVersion: '17.4.0', toVersion: '17.5.0', kind: 'minor', downtime: 'downtime', at: NOW } }],
      ['restoring', { type: 'RestoreStarted', data: { restoreId: 'r1', source: { backupId: 'b1' }, at: NOW } }],
    ])('while %s, the platform restarts nodes itself: ADDON.OPERATION_IN_PROGRESS', (_, event) => {
      given(...running(PLAN_OF.starter, { version: '17.4.0' }), event)
        .when(fails(LEADER.name))
        .thenFails('ADDON.OPERATION_IN_PROGRESS');
    });

    it('a removed add-on: ADDON.NOT_FOUND', () => {
      given(...running(PLAN_OF.business), removed(NOW, null)).when(failover('switchover')).thenFails('ADDON.NOT_FOUND');
    });
  });
});
