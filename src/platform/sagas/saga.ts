import type { Observable } from 'rxjs';
import type { StoredEventMessage } from '../../shared/cqrs/stored-event.message';
import type { PlatformJob } from '../jobs/platform-job';

/** What a saga asks for in reaction to an event: a job to run now, or at a time (a timer). */
export interface SagaReaction {
  job: PlatformJob;
  at?: Date;
}

/**
 * A saga is a stream transform from events to jobs: `events$.pipe(ofEventType(...), map(...))`.
 * It holds no state and does no I/O; its reactions are stored with the saga runner's
 * checkpoint, then run (and retried) by the job worker.
 */
export interface Saga {
  /** Part of the id of every job it asks for: renaming a saga re-runs nothing, but keep names stable. */
  readonly name: string;
  react(events$: Observable<StoredEventMessage>): Observable<SagaReaction>;
}

/** DI token of the list of sagas the runner feeds. */
export const SAGAS = Symbol('SAGAS');
