import { Inject, Injectable, Optional } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { ConcurrencyError, EventStore, StoredEvent } from '../../event-store/event-store.port';
import { Message } from '../domain/decider';
import { Aggregate, streamOf } from './aggregate';
import { CommandContext } from './command-context';
import { CommandObserver, ExecutedCommand, failureOf } from './command-observer';
import { derivedEventId } from './event-ids';
import { foldVersion, Snapshot, SnapshotStore } from './snapshot-store';

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
/** Streams whose folded state is kept between commands (least recently used go first)… */
const CACHED_STREAMS = 2_000;
/**
 * …and the events they hold at most, together: a long stream's state (its backups) and
 * its ids weigh with its length, so a few thousand long streams would hold hundreds of
 * megabytes. One put out of the cache comes back from its snapshot.
 */
export const CACHED_EVENTS = 200_000;

/** The cache's bounds, for a test to make small; the defaults above otherwise. */
export interface ExecutorCacheLimits {
  streams: number;
  events: number;
}
export const EXECUTOR_CACHE_LIMITS = Symbol('EXECUTOR_CACHE_LIMITS');
/** Events folded past a stream's last snapshot before another is taken. */
export const SNAPSHOT_EVERY = 500;

interface Cached {
  state: unknown;
  revision: bigint | null;
  /** Ids of the stream's events: a command whose derived ids are there already ran. */
  ids: Set<string>;
  /** The id of the event at `revision`, for the snapshot taken of this state. */
  lastEventId: string | null;
  /** Where the stream's last snapshot stands, so that the next is taken SNAPSHOT_EVERY events later. */
  snapshotRevision: bigint | null;
}

/**
 * Runs a command against an aggregate: read its stream, fold, decide, append with the
 * revision read. A concurrent write makes it decide again on fresh state, a bounded
 * number of times, then the ConcurrencyError (409) goes to the caller.
 *
 * A command whose events are already in the stream (same causation, same derived ids)
 * ran before: it is answered with the current state and appends nothing. Folded states
 * are cached, so a command reads only the events appended since the last one; a stream
 * not in the cache starts from its snapshot, when a `SnapshotStore` is provided (one is
 * taken every SNAPSHOT_EVERY events folded), and reads only the events after it.
 *
 * Every command passes here (REST, GraphQL, sagas, jobs): its outcome and duration go to
 * the `CommandObserver`, when one is provided (metrics).
 */
@Injectable()
export class CommandExecutor {
  private readonly cache = new Map<string, Cached>();
  /** What each cached stream weighed when cached (its events), and their sum. */
  private readonly weights = new Map<string, number>();
  private cachedEvents = 0;

  constructor(
    private readonly store: EventStore,
    @Optional() private readonly observer?: CommandObserver,
    @Optional() private readonly snapshots?: SnapshotStore,
    @Optional() @Inject(EXECUTOR_CACHE_LIMITS) private readonly limits: ExecutorCacheLimits = { streams: CACHED_STREAMS, events: CACHED_EVENTS },
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

  /** The stream folded: from the cache (or else its snapshot) plus the events appended since, or from the start. */
  private async read<S, C extends Message, E extends Message>(
    aggregate: Aggregate<S, C, E>,
    stream: string,
  ): Promise<Cached & { state: S }> {
    const known = this.cache.get(stream) ?? (await this.fromSnapshot(aggregate, stream));
    const tail = await this.store.readStream(stream, known?.revision != null ? { fromRevision: known.revision + 1n } : {});
    const fresh: Cached = known
      ? { ...known }
      : { state: aggregate.decider.initialState(), revision: null, ids: new Set(), lastEventId: null, snapshotRevision: null };
    for (const event of tail) {
      fresh.state = aggregate.decider.evolve(fresh.state as S, toMessage(event) as E);
      fresh.revision = event.revision;
      fresh.lastEventId = event.id;
      // Ids only grow: an older reader that sees one more changes nothing.
      fresh.ids.add(event.id);
    }
    this.remember(stream, fresh);
    this.snapshotIfDue(aggregate, stream, fresh);
    return fresh as Cached & { state: S };
  }

  /** Caches the stream's state as the most recent, then lets the least recent go while over either bound. */
  private remember(stream: string, folded: Cached): void {
    this.forget(stream);
    const weight = folded.ids.size;
    this.cache.set(stream, folded);
    this.weights.set(stream, weight);
    this.cachedEvents += weight;
    while (this.cache.size > 1 && (this.cache.size > this.limits.streams || this.cachedEvents > this.limits.events)) {
      this.forget(this.cache.keys().next().value as string);
    }
  }

  private forget(stream: string): void {
    this.cachedEvents -= this.weights.get(stream) ?? 0;
    this.weights.delete(stream);
    this.cache.delete(stream);
  }

  /** The stream's snapshot, if there is one for this fold and it matches the log. */
  private async fromSnapshot<S, C extends Message, E extends Message>(aggregate: Aggregate<S, C, E>, stream: string): Promise<Cached | undefined> {
    if (!this.snapshots) return undefined;
    const snapshot = await this.snapshots.load(stream, foldVersionOf(aggregate)).catch(() => null);
    if (!snapshot) return undefined;
    // The event it was folded to must be the log's: a snapshot of another log is ignored.
    const [at] = await this.store.readStream(stream, { fromRevision: snapshot.revision, maxCount: 1 });
    if (at?.id !== snapshot.lastEventId) {
      // Dropped, or it would stand in the way of the snapshots of this log (none replaces a later one).
      await this.snapshots.discard(stream, foldVersionOf(aggregate), snapshot.lastEventId).catch(() => undefined);
      return undefined;
    }
    return { state: snapshot.state, revision: snapshot.revision, ids: new Set(snapshot.ids), lastEventId: snapshot.lastEventId, snapshotRevision: snapshot.revision };
  }

  /** Takes a snapshot, in the background, once SNAPSHOT_EVERY events were folded past the last one. */
  private snapshotIfDue<S, C extends Message, E extends Message>(aggregate: Aggregate<S, C, E>, stream: string, folded: Cached): void {
    if (!this.snapshots || folded.revision === null || folded.lastEventId === null) return;
    if (folded.revision - (folded.snapshotRevision ?? -1n) < BigInt(SNAPSHOT_EVERY)) return;
    folded.snapshotRevision = folded.revision;
    const snapshot: Snapshot = { revision: folded.revision, lastEventId: folded.lastEventId, state: folded.state, ids: [...folded.ids] };
    // A cache: a snapshot not saved is only folded again.
    void this.snapshots.save(stream, foldVersionOf(aggregate), snapshot).catch(() => undefined);
  }
}

/** The version of an aggregate's fold, for its snapshots. */
const foldVersionOf = (aggregate: Pick<Aggregate<never, never, never>, 'schemaVersions' | 'snapshotVersion'>) =>
  foldVersion(aggregate.schemaVersions, aggregate.snapshotVersion ?? 1);

const toMessage = (event: StoredEvent): Message => ({ type: event.type, data: event.data });

function occurredAtOf(command: Message): string {
  const at = (command.data as { at?: unknown } | undefined)?.at;
  return typeof at === 'string' ? at : new Date().toISOString();
}
