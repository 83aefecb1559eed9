import { filter, map, merge } from 'rxjs';
import { AddonEvent } from '../../addons/domain/addon.events';
import { ofEventType } from '../../shared/cqrs/stored-event.message';
import { Saga, SagaReaction } from './saga';

/**
 * Node failures: a Business leader down fails over at once (well within the 60 s the
 * class promises); Starter and Sandbox stay unavailable until monitoring reports the node
 * back. A failover, automatic or asked for, promotes the standby and rebuilds a new one.
 */
export const failuresSaga: Saga = {
  name: 'failures',
  react: (events$) =>
    merge(
      events$.pipe(
        ofEventType<AddonEvent, 'NodeFailureDetected'>('NodeFailureDetected'),
        filter((e) => e.data.role === 'leader'),
        map((e) => ({ job: { kind: 'automatic-failover', addonId: e.streamId } }) satisfies SagaReaction),
      ),
      // A standby back while the leader is still down (both were down): fail over to it now.
      events$.pipe(
        ofEventType<AddonEvent, 'NodeRecovered'>('NodeRecovered'),
        map((e) => ({ job: { kind: 'automatic-failover', addonId: e.streamId } }) satisfies SagaReaction),
      ),
      events$.pipe(
        ofEventType<AddonEvent, 'FailoverTriggered'>('FailoverTriggered'),
        map((e) => ({ job: { kind: 'promote-standby', addonId: e.streamId } }) satisfies SagaReaction),
      ),
    ),
};
