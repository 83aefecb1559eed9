import { map, merge, mergeMap } from 'rxjs';
import { AddonEvent } from '../../addons/domain/addon.events';
import { ofEventType } from '../../shared/cqrs/stored-event.message';
import { Saga, SagaReaction } from './saga';

/** Plan change: restart on a new host, then the app restarts. */
export const planChangeSaga: Saga = {
  name: 'plan-change',
  react: (events$) =>
    merge(
      events$.pipe(
        ofEventType<AddonEvent, 'PlanChanged'>('PlanChanged'),
        map((e) => ({ job: { kind: 'change-plan', addonId: e.streamId } }) satisfies SagaReaction),
      ),
      events$.pipe(
        ofEventType<AddonEvent, 'AddonRestarted'>('AddonRestarted'),
        mergeMap((e): SagaReaction[] => [
          { job: { kind: 'restart-app', addonId: e.streamId, reason: 'plan-change' } },
          { job: { kind: 'reschedule', addonId: e.streamId } },
        ]),
      ),
      events$.pipe(
        ofEventType<AddonEvent, 'PlanChangeFailed'>('PlanChangeFailed'),
        map((e) => ({ job: { kind: 'reschedule', addonId: e.streamId } }) satisfies SagaReaction),
      ),
    ),
};

/** Upgrade: the data plane upgrades (downtime per class), then the app restarts. */
export const upgradeSaga: Saga = {
  name: 'upgrade',
  react: (events$) =>
    merge(
      events$.pipe(
        ofEventType<AddonEvent, 'VersionUpgradeStarted'>('VersionUpgradeStarted'),
        map((e) => ({ job: { kind: 'upgrade', addonId: e.streamId } }) satisfies SagaReaction),
      ),
      events$.pipe(
        ofEventType<AddonEvent, 'VersionUpgraded'>('VersionUpgraded'),
        map(
          (e) =>
            ({
              job: { kind: 'restart-app', addonId: e.streamId, reason: 'upgrade' },
            }) satisfies SagaReaction,
        ),
      ),
    ),
};

/** Restore: from a backup's archive, or to a point in time. */
export const restoreSaga: Saga = {
  name: 'restore',
  react: (events$) =>
    events$.pipe(
      ofEventType<AddonEvent, 'RestoreStarted'>('RestoreStarted'),
      map((e) => ({ job: { kind: 'restore', addonId: e.streamId, restoreId: e.data.restoreId } }) satisfies SagaReaction),
    ),
};

/** Maintenance: started when its announced window opens, worked on, completed inside it. */
export const maintenanceSaga: Saga = {
  name: 'maintenance',
  react: (events$) =>
    merge(
      events$.pipe(
        ofEventType<AddonEvent, 'MaintenanceAnnounced'>('MaintenanceAnnounced'),
        map(
          (e) =>
            ({
              job: { kind: 'start-maintenance', addonId: e.streamId, maintenanceId: e.data.maintenanceId },
              at: new Date(e.data.startsAt),
            }) satisfies SagaReaction,
        ),
      ),
      events$.pipe(
        ofEventType<AddonEvent, 'MaintenanceStarted'>('MaintenanceStarted'),
        map(
          (e) => ({ job: { kind: 'maintain', addonId: e.streamId, maintenanceId: e.data.maintenanceId } }) satisfies SagaReaction,
        ),
      ),
    ),
};

