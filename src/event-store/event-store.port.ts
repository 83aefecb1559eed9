import { DomainError } from '../shared/domain/domain-error';

/** Any JSON value, as stored in an event's data or metadata. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * The state a writer expects the stream to be in:
 * - `no_stream`: the stream has no event yet;
 * - `stream_exists`: the stream has at least one event;
 * - `any`: no check;
 * - a bigint: the revision of the stream's last event (the first event is revision 0n).
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

/** Where a stream is when a conflict is detected: its last revision, or `no_stream`. */
export type ActualRevision = 'no_stream' | bigint;

/**
 * Metadata carried by every event. The `$`-prefixed names are the ones EventStoreDB's
 * `$by_correlation_id` system projection indexes.
 */
export interface EventMetadata {
  /** The request or process this event belongs to (from `X-Request-Id`, or generated). */
  $correlationId: string;
  /** The id of the command or event that directly caused this event. */
  $causationId: string;
  /** Who did it: a token's subject, or a platform component such as `platform:scheduler`. */
  actor: string;
  /** ISO-8601 time the fact happened, from the injected clock (not the store's clock). */
  occurredAt: string;
  /** Version of the event's data schema, bumped when its shape changes. */
  schemaVersion: number;
  [key: string]: JsonValue;
}

/** An event to append. `id` is a UUID chosen by the writer; it is what makes a retry idempotent. */
export interface NewEvent<TType extends string = string, TData extends JsonObject = JsonObject> {
  id: string;
  type: TType;
  data: TData;
  metadata: EventMetadata;
}

/** An event as read back from the store: the envelope. */
export interface StoredEvent<TType extends string = string, TData extends JsonObject = JsonObject>
  extends NewEvent<TType, TData> {
  /** `<category>-<id>`, e.g. `addon-1b2c…`. */
  stream: string;
  /** Index of the event in its stream, from 0n. */
  revision: bigint;
  /**
   * Position in the global log. Strictly increasing in commit order across all streams.
   * Opaque beyond its order: the embedded store numbers events 1, 2, 3… with no gap,
   * EventStoreDB uses its commit position. Pass back only positions the store gave
   * (never `p + 1n`: on EventStoreDB that is not a position). Serialize it as a string.
   */
  position: bigint;
  /** When the store recorded the event. */
  recordedAt: Date;
}

export interface AppendOptions {
  expectedRevision: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the last event of the batch: the expected revision for the next append. */
  nextExpectedRevision: bigint;
  /** Global position of the last event of the batch. */
  position: bigint;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** Inclusive. Default: `start` forwards, `end` backwards. */
  fromRevision?: 'start' | 'end' | bigint;
  /** Default `forwards`. */
  direction?: Direction;
  /** Default: every event. */
  maxCount?: number;
}

/**
 * Both lists are optional: an absent or empty list places no constraint. A list matches
 * when any of its prefixes matches; both must match when both are given. Prefixes are
 * case-sensitive. Filters are how a consumer asks for a category: `addon-` for add-ons.
 */
export interface EventFilter {
  streamPrefixes?: readonly string[];
  eventTypePrefixes?: readonly string[];
}

export interface ReadAllOptions {
  /**
   * Inclusive in both directions. Default: `start` forwards, `end` backwards. To page,
   * read again from the last event's position and drop that first event.
   */
  fromPosition?: 'start' | 'end' | bigint;
  /** Default `forwards`. */
  direction?: Direction;
  /** Default: every event. Page with it on a large log. */
  maxCount?: number;
  filter?: EventFilter;
}

export interface SubscribeToAllOptions {
  /**
   * Exclusive: the subscription delivers the events strictly after this position, so a
   * consumer resumes by passing the position of the last event it processed.
   * `start` delivers the whole log, `end` only what is appended from now on.
   * Default `start`.
   */
  fromPosition?: 'start' | 'end' | bigint;
  filter?: EventFilter;
}

/**
 * A catch-up subscription: the log from the requested position, then live events, in
 * global order, with no gap and no duplicate. Iterate it with `for await`; delivery is
 * paced by the consumer. Ending the loop (`break`) or calling `close()` stops it.
 */
export interface EventSubscription extends AsyncIterable<StoredEvent> {
  close(): Promise<void>;
}

export type EventStoreKind = 'sqlite' | 'eventstoredb';

/**
 * A stored event this build cannot read as its current version (no upcaster takes it, or
 * its data does not parse): the read that met it fails, naming where it lies, so that a
 * consumer can stop at it (a projection parks there) rather than skip it or spin.
 */
export class UnreadableEventError extends Error {
  constructor(
    readonly eventId: string,
    readonly type: string,
    readonly stream: string,
    readonly position: bigint,
    readonly reason: string,
  ) {
    super(`${reason} (event ${eventId}, ${type} on ${stream}, position ${position})`);
    this.name = 'UnreadableEventError';
  }
}

/**
 * The event log: the only source of truth of the system. Also the DI token.
 *
 * Idempotent re-append (both adapters obey it; the contract suite checks it):
 * - With an exact revision E (or `no_stream`, which is E = -1): if the stream is at E the
 *   events are appended. If the stream is past E and its events at revisions E+1 … E+n
 *   carry exactly the batch's ids in the batch's order, nothing is written and the
 *   original result is returned (the revision and position of the stored E+n). Any other
 *   situation is a `ConcurrencyError`.
 * - With `any` or `stream_exists`: if the batch's first id is already in the stream and
 *   every other id of the batch is too, nothing is written and the result points at the
 *   stored event of the batch's last id; if only some are, it is a `ConcurrencyError`.
 *   EventStoreDB checks this against a cache of recent writes (best effort, its docs say);
 *   the embedded store checks the whole stream. Use an exact revision where it matters.
 * Only ids are compared, never data: the same id means the same event. An id belongs in
 * a stream once: the embedded store refuses it at another revision (`InvalidAppendError`);
 * EventStoreDB only checks within the rules above, so never reuse an id on purpose.
 */
export abstract class EventStore {
  abstract readonly kind: EventStoreKind;

  /**
   * Appends events to one stream atomically (all or none), checking `expectedRevision`.
   * @throws ConcurrencyError when the stream is not where the writer expected it.
   * @throws InvalidAppendError when the input is malformed (nothing is written).
   */
  abstract append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult>;

  /** Reads one stream; a stream that does not exist reads as empty. */
  abstract readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;

  /** Reads the global log, user events only (never the backend's system events). */
  abstract readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;

  /** Catch-up then live subscription to the global log (see `EventSubscription`). */
  abstract subscribeToAll(options?: SubscribeToAllOptions): EventSubscription;

  /** Position of the last user event in the log, or `null` when the log is empty. */
  abstract headPosition(): Promise<bigint | null>;

  /** Stops subscriptions and releases the backend. */
  abstract close(): Promise<void>;
}

/** The stream was not at the expected revision. Same error whatever the backend. */
export class ConcurrencyError extends DomainError {
  constructor(
    readonly stream: string,
    readonly expectedRevision: ExpectedRevision,
    readonly actualRevision: ActualRevision,
  ) {
    super(
      'CONCURRENCY.CONFLICT',
      `Stream ${stream} changed concurrently: expected ${describeRevision(expectedRevision)}, ` +
        `found ${describeRevision(actualRevision)}. Read it again and retry.`,
      { stream, expectedRevision: String(expectedRevision), actualRevision: String(actualRevision) },
    );
  }
}

/** The append was refused before reaching the backend; nothing was written. */
export class InvalidAppendError extends DomainError {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super('EVENT_STORE.INVALID_APPEND', reason, details);
  }
}

/** A read was asked with options that make no sense (a negative count, say). */
export class InvalidReadError extends DomainError {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super('EVENT_STORE.INVALID_READ', reason, details);
  }
}

function describeRevision(revision: ExpectedRevision): string {
  return typeof revision === 'bigint' ? `revision ${revision}` : revision.replace('_', ' ');
}
