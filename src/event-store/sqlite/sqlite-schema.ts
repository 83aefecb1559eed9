import { SqliteConnection } from './sqlite-connection';

/**
 * The log is one table. `position` is the rowid: SQLite gives each insert max(rowid)+1
 * under the single write lock, and we never delete, so positions are gapless and in
 * commit order. The database itself guards every stream: (stream, revision) is unique,
 * a revision needs its predecessor (no gap), and an event id appears once per stream.
 * An append is then a plain INSERT of precomputed revisions that the constraints accept
 * or refuse whole, whatever process wrote last.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     position    INTEGER PRIMARY KEY,
     stream      TEXT    NOT NULL,
     revision    INTEGER NOT NULL,
     event_id    TEXT    NOT NULL,
     type        TEXT    NOT NULL,
     data        TEXT    NOT NULL,
     metadata    TEXT    NOT NULL,
     recorded_at INTEGER NOT NULL
   ) STRICT;
   CREATE UNIQUE INDEX events_stream_revision ON events (stream, revision);
   CREATE UNIQUE INDEX events_stream_event_id ON events (stream, event_id);
   CREATE TRIGGER events_no_revision_gap BEFORE INSERT ON events
   WHEN NEW.revision > 0
    AND NOT EXISTS (SELECT 1 FROM events WHERE stream = NEW.stream AND revision = NEW.revision - 1)
   BEGIN SELECT RAISE(ABORT, 'events: revision gap'); END;`,
];

export type SynchronousLevel = 'FULL' | 'NORMAL';

/** Pragmas of the connection that writes. WAL is persistent in the file once set. */
export async function configureWriter(
  connection: SqliteConnection,
  { synchronous, busyTimeoutMs }: { synchronous: SynchronousLevel; busyTimeoutMs: number },
): Promise<void> {
  await connection.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  const [{ journal_mode: mode }] = await connection.all<{ journal_mode: string }>('PRAGMA journal_mode = WAL');
  if (mode !== 'wal') throw new Error(`The event store needs WAL; SQLite answered journal_mode=${mode}`);
  await connection.exec(`PRAGMA synchronous = ${synchronous}; PRAGMA journal_size_limit = 67108864;`);
}

export async function configureReader(connection: SqliteConnection, busyTimeoutMs: number): Promise<void> {
  await connection.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}; PRAGMA query_only = 1;`);
}

/** Applies the migrations this file has not seen, each in its own transaction. */
export async function migrate(connection: SqliteConnection): Promise<void> {
  await connection.exec('BEGIN IMMEDIATE');
  try {
    const [{ user_version: version }] = await connection.all<{ user_version: number }>('PRAGMA user_version');
    if (version > MIGRATIONS.length) {
      throw new Error(`The event store file is at schema ${version}, newer than this build (${MIGRATIONS.length})`);
    }
    for (let next = version; next < MIGRATIONS.length; next++) {
      await connection.exec(MIGRATIONS[next]);
      await connection.exec(`PRAGMA user_version = ${next + 1}`);
    }
    await connection.exec('COMMIT');
  } catch (error) {
    await connection.exec('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
