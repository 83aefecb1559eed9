import { map, merge, Observable } from 'rxjs';
import { AddonEvent } from '../../addons/domain/addon.events';
import type { AppEvent } from '../../apps/domain/app.events';
import { ofEventType, StoredEventMessage } from '../../shared/cqrs/stored-event.message';
import type { Message } from '../../shared/domain/decider';
import { Saga, SagaReaction } from './saga';

/** The job settling an app's attachment or detachment, due `settleAfterMs` (RUNTIME_SETTLE_AFTER_MS) after the app's event. */
const settling = (
  kind: 'settle-attachment' | 'settle-detachment',
  e: StoredEventMessage<Message<string, { addonId: string; at: string }>>,
  settleAfterMs: number,
): SagaReaction => ({
  job: { kind, app: e.streamId, addonId: e.data.addonId },
  at: new Date(Date.parse(e.data.at) + settleAfterMs),
});

/**
 * Provision: the data plane creates the instance; then it runs and its app gets its
 * variables. An attachment whose add-on never began is settled after a grace period.
 */
export const provisioningSaga = (settleAfterMs: number): Saga => ({
  name: 'provisioning',
  react: (events$: Observable<StoredEventMessage>): Observable<SagaReaction> =>
    merge(
      events$.pipe(
        ofEventType<AppEvent, 'AddonAttached'>('AddonAttached'),
        map((e) => settling('settle-attachment', e, settleAfterMs)),
      ),
      events$.pipe(
        ofEventType<AddonEvent, 'AddonProvisioned'>('AddonProvisioned'),
        map((e) => ({ job: { kind: 'provision', addonId: e.streamId } }) satisfies SagaReaction),
      ),
      events$.pipe(
        ofEventType<AddonEvent, 'AddonRunning'>('AddonRunning'),
        map((e) => ({ job: { kind: 'reschedule', addonId: e.streamId } }) satisfies SagaReaction),
      ),
    ),
});

/**
 * Deprovision: the instance is destroyed; its timers stop, but retention goes on while
 * backups remain. An app that let an add-on go whose removal did not follow (the request
 * died between the two writes) has it removed after the grace period.
 */
export const deprovisioningSaga = (settleAfterMs: number): Saga => ({
  name: 'deprovisioning',
  react: (events$) =>
    merge(
      events$.pipe(
        ofEventType<AddonEvent, 'AddonDeprovisioned'>('AddonDeprovisioned'),
        map((e) => ({ job: { kind: 'deprovision', addonId: e.streamId } }) satisfies SagaReaction),
      ),
      events$.pipe(
        ofEventType<AppEvent, 'AddonDetached'>('AddonDetached'),
        map((e) => settling('settle-detachment', e, settleAfterMs)),
      ),
    ),
});
