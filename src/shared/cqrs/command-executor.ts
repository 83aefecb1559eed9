import { Injectable } from '@nestjs/common';
import { ConcurrencyError, EventStore, StoredEvent } from '../../event-store/event-store.port';
import { fold, Message } from '../domain/decider';
import { Aggregate, streamOf } from './aggregate';
import { CommandContext } from './command-context';
import { derivedEventId } from './event-ids';

export interface Loaded<S> {
  state: S;
  /** Revision of the stream's last event; null when the stream does not exist. */
  revision: bigint | null;
}

export interface Decided<S, E> {
  /** The state after the new events. */
  state: S;
  events: E[];
  /** Global position of the last event appended; null when the command changed nothing. */
  position: bigint | null;
}

/** How many times a command is decided again on fresh state after a concurrent write. */
const MAX_ATTEMPTS = 5;

/**
 * Runs a command against an aggregate: read its stream, fold, decide, append with the
 * revision read. A concurrent write makes it decide again on fresh state, a bounded
 * number of times, then the ConcurrencyError (409) goes to the caller.
 */
@Injectable()
export class CommandExecutor {
  constructor(private readonly store: EventStore) {}

  async load<S, C extends Message, E extends Message>(aggregate: Aggregate<S, C, E>, id: string): Promise<Loaded<S>> {
    const stored = await this.store.readStream(streamOf(aggregate, id));
    return {
      state: fold(aggregate.decider, stored.map(toMessage) as E[]),
      revision: stored.length > 0 ? stored[stored.length - 1].revision : null,
    };
  }

  async execute<S, C extends Message, E extends Message>(
    aggregate: Aggregate<S, C, E>,
    id: string,
    command: C,
    context: CommandContext,
  ): Promise<Decided<S, E>> {
    const stream = streamOf(aggregate, id);
    for (let attempt = 1; ; attempt++) {
      const { state, revision } = await this.load(aggregate, id);
      const events = aggregate.decider.decide(command, state);
      if (events.length === 0) return { state, events, position: null };
      const occurredAt = occurredAtOf(command);
      try {
        const { position } = await this.store.append(
          stream,
          events.map((event, index) => ({
            id: derivedEventId(context.causationId, stream, command.type, index),
            type: event.type,
            data: event.data as never,
            metadata: {
              $correlationId: context.correlationId,
              $causationId: context.causationId,
              actor: context.actor,
              occurredAt,
              schemaVersion: aggregate.schemaVersions[event.type as E['type']],
            },
          })),
          { expectedRevision: revision ?? 'no_stream' },
        );
        return { state: events.reduce(aggregate.decider.evolve, state), events, position };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
        // Another writer moved the stream: let it finish, then decide again on what it wrote.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }
}

const toMessage = (event: StoredEvent): Message => ({ type: event.type, data: event.data });

function occurredAtOf(command: Message): string {
  const at = (command.data as { at?: unknown } | undefined)?.at;
  return typeof at === 'string' ? at : new Date().toISOString();
}
