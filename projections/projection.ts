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
}

/** DI token of the list of projections the runners feed. */
export const PROJECTIONS = Symbol('PROJECTIONS');

export const physicalTable = (table: string, version: number): string => `${table}_v${version}`;
