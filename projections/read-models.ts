import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../src/config/app-config';
import { EventStore } from '../src/event-store/event-store.port';
import { DomainError } from '../src/shared/domain/domain-error';
import { physicalTable, Projection, PROJECTIONS } from './projection';
import { PROJECTED_STREAMS, type ProjectionRunner, type ProjectionStatus } from './projection-runner';

/** DI token of the read store's TypeORM DataSource for queries. */
export const READ_STORE = Symbol('READ_STORE');
/** DI token of the DataSource the projections write with. */
export const READ_STORE_WRITER = Symbol('READ_STORE_WRITER');

/**
 * What queries use: the read store, the tables of each projection's active version, and
 * the wait for `min_position` (read-your-writes).
 */
@Injectable()
export class ReadModels {
  runners: ProjectionRunner[] = [];

  constructor(
    @Inject(READ_STORE) readonly db: DataSource,
    @Inject(PROJECTIONS) private readonly projections: readonly Projection[],
    private readonly store: EventStore,
    private readonly config: AppConfig,
  ) {}

  /**
   * Read-your-writes for a query about `streams` (or `all` of them): waits until the read
   * models hold every event those streams had when the query came, and `min_position` (a write's
   * `X-Event-Position`) when given. Bounded by READ_WAIT_MS.
   */
  async upToDate(streams: readonly string[] | 'all', minPosition?: string): Promise<void> {
    let target = parsePosition(minPosition);
    if (streams === 'all') {
      // The last event the read models follow (not the log's head: other streams do not move their checkpoints).
      const [last] = await this.store.readAll({ direction: 'backwards', maxCount: 1, filter: PROJECTED_STREAMS });
      if (last && (target === null || last.position > target)) target = last.position;
      streams = [];
    }
    for (const stream of streams) {
      const [last] = await this.store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      if (last && (target === null || last.position > target)) target = last.position;
    }
    if (target !== null) await this.waitFor(target, this.config.readModels.waitMs);
  }

  /** The physical name of a projection's table, in the version queries read. */
  async table(projection: string, table: string): Promise<string> {
    const [row]: Array<{ version: number }> = await this.db.query(
      `SELECT version FROM projection_checkpoints WHERE name = ? AND status = 'active'`,
      [projection],
    );
    const version = row?.version ?? this.projections.find((p) => p.name === projection)?.version;
    if (version === undefined) throw new Error(`No projection named ${projection}`);
    return physicalTable(table, version);
  }

  /** The log's head and each projection version with how far behind it is (in positions). */
  async overview() {
    const [statuses, head] = await Promise.all([this.statuses(), this.store.headPosition().catch(() => null)]);
    return {
      log_head: head?.toString() ?? null,
      projections: statuses.map((p) => ({
        ...p,
        lag: head === null ? null : (head - (p.position === null ? 0n : BigInt(p.position))).toString(),
      })),
    };
  }

  /** Each projection version: active or building, its checkpoint, where it is parked. */
  async statuses(): Promise<ProjectionStatus[]> {
    const rows: Array<{ name: string; version: number; status: 'building' | 'active'; position: string | null; parked_position: string | null; parked_error: string | null }> =
      await this.db.query(`SELECT name, version, status, position, parked_position, parked_error FROM projection_checkpoints WHERE status != 'retired' ORDER BY name, version`);
    return rows.map((row) => ({
      name: row.name,
      version: row.version,
      status: row.status,
      position: row.position,
      parked: row.parked_position ? { position: row.parked_position, error: row.parked_error ?? '' } : null,
    }));
  }

  /**
   * Waits until every active read model has reached `position` (read-your-writes), at most
   * `waitMs`; then answers 503 READ_MODEL.BEHIND, so the client can try again.
   */
  async waitFor(position: bigint, waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const rows: Array<{ name: string; position: string | null }> = await this.db.query(
        `SELECT name, position FROM projection_checkpoints WHERE status = 'active'`,
      );
      const behind = rows.filter((r) => r.position === null || BigInt(r.position) < position);
      if (behind.length === 0 && rows.length > 0) return;
      if (Date.now() >= deadline) {
        throw new DomainError('READ_MODEL.BEHIND', `The read models have not reached position ${position} yet; try again shortly.`, {
          min_position: position.toString(),
          behind: behind.map((r) => ({ name: r.name, position: r.position })),
        });
      }
      for (const runner of this.runners) runner.wake();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** `min_position` as sent (a decimal string), or null when absent. */
function parsePosition(raw: string | undefined): bigint | null {
  if (raw === undefined || raw === '') return null;
  if (typeof raw !== 'string' || !/^\d{1,30}$/.test(raw)) {
    throw new DomainError('READ_MODEL.INVALID_POSITION', 'min_position must be a position as given in X-Event-Position (digits).');
  }
  return BigInt(raw);
}
