import { map, merge, mergeMap } from 'rxjs';
import { AddonEvent } from '../../addons/domain/addon.events';
import { ofEventType } from '../../shared/cqrs/stored-event.message';
import { Saga, SagaReaction } from './saga';

/**
 * Backups: a requested backup is taken by the data plane (started, then taken or failed);
 * an expired one has its artifacts deleted; the add-on's timers (periodic backup, daily
 * retention) follow its schedule and plan.
 */
export const backupsSaga: Saga = {
  name: 'backups',
  react: (events$) =>
    merge(
      events$.pipe(
        ofEventType<AddonEvent, 'BackupRequested'>('BackupRequested'),
        map((e) => ({ job: { kind: 'take-backup', addonId: e.streamId, backupId: e.data.backupId } }) satisfies SagaReaction),
      ),
      events$.pipe(
        ofEventType<AddonEvent, 'BackupExpired'>('BackupExpired'),
        map((e) => ({ job: { kind: 'delete-backup', addonId: e.streamId, backupId: e.data.backupId } }) satisfies SagaReaction),
      ),
      events$.pipe(
        // A failed backup is aged too (kept 7 days), so it also starts the daily retention.
        ofEventType<AddonEvent, 'BackupTaken' | 'BackupFailed' | 'BackupScheduleSet'>('BackupTaken', 'BackupFailed', 'BackupScheduleSet'),
        mergeMap((e): SagaReaction[] => [{ job: { kind: 'reschedule', addonId: e.streamId } }]),
      ),
    ),
};
