import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { EventFilter, EventStore, StoredEvent, UnreadableEventError } from '../src/event-store/event-store.port';
import { runWithLogContext } from '../src/shared/logging/log-context';
import { physicalTable, Projection, ProjectionTx } from './projection';

/** The streams read models are built from. */
export const PROJECTED_STREAMS: EventFilter = { streamPrefixes: ['addon-', 'app-', 'webhook-'] };
/** Events per read of the log; a batch is read in several. */
export const READ_PAGE = 500;

export interface ProjectionRunnerOptions {
  /** Events per transaction. */
  batchSize: number;
  /** How long an idle runner waits before looking at the log again (a `wake` cuts it short). */
  idleMs: number;
  /**
   * Optional last position to apply (inclusive): `step` applies no event past it, so
   * `catchUp` ends there. For replays compared with a checkpoint (`npm run projections -- check`).
   */
  until?: bigint;
}

export interface ProjectionStatus {
  name: string;
  version: number;
  /** `building`: a new version filling from zero while queries read the previous one. */
  status: 'building' | 'active';
  /** The last event applied (or passed over), as a string; null before the first. */
  position: string | null;
  parked: { position: string; error: string } | null;
}

/** An event `apply` refused: the projection parks on it rather than skip it or spin. */
class PoisonEvent extends Error {
  constructor(
    readonly event: StoredEvent,
    readonly cause: unknown,
  ) {
    super(`${event.type} at position ${event.position}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** A batch `applyBatch` refused as a whole: the runner then applies it one event at a time. */
class BatchRefused extends Error {
  constructor(readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Feeds one projection from its checkpoint: reads a page of the log, applies the events it
 * handles and moves the checkpoint in one transaction, so a crash never applies an event
 * twice nor loses one. A new `version` is built from zero into its own tables while
 * queries read the active one, and becomes active once caught up.
 */
export class ProjectionRunner {
  private readonly logger: Logger;
  private readonly handles: ReadonlySet<string>;
  private position: bigint | null = null;
  private status: 'building' | 'active' = 'active';
  private parked: { position: string; error: string } | null = null;
  /** Secondary indexes dropped while this version fills from zero, created once caught up. */
  private deferredIndexes: string[] = [];
  /** The next page, read while the current one is applied (only when behind the log). */
  private ahead: { after: bigint; page: Promise<StoredEvent[]> } | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(
    readonly projection: Projection,
    private readonly store: EventStore,
    private readonly db: DataSource,
    private readonly options: ProjectionRunnerOptions,
  ) {
    this.logger = new Logger(`Projection ${projection.name}`);
    this.handles = new Set(projection.handles);
  }

  /**
   * Loads (or creates) this version's checkpoint. The first version of a projection is
   * active at once; a later one starts building from zero beside the active one.
   */
  async prepare(): Promise<void> {
    const { name, version } = this.projection;
    await this.emptyRetired();
    const rows: CheckpointRow[] = await exclusive(this.db, () =>
      this.db.query(
        'SELECT status, position, parked_position, parked_error, deferred_indexes FROM projection_checkpoints WHERE name = ? AND version = ?',
        [name, version],
      ),
    );
    const row = rows[0];
    if (row && row.status !== 'retired') {
      this.status = row.status as 'building' | 'active';
      this.position = row.position === null ? null : BigInt(row.position);
      this.parked = row.parked_position ? { position: row.parked_position, error: row.parked_error ?? '' } : null;
      this.deferredIndexes = row.deferred_indexes ? (JSON.parse(row.deferred_indexes) as string[]) : [];
      return;
    }
    await this.fromZero('new');
    if (this.status === 'building') this.logger.log(`Building version ${version} from zero; queries read the active version meanwhile`);
  }

  /**
   * Empties this version's tables and sets its checkpoint before the first event, in one
   * transaction (`npm run projections -- rebuild`). It keeps its status: an active version
   * is rebuilt in place, a building one goes on building.
   */
  async rebuildFromZero(): Promise<void> {
    await this.fromZero('keep');
  }

  /**
   * Resets this version to the start of the log: no rows, no checkpoint, not parked, and
   * its tables' secondary indexes dropped until it has caught up (their definitions kept
   * in the checkpoint row, so a crash in between restores them all the same).
   */
  private async fromZero(status: 'new' | 'keep'): Promise<void> {
    const { name, version, tables } = this.projection;
    await exclusive(this.db, () => this.db.transaction(async (manager) => {
      if (status === 'new') {
        const active: unknown[] = await manager.query(`SELECT 1 FROM projection_checkpoints WHERE name = ? AND status = 'active'`, [name]);
        this.status = active.length > 0 ? 'building' : 'active';
      }
      const physical = tables.map((table) => physicalTable(table, version));
      const indexes: Array<{ name: string; sql: string }> = await manager.query(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
         AND tbl_name IN (${physical.map(() => '?').join(', ')}) ORDER BY name`,
        physical,
      );
      for (const index of indexes) await manager.query(`DROP INDEX ${index.name}`);
      // A reset while indexes were still deferred keeps their definitions.
      const deferred = [...new Set([...this.deferredIndexes, ...indexes.map((index) => index.sql)])];
      for (const table of physical) await manager.query(`DELETE FROM ${table}`);
      await manager.query(
        `INSERT INTO projection_checkpoints (name, version, status, position, deferred_indexes, updated_at) VALUES (?, ?, ?, NULL, ?, ?)
         ON CONFLICT (name, version) DO UPDATE SET status = excluded.status, position = NULL,
           parked_position = NULL, parked_error = NULL, deferred_indexes = excluded.deferred_indexes, updated_at = excluded.updated_at`,
        [name, version, this.status, deferred.length > 0 ? JSON.stringify(deferred) : null, new Date().toISOString()],
      );
      this.deferredIndexes = deferred;
    }));
    this.position = null;
    this.parked = null;
    this.ahead = undefined;
  }

  /** Caught up: creates the indexes deferred while filling from zero (a sort each), in one transaction. */
  private async restoreIndexes(): Promise<void> {
    if (this.deferredIndexes.length === 0) return;
    const started = Date.now();
    await exclusive(this.db, () => this.db.transaction(async (manager) => {
      for (const sql of this.deferredIndexes) await manager.query(sql);
      await manager.query('UPDATE projection_checkpoints SET deferred_indexes = NULL, updated_at = ? WHERE name = ? AND version = ?', [
        new Date().toISOString(),
        this.projection.name,
        this.projection.version,
      ]);
    }));
    this.logger.log(`Caught up: created ${this.deferredIndexes.length} index(es) in ${Date.now() - started} ms`);
    this.deferredIndexes = [];
  }

  /** Empties the tables of versions replaced by a newer one (kept until now for the queries reading them). */
  private async emptyRetired(): Promise<void> {
    const { name, version, tables } = this.projection;
    const retired: Array<{ version: number }> = await exclusive(this.db, () =>
      this.db.query(`SELECT version FROM projection_checkpoints WHERE name = ? AND status = 'retired' AND version != ?`, [name, version]),
    );
    for (const { version: old } of retired) {
      for (const table of tables) {
        await exclusive(this.db, () => this.db.query(`DELETE FROM ${physicalTable(table, old)}`)).catch(() => undefined);
      }
    }
  }

  /** Runs in the background until `stop`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    // A batch mixes the events of many requests: its lines carry the projection's own id.
    this.loop = runWithLogContext({ correlationId: `projection:${this.projection.name}` }, async () => {
      while (this.running) {
        let read = 0;
        try {
          read = await this.step();
        } catch (error) {
          this.logger.error(`Could not apply a batch, trying again: ${describe(error)}`);
        }
        if (read === 0 && this.running) await this.idle();
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    const ahead = this.ahead;
    this.ahead = undefined;
    await ahead?.page.catch(() => undefined);
  }

  /** Cuts an idle wait short: new events are likely there. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Applies everything up to the log's head now; answers how many events were read. */
  async catchUp(): Promise<number> {
    let total = 0;
    for (;;) {
      const read = await this.step();
      if (read === 0) return total;
      total += read;
    }
  }

  get state(): ProjectionStatus {
    const { name, version } = this.projection;
    return { name, version, status: this.status, position: this.position?.toString() ?? null, parked: this.parked };
  }

  /** Applies the event it is parked on again (after a fix), then goes on. */
  async retry(): Promise<void> {
    await this.unpark();
    this.wake();
  }

  /** Passes over the event it is parked on (moves the checkpoint past it), then goes on. */
  async skip(): Promise<void> {
    if (!this.parked) return;
    const position = BigInt(this.parked.position);
    this.logger.warn(`Skipping the event at position ${position}: ${this.parked.error}`);
    await exclusive(this.db, () => this.db.transaction(async (manager) => {
      await this.saveCheckpoint(manager, position);
    }));
    this.position = position;
    await this.unpark();
    this.wake();
  }

  /** One page: answers the number of events read (0 when caught up or parked). */
  private async step(): Promise<number> {
    if (this.parked) return 0;
    const from = this.position;
    const until = this.options.until;
    if (until !== undefined && from !== null && from >= until) {
      await this.restoreIndexes();
      return 0;
    }
    let page: StoredEvent[];
    try {
      page = await this.nextPage(from);
    } catch (error) {
      if (!(error instanceof UnreadableEventError)) throw error;
      // The checkpoint's own event, skipped by an admin: read past it, not from it.
      if (from !== null && error.position === from) page = await this.readPast(from);
      else return this.upTo(error);
      if (this.parked) return 0;
    }
    const events = until === undefined ? page : page.filter((e) => e.position <= until);
    if (events.length === 0) {
      await this.restoreIndexes();
      // A replay stopped at `until` is not caught up: it does not become the active version.
      if (this.status === 'building' && until === undefined) await this.switchOver();
      return 0;
    }
    const last = events[events.length - 1].position;
    // Behind the log (a full batch): read the next one while this one is applied.
    if (events.length >= this.options.batchSize && (until === undefined || last < until)) {
      const next = this.read(last);
      next.catch(() => undefined); // awaited, or discarded, later
      this.ahead = { after: last, page: next };
    }
    try {
      await this.applyAll(events);
    } catch (error) {
      if (error instanceof PoisonEvent) {
        // Apply what comes before the poison event, then park on it.
        const before = events.filter((e) => e.position < error.event.position);
        if (before.length > 0) await this.applyAll(before);
        await this.park(error.event, error.cause);
        return before.length;
      }
      if (!(error instanceof BatchRefused)) throw error;
      // The batch was refused as a whole: one event per transaction finds the one at fault.
      for (const [index, event] of events.entries()) {
        try {
          await this.applyAll([event]);
        } catch (single) {
          if (!(single instanceof PoisonEvent)) throw single;
          await this.park(single.event, single.cause);
          return index;
        }
      }
    }
    return events.length;
  }

  /**
   * Up to `batchSize` events after `from`, read in pages of at most READ_PAGE: between two
   * pages the event loop is free to drive the batch being written meanwhile (a page of
   * thousands parsed at once would hold it up).
   */
  private async read(from: bigint | null): Promise<StoredEvent[]> {
    const { batchSize, until } = this.options;
    const events: StoredEvent[] = [];
    let after = from;
    while (events.length < batchSize) {
      const want = Math.min(READ_PAGE, batchSize - events.length);
      // Bounds are inclusive: a page from `after` starts with that event itself, dropped here.
      const page = await this.store.readAll({ fromPosition: after ?? 'start', maxCount: want + (after === null ? 0 : 1), filter: PROJECTED_STREAMS });
      const fresh = after === null ? page : page.filter((e) => e.position > after!);
      events.push(...fresh);
      if (fresh.length < want) break;
      after = fresh[fresh.length - 1].position;
      if (until !== undefined && after >= until) break;
    }
    return events;
  }

  /** The batch read ahead when it starts where the checkpoint is and holds events; else a fresh read. */
  private async nextPage(from: bigint | null): Promise<StoredEvent[]> {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead && from !== null && ahead.after === from) {
      const page = await ahead.page.catch(() => null);
      // Empty (events may have come since) or failed: read again.
      if (page && page.length > 0) return page;
    }
    return this.read(from);
  }

  /**
   * Up to a batch of the events strictly after `from`, when the event at `from` cannot be
   * read (reads include their start): through a subscription, whose start is exclusive,
   * taking what comes until it pauses. Only after a skip of such an event.
   */
  private async readPast(from: bigint): Promise<StoredEvent[]> {
    const subscription = this.store.subscribeToAll({ fromPosition: from, filter: PROJECTED_STREAMS });
    const events: StoredEvent[] = [];
    const iterator = subscription[Symbol.asyncIterator]();
    try {
      while (events.length < this.options.batchSize) {
        let timer: NodeJS.Timeout | undefined;
        const paused = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 50)));
        const next = await Promise.race([iterator.next(), paused]);
        clearTimeout(timer);
        if (next === null || next.done) break;
        events.push(next.value);
      }
    } catch (error) {
      if (!(error instanceof UnreadableEventError)) throw error;
      // The next one cannot be read either: what came before it is applied first, then the runner parks on it.
      if (events.length === 0) await this.park({ position: error.position, type: error.type }, error.message);
    } finally {
      await subscription.close();
    }
    return events;
  }

  /**
   * A page held an event this build cannot read: applies the events before it one at a
   * time, then parks on it (a retry after an upgrade that can read it goes on; a skip
   * passes over that event only). Answers how many were applied.
   */
  private async upTo(unreadable: UnreadableEventError): Promise<number> {
    let applied = 0;
    for (;;) {
      const from = this.position;
      let page: StoredEvent[];
      try {
        page = await this.store.readAll({ fromPosition: from ?? 'start', maxCount: from === null ? 1 : 2, filter: PROJECTED_STREAMS });
      } catch (error) {
        if (!(error instanceof UnreadableEventError)) throw error;
        await this.park({ position: error.position, type: error.type }, error.message);
        return applied;
      }
      const next = page.filter((e) => from === null || e.position > from);
      if (next.length === 0 || next[0].position >= unreadable.position) {
        // Read fine this time (the store was fixed meanwhile): the next step goes on as usual.
        return applied;
      }
      await this.applyAll(next);
      applied += next.length;
    }
  }

  private async applyAll(events: readonly StoredEvent[]): Promise<void> {
    const version = this.projection.version;
    await exclusive(this.db, () => this.db.transaction(async (manager) => {
      const tx: ProjectionTx = { manager, table: (table) => physicalTable(table, version) };
      const handled = events.filter((event) => this.handles.has(event.type));
      if (this.projection.applyBatch && handled.length > 0) {
        try {
          await this.projection.applyBatch(handled, tx);
        } catch (error) {
          throw handled.length === 1 ? new PoisonEvent(handled[0], error) : new BatchRefused(error);
        }
      } else {
        for (const event of handled) {
          try {
            await this.projection.apply(event, tx);
          } catch (error) {
            throw new PoisonEvent(event, error);
          }
        }
      }
      await this.saveCheckpoint(manager, events[events.length - 1].position);
    }));
    this.position = events[events.length - 1].position;
  }

  private async saveCheckpoint(manager: ProjectionTx['manager'], position: bigint): Promise<void> {
    await manager.query('UPDATE projection_checkpoints SET position = ?, updated_at = ? WHERE name = ? AND version = ?', [
      position.toString(),
      new Date().toISOString(),
      this.projection.name,
      this.projection.version,
    ]);
  }

  private async park(event: Pick<StoredEvent, 'position' | 'type'>, cause: unknown): Promise<void> {
    const error = (typeof cause === 'string' ? cause : describe(cause)).slice(0, 1000);
    this.parked = { position: event.position.toString(), error };
    this.logger.error(`Parked at position ${event.position} (${event.type}): ${error}`);
    const parked = this.parked;
    await exclusive(this.db, () =>
      this.db.query('UPDATE projection_checkpoints SET parked_position = ?, parked_error = ?, updated_at = ? WHERE name = ? AND version = ?', [
        parked.position,
        error,
        new Date().toISOString(),
        this.projection.name,
        this.projection.version,
      ]),
    );
  }

  private async unpark(): Promise<void> {
    this.parked = null;
    await exclusive(this.db, () =>
      this.db.query(
        'UPDATE projection_checkpoints SET parked_position = NULL, parked_error = NULL, updated_at = ? WHERE name = ? AND version = ?',
        [new Date().toISOString(), this.projection.name, this.projection.version],
      ),
    );
  }

  /**
   * Caught up: this version becomes the one queries read. The previous one's rows stay
   * until the next start (a query may still be reading them); `prepare` empties them.
   */
  private async switchOver(): Promise<void> {
    const { name, version, tables } = this.projection;
    await exclusive(this.db, () => this.db.transaction(async (manager) => {
      await manager.query(`UPDATE projection_checkpoints SET status = 'retired', updated_at = ? WHERE name = ? AND status = 'active'`, [
        new Date().toISOString(),
        name,
      ]);
      await manager.query(`UPDATE projection_checkpoints SET status = 'active', updated_at = ? WHERE name = ? AND version = ?`, [
        new Date().toISOString(),
        name,
        version,
      ]);
    }));
    this.status = 'active';
    this.logger.log(`Version ${version} caught up: queries read it now`);
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.idleMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = undefined;
        resolve();
      }
      this.wakeUp = done;
    });
  }
}

/**
 * One write transaction at a time per read store: TypeORM's sqlite driver runs every
 * transaction on the one connection, so two at once would interleave (one's COMMIT
 * taking the other's half-done batch).
 */
const locks = new WeakMap<DataSource, Promise<unknown>>();
async function exclusive<T>(db: DataSource, work: () => Promise<T>): Promise<T> {
  const previous = locks.get(db) ?? Promise.resolve();
  const run = previous.then(work, work);
  locks.set(db, run.catch(() => undefined));
  return run;
}

interface CheckpointRow {
  status: string;
  position: string | null;
  parked_position: string | null;
  parked_error: string | null;
  deferred_indexes: string | null;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
