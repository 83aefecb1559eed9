import type { IEvent } from '@nestjs/cqrs';
import { filter, Observable, OperatorFunction } from 'rxjs';
import type { StoredEvent } from '../../event-store/event-store.port';
import type { Message } from '../domain/decider';

/**
 * Every event read from the log, as one class: `ofType` of @nestjs/cqrs matches by
 * `instanceof`, so sagas filter by event type with `ofEventType` instead.
 */
export class StoredEventMessage<E extends Message = Message> implements IEvent {
  constructor(readonly event: StoredEvent) {}

  get type(): E['type'] {
    return this.event.type as E['type'];
  }

  get data(): E['data'] {
    return this.event.data as E['data'];
  }

  /** The id of the entity the stream is about: `addon-<id>` → `<id>`. */
  get streamId(): string {
    return this.event.stream.slice(this.event.stream.indexOf('-') + 1);
  }
}

/** Keeps the events of the given types, typed as the matching union members. */
export function ofEventType<E extends Message, T extends E['type']>(
  ...types: T[]
): OperatorFunction<StoredEventMessage, StoredEventMessage<Extract<E, { type: T }>>> {
  const wanted = new Set<string>(types);
  return (source: Observable<StoredEventMessage>) =>
    source.pipe(filter((m): m is StoredEventMessage<Extract<E, { type: T }>> => wanted.has(m.type)));
}
