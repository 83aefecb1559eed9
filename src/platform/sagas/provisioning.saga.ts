import { map, merge, Observable } from 'rxjs';
import { AddonEvent } from '../../addons/domain/addon.events';
import { ofEventType, StoredEventMessage } from '../../shared/cqrs/stored-event.message';
import { Saga, SagaReaction } from './saga';

/** Provision: the data plane creates the instance; then it runs and its app gets its variables. */
export const provisioningSaga: Saga = {
  name: 'provisioning',
  react: (events$: Observable<StoredEventMessage>): Observable<SagaReaction> =>
    merge(
      events$.pipe(
        ofEventType<AddonEvent, 'AddonProvisioned'>('AddonProvisioned'),
        map((e) => ({ job: { kind: 'provision', addonId: e.streamId } }) satisfies SagaReaction),
      ),
      events$.pipe(
        ofEventType<AddonEvent, 'AddonRunning'>('AddonRunning'),
        map((e) => ({ job: { kind: 'reschedule', addonId: e.streamId } }) satisfies SagaReaction),
      ),
    ),
};

/** Deprovision: the instance is destroyed; its timers stop, but retention goes on while backups remain. */
export const deprovisioningSaga: Saga = {
  name: 'deprovisioning',
  react: (events$) =>
    events$.pipe(
      ofEventType<AddonEvent, 'AddonDeprovisioned'>('AddonDeprovisioned'),
      map((e) => ({ job: { kind: 'deprovision', addonId: e.streamId } }) satisfies SagaReaction),
    ),
};
