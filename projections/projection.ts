import type { EntityManager } from 'typeorm';
import type { StoredEvent } from '../src/event-store/event-store.port';

/** What a projection writes with: the batch's transaction, and its tables for the version being built. */
export interface ProjectionTx {
  readonly manager: EntityManager;
  /** The physical name of one of the projection's tables (`tables`), for the version being written. */
  table(name: string): string;
}

/**
 * A read model fed by the log. The runner applies `handles` events in order, a batch per
 * transaction together with the checkpoint, so `apply` runs once per event and needs no
 * idempotence of its own. Bumping `version` rebuilds the read model from zero into fresh
 * tables (created by a migration: `<table>_v<version>`) while queries keep reading the
 * previous version, then switches over once caught up.
 */
export interface Projection {
  readonly name: string;
  readonly version: number;
  /** Logical table names; each exists as `<table>_v<version>`. */
  readonly tables: readonly string[];
  /** Event types applied; the others only move the checkpoint. */
  readonly handles: readonly string[];
  apply(event: StoredEvent, tx: ProjectionTx): Promise<void>;
  /**
   * Optional: the same as `apply` on each event in turn, for a whole batch at once (a few
   * multi-row statements instead of one round trip per event). The runner uses it when
   * present; if it throws, it applies the batch one event at a time to find the one at fault.
   */
  applyBatch?(events: readonly StoredEvent[], tx: ProjectionTx): Promise<void>;
}

/** DI token of the list of projections the runners feed. */
export const PROJECTIONS = Symbol('PROJECTIONS');

export const physicalTable = (table: string, version: number): string => `${table}_v${version}`;

/** Rows per multi-row statement: well under SQLite's limit of bound parameters. */
const ROWS_PER_STATEMENT = 200;

/**
 * Writes rows with multi-row INSERTs (`upsert`: what follows `ON CONFLICT …`, if any).
 * Columns are trusted names, values are bound.
 */
export async function insertRows(
  tx: ProjectionTx,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<readonly unknown[]>,
  { verb = 'INSERT', upsert = '' }: { verb?: 'INSERT' | 'INSERT OR IGNORE'; upsert?: string } = {},
): Promise<void> {
  const one = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    await tx.manager.query(
      `${verb} INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => one).join(', ')} ${upsert}`,
      chunk.flat(),
    );
  }
}

/** Rows whose `key` column is one of `keys`, a chunk at a time. */
export async function selectByKeys<T>(tx: ProjectionTx, table: string, key: string, keys: readonly string[]): Promise<T[]> {
  const rows: T[] = [];
  for (let i = 0; i < keys.length; i += ROWS_PER_STATEMENT) {
    const chunk = keys.slice(i, i + ROWS_PER_STATEMENT);
    rows.push(...((await tx.manager.query(`SELECT * FROM ${table} WHERE ${key} IN (${chunk.map(() => '?').join(', ')})`, chunk)) as T[]));
  }
  return rows;
}
