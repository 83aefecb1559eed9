import { Decider, Message } from '../domain/decider';

/** A decider bound to its stream category and its events' schema versions. */
export interface Aggregate<S, C extends Message, E extends Message> {
  /** Streams are `<category>-<id>` (so EventStoreDB's `$ce-<category>` works). */
  category: string;
  decider: Decider<S, C, E>;
  schemaVersions: Readonly<Record<E['type'], number>>;
}

export const streamOf = (aggregate: Pick<Aggregate<never, never, never>, 'category'>, id: string): string =>
  `${aggregate.category}-${id}`;
