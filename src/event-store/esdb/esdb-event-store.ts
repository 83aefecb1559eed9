import {
  AllStreamResolvedEvent,
  ANY,
  AppendExpectedRevision,
  AppendResult as EsdbAppendResult,
  AppendToStreamOptions,
  BACKWARDS,
  END,
  EventData,
  EventStoreDBClient,
  eventTypeFilter,
  excludeSystemEvents,
  Filter,
  FORWARDS,
  isCommandError,
  jsonEvent,
  NO_STREAM,
  Position,
  ReadAllOptions as EsdbReadAllOptions,
  ReadPosition,
  ReadRevision,
  ReadStreamOptions as EsdbReadStreamOptions,
  ResolvedEvent,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  streamNameFilter,
  SubscribeToAllOptions as EsdbSubscribeToAllOptions,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { prepareAppend } from '../append-validation';
import {
  ActualRevision,
  AppendOptions,
  AppendResult,
  ConcurrencyError,
  EventFilter,
  EventMetadata,
  EventStore,
  EventSubscription,
  ExpectedRevision,
  JsonObject,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  SubscribeToAllOptions,
} from '../event-store.port';
import { checkBound, checkDirection, checkMaxCount, matchesFilter, normalizeFilter } from '../read-options';

/**
 * The part of `EventStoreDBClient` (6.x) this adapter uses. The real client satisfies it;
 * tests pass a fake.
 */
export interface EsdbClient {
  appendToStream(streamName: string, events: EventData[], options?: AppendToStreamOptions): Promise<EsdbAppendResult>;
  readStream(streamName: string, options?: EsdbReadStreamOptions): AsyncIterable<ResolvedEvent>;
  readAll(options?: EsdbReadAllOptions): AsyncIterable<AllStreamResolvedEvent>;
  subscribeToAll(options?: EsdbSubscribeToAllOptions): EsdbClientSubscription;
  dispose(): Promise<void>;
}

/** A live `subscribeToAll` of the client: a readable stream of resolved events. */
export interface EsdbClientSubscription extends AsyncIterable<AllStreamResolvedEvent> {
  unsubscribe(): Promise<void>;
  destroy?(error?: Error): unknown;
}

export interface EsdbLogger {
  warn(message: string): void;
  log?(message: string): void;
}

export interface EsdbEventStoreOptions {
  /** Where dropped subscriptions are reported. Default: `console.warn`. */
  logger?: EsdbLogger;
  /** Backoff between resubscriptions: exponential with jitter, reset by every event received. */
  resubscribe?: { initialDelayMs?: number; maxDelayMs?: number };
}

/** What the server sends when it has no $all position for an event (`Position.FromInt64(-1, -1)`). */
const NO_POSITION = 2n ** 64n - 1n;
/** Largest page of $all read in one call; pages start smaller when few events are wanted. */
const MAX_PAGE = 512;

type Visit = (resolved: AllStreamResolvedEvent, position: Position) => boolean;

/**
 * The EventStoreDB adapter (client 6.x, server 22.6 or later), over one client for the
 * whole process. Semantics verified against the client's code and the server's sources:
 *
 * - A position is the event's commit position. Events appended over gRPC are each their
 *   own committed record, so their commit and prepare positions are equal and the client
 *   is given `{ commit: p, prepare: p }`. The server reads $all only from the start of a
 *   record, which is why callers may pass back only positions the store gave them.
 * - Reading $all forwards from a position includes it; backwards excludes it, so the
 *   event exactly at it is fetched with a forwards read of one.
 * - A subscription from a position delivers what follows it. It is resubscribed after
 *   a drop from the last event seen, and anything at or before that is skipped, so
 *   nothing is delivered twice or skipped.
 * - The 6.x client's `readAll` has no server filter: system events are dropped and the
 *   port's filter is applied here, page after page.
 * - Idempotent re-append is the server's own check (exact for a revision, a cache of
 *   recent writes for `any`/`stream_exists`), which returns the original revision and
 *   the position of the batch's last event.
 * - Only JSON events whose data and metadata are objects are platform events. Others in
 *   $all are skipped with a warning; in a stream, where a gap would corrupt state, they
 *   are an error.
 */
export class EsdbEventStore extends EventStore {
  readonly kind = 'eventstoredb' as const;

  private readonly subscriptions = new Set<EsdbSubscription>();
  private readonly warned = new Set<string>();
  private readonly logger: EsdbLogger;
  private closing: Promise<void> | undefined;
  /** @internal */
  readonly backoff: { initialDelayMs: number; maxDelayMs: number };

  /** Wraps a client; the store owns it from then on and disposes of it on `close()`. */
  constructor(
    private readonly client: EsdbClient,
    options: EsdbEventStoreOptions = {},
  ) {
    super();
    this.logger = options.logger ?? { warn: (message) => console.warn(`[EsdbEventStore] ${message}`) };
    const initialDelayMs = Math.max(1, options.resubscribe?.initialDelayMs ?? 100);
    this.backoff = { initialDelayMs, maxDelayMs: Math.max(initialDelayMs, options.resubscribe?.maxDelayMs ?? 5_000) };
  }

  /** Creates the process's client from an `esdb://` connection string. Call it once. */
  static fromConnectionString(connectionString: string, options: EsdbEventStoreOptions = {}): EsdbEventStore {
    let client: EventStoreDBClient;
    try {
      client = EventStoreDBClient.connectionString(connectionString);
    } catch (error) {
      // The client's parse error quotes the whole string, credentials included.
      throw new Error(`Invalid EventStoreDB connection string: ${describeParseError(error)}`);
    }
    return new EsdbEventStore(client, options);
  }

  async append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const prepared = prepareAppend(stream, events, options);
    this.assertOpen();
    const expected = options.expectedRevision;
    // From the prepared JSON, so the stored data is exactly what was validated and measured.
    const payload: EventData[] = prepared.map((event) =>
      jsonEvent({
        id: event.id,
        type: event.type,
        data: JSON.parse(event.dataJson) as JsonObject,
        metadata: JSON.parse(event.metadataJson) as JsonObject,
      }),
    );
    let result: EsdbAppendResult;
    try {
      result = await this.client.appendToStream(stream, payload, { expectedRevision: toClientRevision(expected) });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        throw new ConcurrencyError(stream, expected, toActualRevision(error.actualVersion));
      }
      throw error;
    }
    if (!result.success) {
      // Only with `throwOnAppendFailure=false`, whose reported revision is unreliable in 6.x.
      throw new ConcurrencyError(stream, expected, await this.currentRevision(stream));
    }
    // An idempotent repeat on a server that cannot tell where the original landed has no position.
    const position =
      knownCommit(result.position) ?? (await this.positionOfRevision(stream, result.nextExpectedRevision));
    return { nextExpectedRevision: result.nextExpectedRevision, position };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    const direction = checkDirection(options.direction);
    const from = checkBound(options.fromRevision, 'fromRevision') ?? (direction === 'forwards' ? 'start' : 'end');
    const limit = checkMaxCount(options.maxCount);
    if (limit === 0 || (direction === 'forwards' && from === 'end')) return [];
    // Backwards from the start is the first event, as with the embedded store.
    const fromRevision: ReadRevision =
      from === 'start' ? (direction === 'forwards' ? START : 0n) : from === 'end' ? END : from;
    const events: StoredEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, {
        fromRevision,
        direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
        maxCount: limit,
        resolveLinkTos: false,
      })) {
        if (resolved.event) events.push(this.streamEvent(resolved));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    const direction = checkDirection(options.direction);
    const from = checkBound(options.fromPosition, 'fromPosition') ?? (direction === 'forwards' ? 'start' : 'end');
    const limit = checkMaxCount(options.maxCount) ?? Infinity;
    const filter = normalizeFilter(options.filter);
    if (limit === 0 || (direction === 'forwards' ? from === 'end' : from === 'start')) return [];
    const found: StoredEvent[] = [];
    const take: Visit = (resolved, position) => {
      const event = this.userEvent(resolved, position, filter);
      if (event) found.push(event);
      return found.length >= limit;
    };
    if (from === 'start') {
      await this.page(FORWARDS, START, limit, take);
    } else if (from === 'end') {
      await this.page(BACKWARDS, END, limit, take);
    } else if (direction === 'forwards') {
      await this.page(FORWARDS, at(from), limit, take);
    } else {
      // $all backwards excludes its starting position; ours includes it.
      const [first] = await this.fetchAll({ fromPosition: at(from), direction: FORWARDS, maxCount: 1 });
      const position = first && positionOf(first);
      if (position?.commit === from && take(first, position)) return found;
      await this.page(BACKWARDS, at(from), limit, take);
    }
    return found;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): EventSubscription {
    this.assertOpen();
    const from = checkBound(options.fromPosition, 'fromPosition') ?? 'start';
    const subscription = new EsdbSubscription(this, from, normalizeFilter(options.filter));
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<bigint | null> {
    this.assertOpen();
    const heads: bigint[] = [];
    await this.page(BACKWARDS, END, 1, (resolved, position) => {
      if (!this.userEvent(resolved, position, undefined)) return false;
      heads.push(position.commit);
      return true;
    });
    return heads[0] ?? null;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('The event store is closed');
  }

  // ----- used by subscriptions -----

  /** @internal */
  get esdb(): EsdbClient {
    return this.client;
  }

  /** @internal */
  forget(subscription: EsdbSubscription): void {
    this.subscriptions.delete(subscription);
  }

  /** @internal */
  warn(message: string): void {
    this.logger.warn(message);
  }

  /** @internal */
  info(message: string): void {
    this.logger.log?.(message);
  }

  /** @internal position of the last record of $all, system or not; null when it is empty. */
  async lastRecordPosition(): Promise<Position | null> {
    const [last] = await this.fetchAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 });
    return (last && positionOf(last)) ?? null;
  }

  /** @internal the platform event this record is, if it is one and matches the filter. */
  userEvent(
    resolved: AllStreamResolvedEvent,
    position: Position,
    filter: EventFilter | undefined,
  ): StoredEvent | undefined {
    const recorded = resolved.event;
    if (!recorded || isSystem(recorded.streamId, recorded.type)) return undefined;
    if (!matchesFilter(filter, recorded.streamId, recorded.type)) return undefined;
    const event = decode(recorded, position.commit);
    if (!event) this.warnForeign(recorded.streamId, recorded.revision, recorded.id);
    return event;
  }

  // ----- reading -----

  /**
   * Reads $all page by page from `start` and hands each record to `visit` until it says
   * stop or the log ends. Each page restarts at the last record seen, which a forwards
   * read includes again: records at or behind it are skipped.
   */
  private async page(
    direction: typeof FORWARDS | typeof BACKWARDS,
    start: ReadPosition,
    want: number,
    visit: Visit,
  ): Promise<void> {
    let cursor = start;
    let last: Position | undefined;
    let size = Math.min(MAX_PAGE, Math.max(2, want + 1));
    for (;;) {
      const batch = await this.fetchAll({ fromPosition: cursor, direction, maxCount: size });
      for (const resolved of batch) {
        const position = positionOf(resolved);
        if (!position) continue;
        if (last && (direction === FORWARDS ? compare(position, last) <= 0 : compare(position, last) >= 0)) continue;
        last = position;
        if (visit(resolved, position)) return;
      }
      if (batch.length < size || !last) return;
      cursor = last;
      size = Math.min(MAX_PAGE, size * 2);
    }
  }

  private async fetchAll(options: EsdbReadAllOptions): Promise<AllStreamResolvedEvent[]> {
    const records: AllStreamResolvedEvent[] = [];
    for await (const resolved of this.client.readAll({ ...options, resolveLinkTos: false })) records.push(resolved);
    return records;
  }

  private streamEvent(resolved: ResolvedEvent): StoredEvent {
    const recorded = resolved.event!;
    const position = knownCommit(recorded.position) ?? resolved.commitPosition;
    if (position === undefined) {
      throw new Error(
        `EventStoreDB returned no $all position for event ${recorded.revision} of ${recorded.streamId}; ` +
          'this adapter needs EventStoreDB 22.6 or later.',
      );
    }
    const event = decode(recorded, position);
    if (!event) {
      throw new Error(
        `Event ${recorded.revision} of ${recorded.streamId} is not a platform event (JSON data and metadata objects).`,
      );
    }
    return event;
  }

  private async positionOfRevision(stream: string, revision: bigint): Promise<bigint> {
    const [event] = await this.readStream(stream, { fromRevision: revision, maxCount: 1 });
    if (!event) throw new Error(`EventStoreDB acknowledged an append to ${stream} it cannot read back.`);
    return event.position;
  }

  private async currentRevision(stream: string): Promise<ActualRevision> {
    const [last] = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
    return last ? last.revision : 'no_stream';
  }

  private warnForeign(stream: string, revision: bigint, id: string): void {
    if (this.warned.has(id)) return;
    if (this.warned.size >= 1_000) this.warned.clear();
    this.warned.add(id);
    this.warn(`Skipping event ${revision} of ${stream}: not a platform event (JSON data and metadata objects).`);
  }
}

const CLOSED = Symbol('closed');

/**
 * A catch-up subscription that survives dropped connections: after a drop it waits
 * (exponential backoff with jitter) and resubscribes after the last event it saw.
 */
class EsdbSubscription implements EventSubscription {
  private closed = false;
  private iterated = false;
  private current: EsdbClientSubscription | undefined;
  private readonly released = new WeakSet<EsdbClientSubscription>();
  /** Ends the wait in progress (next event or backoff) when the subscription is closed. */
  private wake: (() => void) | undefined;
  /** Where to subscribe next: exclusive. */
  private resumeFrom: 'start' | 'end' | Position;
  /** Everything at or before it was delivered or passed over: never deliver it (again). */
  private seenUpTo: Position | undefined;
  /** For `end`: the head, read at once so that what is appended from now on is delivered. */
  private head: Promise<Position | null> | undefined;

  constructor(
    private readonly store: EsdbEventStore,
    origin: 'start' | 'end' | bigint,
    private readonly filter: EventFilter | undefined,
  ) {
    if (typeof origin === 'bigint') {
      this.resumeFrom = at(origin);
      this.seenUpTo = this.resumeFrom;
    } else {
      this.resumeFrom = origin;
      if (origin === 'end') this.readHead();
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    if (this.iterated) throw new Error('A subscription can be iterated once');
    this.iterated = true;
    return this.run();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    const current = this.current;
    this.current = undefined;
    if (current) await this.release(current);
    this.store.forget(this);
  }

  private async *run(): AsyncGenerator<StoredEvent, void, undefined> {
    let failures = 0;
    try {
      while (!this.closed) {
        let subscription: EsdbClientSubscription | undefined;
        let trouble: string;
        try {
          const from = await this.interruptible(this.startingPoint());
          if (from === CLOSED) return;
          subscription = this.store.esdb.subscribeToAll({
            fromPosition: from,
            filter: serverFilter(this.filter),
            resolveLinkTos: false,
          });
          this.current = subscription;
          if (failures > 0) this.store.info(`Resubscribed to $all after ${describeFrom(from)}.`);
          const iterator = subscription[Symbol.asyncIterator]();
          for (;;) {
            const step = await this.interruptible(iterator.next());
            if (step === CLOSED) return;
            if (step.done) break;
            failures = 0;
            const event = this.admit(step.value);
            if (event) {
              yield event;
              if (this.closed) return;
            }
          }
          trouble = 'ended by the server';
        } catch (error) {
          if (this.closed) return;
          trouble = `dropped: ${describeError(error)}`;
        } finally {
          if (this.current === subscription) this.current = undefined;
          if (subscription) await this.release(subscription);
        }
        if (this.closed) return;
        failures += 1;
        const delay = backoffDelay(failures, this.store.backoff.initialDelayMs, this.store.backoff.maxDelayMs);
        this.store.warn(
          `Subscription to $all ${trouble}; resubscribing in ${Math.round(delay)} ms (attempt ${failures}).`,
        );
        if ((await this.pause(delay)) === CLOSED) return;
      }
    } finally {
      this.closed = true;
      this.wake = undefined;
      this.store.forget(this);
    }
  }

  /** Skips what was already seen; moves the resume point past everything else. */
  private admit(resolved: AllStreamResolvedEvent): StoredEvent | undefined {
    const position = positionOf(resolved);
    if (!position) return undefined;
    if (this.seenUpTo && compare(position, this.seenUpTo) <= 0) return undefined;
    this.seenUpTo = position;
    this.resumeFrom = position;
    return this.store.userEvent(resolved, position, this.filter);
  }

  private async startingPoint(): Promise<ReadPosition> {
    if (this.resumeFrom === 'end') {
      let head: Position | null;
      try {
        head = await (this.head ?? this.readHead());
      } finally {
        this.head = undefined;
      }
      // An empty log: everything appended from now on is the whole log.
      this.resumeFrom = head ?? 'start';
      if (head) this.seenUpTo = head;
    }
    return this.resumeFrom === 'start' ? START : this.resumeFrom;
  }

  private readHead(): Promise<Position | null> {
    const head = this.store.lastRecordPosition();
    head.catch(() => undefined); // read again on first connect if it failed
    this.head = head;
    return head;
  }

  /** Waits for `promise`, or for `close()`, whichever comes first. */
  private interruptible<T>(promise: Promise<T>): Promise<T | typeof CLOSED> {
    if (this.closed) {
      promise.catch(() => undefined);
      return Promise.resolve(CLOSED);
    }
    return new Promise<T | typeof CLOSED>((resolve, reject) => {
      this.wake = () => resolve(CLOSED);
      promise.then(resolve, reject);
    }).finally(() => {
      this.wake = undefined;
    });
  }

  private pause(ms: number): Promise<void | typeof CLOSED> {
    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    return this.interruptible(elapsed).finally(() => clearTimeout(timer));
  }

  private async release(subscription: EsdbClientSubscription): Promise<void> {
    if (this.released.has(subscription)) return;
    this.released.add(subscription);
    // Bounded: the client waits for the call to be set up before it can cancel it.
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1_000)));
    try {
      await Promise.race([subscription.unsubscribe(), patience]);
    } catch {
      // Already gone with its connection.
    } finally {
      clearTimeout(timer);
    }
    try {
      subscription.destroy?.();
    } catch {
      // Nothing left to free.
    }
  }
}

interface RecordedLike {
  id: string;
  type: string;
  streamId: string;
  revision: bigint;
  created: Date;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
}

function decode(recorded: RecordedLike, position: bigint): StoredEvent | undefined {
  if (!recorded.isJson || !isJsonObject(recorded.data) || !isJsonObject(recorded.metadata)) return undefined;
  return {
    id: recorded.id,
    type: recorded.type,
    data: recorded.data as JsonObject,
    metadata: recorded.metadata as EventMetadata,
    stream: recorded.streamId,
    revision: recorded.revision,
    position,
    recordedAt: recorded.created,
  };
}

function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function isSystem(stream: string, type: string): boolean {
  return stream.startsWith('$') || type.startsWith('$');
}

function toClientRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return expected;
  }
}

/** The client reports a missing stream as `no_stream`, or -1 when it reads gRPC metadata. */
function toActualRevision(actual: unknown): ActualRevision {
  return typeof actual === 'bigint' && actual >= 0n ? actual : 'no_stream';
}

function knownCommit(position: Position | undefined): bigint | undefined {
  if (!position || position.commit < 0n || position.commit >= NO_POSITION) return undefined;
  return position.commit;
}

function positionOf(resolved: AllStreamResolvedEvent): Position | undefined {
  const position = resolved.event?.position;
  if (knownCommit(position) !== undefined) return position;
  const commit = resolved.commitPosition;
  return commit === undefined || commit >= NO_POSITION ? undefined : at(commit);
}

function at(position: bigint): Position {
  return { commit: position, prepare: position };
}

function compare(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/**
 * The server narrows by one list of prefixes; the other list, and system events the
 * prefixes let through, are dropped when the events arrive.
 */
function serverFilter(filter: EventFilter | undefined): Filter {
  if (filter?.streamPrefixes?.length) return streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  if (filter?.eventTypePrefixes?.length) return eventTypeFilter({ prefixes: [...filter.eventTypePrefixes] });
  return excludeSystemEvents();
}

function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function describeFrom(from: ReadPosition): string {
  return typeof from === 'string' ? from : `position ${from.commit}`;
}

/** Name and message, with any credentials in a URL masked. */
function describeError(error: unknown): string {
  const text =
    error instanceof Error ? `${isCommandError(error) ? error.type : error.name}: ${error.message}` : String(error);
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@').slice(0, 500);
}

function describeParseError(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'expected' in error && 'location' in error) {
    const { expected, location } = error as { expected: unknown; location: unknown };
    const where = Array.isArray(location) ? ` at character ${String(location[0])}` : '';
    return `expected ${String(expected)}${where}.`;
  }
  return error instanceof Error ? `${error.name} (details withheld, they may contain credentials).` : 'unparseable.';
}
