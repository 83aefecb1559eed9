import { Injectable, Optional } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { ConcurrencyError, EventStore, StoredEvent } from '../../event-store/event-store.port';
import { Message } from '../domain/decider';
import { Aggregate, streamOf } from './aggregate';
import { CommandContext } from './command-context';
import { CommandObserver, ExecutedCommand, failureOf } from './command-observer';
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
/** Streams whose folded state is kept between commands (least recently used go first). */
const CACHED_STREAMS = 2_000;

interface Cached {
  state: unknown;
  revision: bigint | null;
  /** Ids of the stream's events: a command whose derived ids are there already ran. */
  ids: ReadonlySet<string>;
}

/**
 * Runs a command against an aggregate: read its stream, fold, decide, append with the
 * revision read. A concurrent write makes it decide again on fresh state, a bounded
 * number of times, then the ConcurrencyError (409) goes to the caller.
 *
 * A command whose events are already in the stream (same causation, same derived ids)
 * ran before: it is answered with the current state and appends nothing. Folded states
 * are cached, so a command reads only the events appended since the last one.
 *
 * Every command passes here (REST, GraphQL, sagas, jobs): its outcome and duration go to
 * the `CommandObserver`, when one is provided (metrics).
 */
@Injectable()
export class CommandExecutor {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly store: EventStore,
    @Optional() private readonly observer?: CommandObserver,
  ) {}

  async load<S, C extends Message, E extends Message>(aggregate: Aggregate<S, C, E>, id: string): Promise<Loaded<S>> {
    const { state, revision } = await this.read(aggregate, streamOf(aggregate, id));
    return { state, revision };
  }

  async execute<S, C extends Message, E extends Message>(
    aggregate: Aggregate<S, C, E>,
    id: string,
    command: C,
    context: CommandContext,
  ): Promise<Decided<S, E>> {
    const started = performance.now();
    const observe = (outcome: Pick<ExecutedCommand, 'outcome' | 'code'>) =>
      this.observe({ aggregate: aggregate.category, type: command.type, ...outcome, seconds: (performance.now() - started) / 1000 });
    let decided: Decided<S, E>;
    try {
      decided = await this.decideAndAppend(aggregate, id, command, context);
    } catch (error) {
      observe(failureOf(error));
      throw error;
    }
    observe({ outcome: decided.position === null ? 'noop' : 'ok' });
    return decided;
  }

  private async decideAndAppend<S, C extends Message, E extends Message>(
    aggregate: Aggregate<S, C, E>,
    id: string,
    command: C,
    context: CommandContext,
  ): Promise<Decided<S, E>> {
    const stream = streamOf(aggregate, id);
    const eventId = (index: number) => derivedEventId(context.causationId, stream, command.type, index);
    for (let attempt = 1; ; attempt++) {
      const { state, revision, ids } = await this.read(aggregate, stream);
      if (ids.has(eventId(0))) return { state, events: [], position: null };
      const events = aggregate.decider.decide(command, state);
      if (events.length === 0) return { state, events, position: null };
      const occurredAt = occurredAtOf(command);
      try {
        const { position } = await this.store.append(
          stream,
          events.map((event, index) => ({
            id: eventId(index),
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

  private observe(command: ExecutedCommand): void {
    try {
      this.observer?.executed(command);
    } catch {
      // Monitoring never fails a command that did its work.
    }
  }

  /** The stream folded: from the cache plus the events appended since, or from the start. */
  private async read<S, C extends Message, E extends Message>(
    aggregate: Aggregate<S, C, E>,
    stream: string,
  ): Promise<Cached & { state: S }> {
    const cached = this.cache.get(stream);
    const tail = await this.store.readStream(
      stream,
      cached?.revision != null ? { fromRevision: cached.revision + 1n } : {},
    );
    let state = (cached ? cached.state : aggregate.decider.initialState()) as S;
    let revision = cached?.revision ?? null;
    const ids = tail.length > 0 ? new Set(cached?.ids) : (cached?.ids ?? new Set<string>());
    for (const event of tail) {
      state = aggregate.decider.evolve(state, toMessage(event) as E);
      revision = event.revision;
      (ids as Set<string>).add(event.id);
    }
    const fresh = { state, revision, ids };
    this.cache.delete(stream);
    this.cache.set(stream, fresh);
    if (this.cache.size > CACHED_STREAMS) this.cache.delete(this.cache.keys().next().value as string);
    return fresh;
  }
}

const toMessage = (event: StoredEvent): Message => ({ type: event.type, data: event.data });

function occurredAtOf(command: Message): string {
  const at = (command.data as { at?: unknown } | undefined)?.at;
  return typeof at === 'string' ? at : new Date().toISOString();
}
