import { Decider, Message } from '../domain/decider';
import type { Upcasters } from '../domain/upcasting';

/** A decider bound to its stream category, its events' schema versions and their upcasters. */
export interface Aggregate<S, C extends Message, E extends Message> {
  /** Streams are `<category>-<id>` (so EventStoreDB's `$ce-<category>` works). */
  category: string;
  decider: Decider<S, C, E>;
  /** The version each event is written at. */
  schemaVersions: Readonly<Record<E['type'], number>>;
  /** How its events stored at older versions are read as `schemaVersions` (built from the same table). */
  upcasters: Upcasters<E['type']>;
  /**
   * The version of `decider.evolve` for snapshots (default 1): bump it when the fold changes
   * what it makes of the same events, so that no snapshot of the old fold is read. A change
   * of an event schema version invalidates them by itself.
   */
  snapshotVersion?: number;
}

export const streamOf = (aggregate: Pick<Aggregate<never, never, never>, 'category'>, id: string): string =>
  `${aggregate.category}-${id}`;
