import { createHash } from 'node:crypto';
import { SqliteConnection } from '../../event-store/sqlite/sqlite-connection';

/**
 * A stream folded up to a revision: what the command executor starts from instead of the
 * stream's first event. `ids` are every event id up to there (a command whose derived ids
 * are among them ran before), `lastEventId` the event at `revision` (a snapshot of another
 * log, say a store replaced under the same DATA_DIR, is recognised and ignored).
 */
export interface Snapshot {
  revision: bigint;
  lastEventId: string;
  state: unknown;
  ids: readonly string[];
}

/**
 * Where folded states are kept between processes: a cache, never a source of truth. A
 * snapshot is only valid for the code that folded it: `version` names the aggregate's
 * fold (its event schema versions and its `snapshotVersion`), and a snapshot of another
 * version is never read.
 */
export abstract class SnapshotStore {
  abstract load(stream: string, version: string): Promise<Snapshot | null>;
  abstract save(stream: string, version: string, snapshot: Snapshot): Promise<void>;
  /** Drops the stream's snapshot if it is still the one ending at `lastEventId` (found not to match the log). */
  abstract discard(stream: string, version: string, lastEventId: string): Promise<void>;
  abstract close(): Promise<void>;
}

/** The version of an aggregate's fold, for its snapshots: bumping either part invalidates them all. */
export function foldVersion(schemaVersions: Readonly<Record<string, number>>, snapshotVersion: number): string {
  const types = Object.keys(schemaVersions).sort().map((type) => `${type}@${schemaVersions[type]}`);
  return `${snapshotVersion}:${createHash('sha256').update(types.join(',')).digest('hex').slice(0, 16)}`;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS snapshots (
    stream        TEXT NOT NULL,
    version       TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    last_event_id TEXT NOT NULL,
    body          TEXT NOT NULL,
    saved_at      INTEGER NOT NULL,
    PRIMARY KEY (stream, version)
  ) STRICT;
`;

/**
 * Snapshots in `DATA_DIR/snapshots.sqlite` (WAL, synchronous NORMAL: one lost with the
 * machine is only folded again). Several processes on one DATA_DIR share it; a snapshot
 * never replaces a later one.
 */
export class SqliteSnapshotStore extends SnapshotStore {
  private constructor(private readonly db: SqliteConnection) {
    super();
  }

  static async open(file: string): Promise<SqliteSnapshotStore> {
    return new SqliteSnapshotStore(await SqliteConnection.openState(file, SCHEMA));
  }

  async load(stream: string, version: string): Promise<Snapshot | null> {
    const row = await this.db.serial(() =>
      this.db.get<{ revision: number; last_event_id: string; body: string }>(
        'SELECT revision, last_event_id, body FROM snapshots WHERE stream = ? AND version = ?',
        [stream, version],
      ),
    );
    if (!row) return null;
    const { state, ids } = JSON.parse(row.body) as { state: unknown; ids: string[] };
    return { revision: BigInt(row.revision), lastEventId: row.last_event_id, state, ids };
  }

  async save(stream: string, version: string, snapshot: Snapshot): Promise<void> {
    const body = JSON.stringify({ state: snapshot.state, ids: snapshot.ids });
    await this.db.serial(() =>
      this.db.run(
        `INSERT INTO snapshots (stream, version, revision, last_event_id, body, saved_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (stream, version) DO UPDATE SET revision = excluded.revision, last_event_id = excluded.last_event_id,
           body = excluded.body, saved_at = excluded.saved_at
         WHERE excluded.revision > snapshots.revision`,
        [stream, version, Number(snapshot.revision), snapshot.lastEventId, body, Date.now()],
      ),
    );
  }

  async discard(stream: string, version: string, lastEventId: string): Promise<void> {
    await this.db.serial(() =>
      this.db.run('DELETE FROM snapshots WHERE stream = ? AND version = ? AND last_event_id = ?', [stream, version, lastEventId]),
    );
  }

  close(): Promise<void> {
    return this.db.serial(() => this.db.close());
  }
}
