import { PreparedEvent, prepareAppend } from '../append-validation';
import {
  AppendOptions,
  AppendResult,
  ConcurrencyError,
  EventFilter,
  InvalidAppendError,
  EventStore,
  EventSubscription,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  SubscribeToAllOptions,
} from '../event-store.port';
import { checkBound, checkDirection, checkMaxCount, normalizeFilter } from '../read-options';
import { CommitSignal } from './commit-signal';
import { SqliteConnection } from './sqlite-connection';
import { configureReader, configureWriter, migrate, SynchronousLevel } from './sqlite-schema';

export interface SqliteEventStoreOptions {
  /** The database file; created with its schema when missing. */
  file: string;
  /**
   * `FULL` (default): an acknowledged append survives a crash of the process and of the
   * machine. `NORMAL`: it survives a crash of the process (kill -9), not a power loss.
   */
  synchronous?: SynchronousLevel;
  /** How long a writer waits for another process's lock before failing. */
  busyTimeoutMs?: number;
  /**
   * How often a live subscription looks for events appended by another process on the
   * same file. Appends of this process wake subscriptions at once.
   */
  pollIntervalMs?: number;
  /** The time recorded with each event (`recordedAt`). */
  now?: () => Date;
}

interface EventRow {
  position: number;
  stream: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

interface AppendJob {
  stream: string;
  events: PreparedEvent[];
  expected: ExpectedRevision;
  retries: number;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

type Refusal = 'revision' | 'event_id' | 'gap' | 'no_stream';
type Attempt = { revision: number; position: number } | { refused: Refusal };

const EVENT_COLUMNS = 'position, stream, revision, event_id, type, data, metadata, recorded_at';
/** Appends waiting while a commit is in flight are committed together (group commit). */
const MAX_GROUP = 256;
const SUBSCRIPTION_BATCH = 500;
/** Stream heads remembered for `any` and `stream_exists` appends. */
const HEAD_CACHE = 10_000;
/** How often an `any` append recounts after other processes moved its stream. */
const MAX_RETRIES = 100;

/**
 * The embedded event store: one SQLite file in WAL mode, one connection that writes and
 * one that reads. Every append is a single INSERT whose rows the schema's constraints
 * accept or refuse whole (see sqlite-schema.ts), so it is atomic and correct even with
 * several processes on one file. Appends that arrive while a commit is in flight share
 * the next transaction: one fsync for many acknowledgements.
 */
export class SqliteEventStore extends EventStore {
  readonly kind = 'sqlite' as const;

  private readonly queue: AppendJob[] = [];
  /** Set and cleared inside `drain`, in the same tick as its look at the queue. */
  private writing = false;
  private draining: Promise<void> = Promise.resolve();
  private readonly commits = new CommitSignal();
  private readonly subscriptions = new Set<SqliteSubscription>();
  private readonly heads = new Map<string, number>();
  private closed = false;

  private constructor(
    private readonly writer: SqliteConnection,
    private readonly reader: SqliteConnection,
    private readonly pollIntervalMs: number,
    private readonly now: () => Date,
  ) {
    super();
  }

  static async open(options: SqliteEventStoreOptions): Promise<SqliteEventStore> {
    const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
    const writer = await SqliteConnection.open(options.file);
    try {
      await configureWriter(writer, { synchronous: options.synchronous ?? 'FULL', busyTimeoutMs });
      await migrate(writer);
      const reader = await SqliteConnection.open(options.file);
      await configureReader(reader, busyTimeoutMs);
      return new SqliteEventStore(writer, reader, options.pollIntervalMs ?? 250, options.now ?? (() => new Date()));
    } catch (error) {
      await writer.close().catch(() => undefined);
      throw error;
    }
  }

  async append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const prepared = prepareAppend(stream, events, options);
    if (this.closed) throw new Error('The event store is closed');
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ stream, events: prepared, expected: options.expectedRevision, retries: 0, resolve, reject });
      if (!this.writing) this.draining = this.drain();
    });
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const direction = checkDirection(options.direction);
    const from = checkBound(options.fromRevision, 'fromRevision') ?? (direction === 'forwards' ? 'start' : 'end');
    const limit = checkMaxCount(options.maxCount) ?? -1;
    if (direction === 'forwards' && from === 'end') return [];
    const bound: { sql: string; params: number[] } =
      typeof from === 'bigint'
        ? { sql: `AND revision ${direction === 'forwards' ? '>=' : '<='} ?`, params: [Number(from)] }
        : { sql: direction === 'backwards' && from === 'start' ? 'AND revision <= 0' : '', params: [] };
    const rows = await this.reader.all<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? ${bound.sql}
       ORDER BY revision ${direction === 'forwards' ? 'ASC' : 'DESC'} LIMIT ?`,
      [stream, ...bound.params, limit],
    );
    return rows.map(toStoredEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const direction = checkDirection(options.direction);
    const from = checkBound(options.fromPosition, 'fromPosition') ?? (direction === 'forwards' ? 'start' : 'end');
    const limit = checkMaxCount(options.maxCount) ?? -1;
    if ((direction === 'forwards' && from === 'end') || (direction === 'backwards' && from === 'start')) return [];
    const where = filterSql(normalizeFilter(options.filter));
    if (typeof from === 'bigint') {
      where.clauses.push(`position ${direction === 'forwards' ? '>=' : '<='} ?`);
      where.params.push(Number(from));
    }
    const rows = await this.reader.all<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events ${whereSql(where.clauses)}
       ORDER BY position ${direction === 'forwards' ? 'ASC' : 'DESC'} LIMIT ?`,
      [...where.params, limit],
    );
    return rows.map(toStoredEvent);
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): EventSubscription {
    if (this.closed) throw new Error('The event store is closed');
    const from = checkBound(options.fromPosition, 'fromPosition') ?? 'start';
    const subscription = new SqliteSubscription(this, from, normalizeFilter(options.filter));
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<bigint | null> {
    const head = await this.headNumber();
    return head === 0 ? null : BigInt(head);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.draining;
    await Promise.all([this.reader.close(), this.writer.close()]);
  }

  /** @internal the subscription's view of the store. */
  async headNumber(): Promise<number> {
    const row = await this.reader.get<{ head: number | null }>('SELECT max(position) AS head FROM events');
    return row?.head ?? 0;
  }

  /** @internal events in (after, upTo], oldest first, matching the filter. */
  async readRange(after: number, upTo: number, filter: EventFilter | undefined, limit: number): Promise<StoredEvent[]> {
    const where = filterSql(filter);
    where.clauses.unshift('position > ?', 'position <= ?');
    const rows = await this.reader.all<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events ${whereSql(where.clauses)} ORDER BY position ASC LIMIT ?`,
      [after, upTo, ...where.params, limit],
    );
    return rows.map(toStoredEvent);
  }

  /** @internal */
  get signal(): CommitSignal {
    return this.commits;
  }

  /** @internal */
  get pollInterval(): number {
    return this.pollIntervalMs;
  }

  /** @internal */
  forget(subscription: SqliteSubscription): void {
    this.subscriptions.delete(subscription);
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_GROUP);
        if (group.length === 1) await this.commitAlone(group[0]);
        else await this.commitGroup(group);
        this.commits.bump();
      }
    } finally {
      this.writing = false;
    }
  }

  private async commitAlone(job: AppendJob): Promise<void> {
    let attempt: Attempt;
    try {
      attempt = await this.tryInsert(job);
    } catch (error) {
      this.heads.delete(job.stream);
      return job.reject(error);
    }
    await this.settle(job, attempt);
  }

  private async commitGroup(group: AppendJob[]): Promise<void> {
    const attempts: Attempt[] = [];
    try {
      await this.writer.exec('BEGIN IMMEDIATE');
      // A refused insert (constraint) undoes only its own statement; the others stand.
      for (const job of group) attempts.push(await this.tryInsert(job));
      await this.writer.exec('COMMIT');
    } catch {
      // An I/O or lock error may already have rolled the transaction back: make sure,
      // forget the heads it may have cached, and give every append its own transaction.
      await this.writer.exec('ROLLBACK').catch(() => undefined);
      this.heads.clear();
      for (const job of group) await this.commitAlone(job);
      return;
    }
    for (const [index, job] of group.entries()) await this.settle(job, attempts[index]);
  }

  /**
   * One INSERT of the batch at revisions counted from where the writer expects the
   * stream, which the constraints accept or refuse whole. For `any` and `stream_exists`
   * the head comes from a cache that only another process can make stale; a stale head
   * is refused by the (stream, revision) constraint and retried on a fresh one.
   */
  private async tryInsert(job: AppendJob): Promise<Attempt> {
    const { stream, events, expected } = job;
    let base: number;
    if (expected === 'any' || expected === 'stream_exists') {
      base = await this.head(stream);
      if (expected === 'stream_exists' && base < 0) return { refused: 'no_stream' };
    } else {
      base = expected === 'no_stream' ? -1 : Number(expected);
    }
    const now = this.now().getTime();
    try {
      const { lastID } = await this.writer.run(
        `INSERT INTO events (stream, revision, event_id, type, data, metadata, recorded_at) VALUES ${rowsSql(events.length)}`,
        events.flatMap((e, i) => [stream, base + 1 + i, e.id, e.type, e.dataJson, e.metadataJson, now]),
      );
      const revision = base + events.length;
      this.heads.set(stream, revision);
      if (this.heads.size > HEAD_CACHE) this.heads.delete(this.heads.keys().next().value as string);
      return { revision, position: lastID };
    } catch (error) {
      const refused = refusal(error);
      if (!refused) throw error;
      this.heads.delete(stream);
      return { refused };
    }
  }

  /** The stream's last revision, -1 when it has none; read inside the writer's transaction. */
  private async head(stream: string): Promise<number> {
    const cached = this.heads.get(stream);
    if (cached !== undefined) return cached;
    const row = await this.writer.get<{ rev: number | null }>(
      'SELECT max(revision) AS rev FROM events WHERE stream = ?',
      [stream],
    );
    return row?.rev ?? -1;
  }

  /** Answers an append once its transaction is over: written, retried, repeated, or refused. */
  private async settle(job: AppendJob, attempt: Attempt): Promise<void> {
    if (!('refused' in attempt)) {
      return job.resolve({ nextExpectedRevision: BigInt(attempt.revision), position: BigInt(attempt.position) });
    }
    const unchecked = job.expected === 'any' || job.expected === 'stream_exists';
    if (unchecked && attempt.refused === 'revision' && ++job.retries <= MAX_RETRIES) {
      this.queue.unshift(job); // another process moved the stream: count again from its head
      return;
    }
    try {
      job.resolve(await this.repeatedOrConflict(job));
    } catch (error) {
      job.reject(error);
    }
  }

  /** A refused append is either an exact repeat of stored events (idempotent) or a conflict. */
  private async repeatedOrConflict({ stream, events, expected }: AppendJob): Promise<AppendResult> {
    const head = await this.reader.get<{ rev: number | null }>(
      'SELECT max(revision) AS rev FROM events WHERE stream = ?',
      [stream],
    );
    const current = head?.rev ?? -1;
    const conflict = () => new ConcurrencyError(stream, expected, current < 0 ? 'no_stream' : BigInt(current));

    if (expected === 'any' || expected === 'stream_exists') {
      if (current < 0) throw conflict();
      const stored = await this.reader.all<{ event_id: string; revision: number; position: number }>(
        `SELECT event_id, revision, position FROM events
         WHERE stream = ? AND event_id IN (${events.map(() => '?').join(', ')})`,
        [stream, ...events.map((e) => e.id)],
      );
      const byId = new Map(stored.map((row) => [row.event_id, row]));
      const last = byId.get(events[events.length - 1].id);
      if (!last || !events.every((e) => byId.has(e.id))) throw conflict();
      return { nextExpectedRevision: BigInt(last.revision), position: BigInt(last.position) };
    }

    const base = expected === 'no_stream' ? -1 : Number(expected);
    if (current > base) {
      const stored = await this.reader.all<{ event_id: string; position: number }>(
        'SELECT event_id, position FROM events WHERE stream = ? AND revision > ? ORDER BY revision ASC LIMIT ?',
        [stream, base, events.length],
      );
      if (stored.length === events.length && stored.every((row, i) => row.event_id === events[i].id)) {
        return {
          nextExpectedRevision: BigInt(base + events.length),
          position: BigInt(stored[stored.length - 1].position),
        };
      }
    }
    if (current === base) {
      // The stream is where the writer expected: what refused the batch is an id it already holds.
      throw new InvalidAppendError('An event id of this append is already in the stream, at another revision.', {
        stream,
      });
    }
    throw conflict();
  }
}

/** Why the constraints refused an insert, or `undefined` for any other error. */
function refusal(error: unknown): Refusal | undefined {
  // Duck-typed: errors from the native module may come from another realm (under jest).
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'SQLITE_CONSTRAINT' || typeof message !== 'string') return undefined;
  if (message.includes('events.stream, events.event_id')) return 'event_id';
  if (message.includes('events.stream, events.revision')) return 'revision';
  if (message.includes('events: revision gap')) return 'gap';
  return undefined;
}

const rowsSqlCache = new Map<number, string>();
function rowsSql(count: number): string {
  let sql = rowsSqlCache.get(count);
  if (!sql) {
    sql = Array.from({ length: count }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ');
    rowsSqlCache.set(count, sql);
  }
  return sql;
}

/**
 * Reads the log in batches from the last delivered position: the same query serves the
 * catch-up and the live phase, so the handoff can neither skip nor repeat an event.
 * Positions are committed in order under SQLite's single write lock, so everything up to
 * the head seen in a snapshot is final.
 */
class SqliteSubscription implements EventSubscription {
  private closed = false;
  private iterated = false;

  constructor(
    private readonly store: SqliteEventStore,
    private readonly from: 'start' | 'end' | bigint,
    private readonly filter: EventFilter | undefined,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    if (this.iterated) throw new Error('A subscription can be iterated once');
    this.iterated = true;
    return this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.store.forget(this);
    this.store.signal.wakeAll();
  }

  private async *run(): AsyncGenerator<StoredEvent> {
    try {
      let after =
        this.from === 'start' ? 0 : this.from === 'end' ? await this.store.headNumber() : Number(this.from);
      while (!this.closed) {
        const seen = this.store.signal.version;
        const head = await this.store.headNumber();
        if (head > after) {
          const batch = await this.store.readRange(after, head, this.filter, SUBSCRIPTION_BATCH);
          for (const event of batch) {
            if (this.closed) return;
            yield event;
          }
          // A short batch means nothing else matched up to the head: skip past it.
          after = batch.length === SUBSCRIPTION_BATCH ? Number(batch[batch.length - 1].position) : head;
          continue;
        }
        await this.store.signal.waitForChange(seen, this.store.pollInterval);
      }
    } catch (error) {
      // A read cut short by closing the store ends the iteration; anything else is the consumer's to see.
      if (!this.closed) throw error;
    } finally {
      this.closed = true;
      this.store.forget(this);
    }
  }
}

function filterSql(filter: EventFilter | undefined): { clauses: string[]; params: Array<string | number> } {
  const clauses: string[] = [];
  const params: string[] = [];
  for (const [column, prefixes] of [
    ['stream', filter?.streamPrefixes],
    ['type', filter?.eventTypePrefixes],
  ] as const) {
    if (!prefixes?.length) continue;
    clauses.push(`(${prefixes.map(() => `instr(${column}, ?) = 1`).join(' OR ')})`);
    params.push(...prefixes);
  }
  return { clauses, params };
}

function whereSql(clauses: string[]): string {
  return clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row.event_id,
    type: row.type,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
    stream: row.stream,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    recordedAt: new Date(row.recorded_at),
  };
}
