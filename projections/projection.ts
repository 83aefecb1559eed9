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

/**
 * Writes rows in one statement, whatever their number: the rows go as one JSON parameter
 * (an array of arrays) that SQLite unpacks with `jsonb_each` (`upsert`: what follows
 * `ON CONFLICT …`, if any). Binding one text instead of thousands of parameters, and
 * preparing one short statement per batch, is what makes a rebuild fast; `jsonb_each`
 * hands each row over already parsed, so its columns are read without parsing it again
 * (`json_each` would, once per column). Columns are trusted names; values are JSON
 * scalars (strings, finite numbers, booleans as 0/1, null).
 */
export async function insertRows(
  tx: ProjectionTx,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<readonly unknown[]>,
  { verb = 'INSERT', upsert = '' }: { verb?: 'INSERT' | 'INSERT OR IGNORE'; upsert?: string } = {},
): Promise<void> {
  if (rows.length === 0) return;
  // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.
  await tx.manager.query(
    `${verb} INTO ${table} (${columns.join(', ')})
     SELECT ${columns.map((_, i) => `value ->> ${i}`).join(', ')} FROM jsonb_each(?) WHERE true ${upsert}`,
    [JSON.stringify(rows)],
  );
}

/** Rows whose `key` column is one of `keys`, in one statement. */
export async function selectByKeys<T>(tx: ProjectionTx, table: string, key: string, keys: readonly string[]): Promise<T[]> {
  if (keys.length === 0) return [];
  return (await tx.manager.query(`SELECT * FROM ${table} WHERE ${key} IN (SELECT value FROM json_each(?))`, [JSON.stringify(keys)])) as T[];
}
