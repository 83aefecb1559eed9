import * as sqlite3 from 'sqlite3';

export type SqlParams = ReadonlyArray<string | number | null | Buffer>;
export interface RunResult {
  changes: number;
  lastID: number;
}

/**
 * A promise face over one node-sqlite3 connection, with a cache of prepared statements
 * (each call through node-sqlite3 is a hop to the thread pool, so preparing once
 * matters). Statements run in submission order: the connection is in serialized mode.
 */
export class SqliteConnection {
  private readonly statements = new Map<string, sqlite3.Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  private closing?: Promise<void>;

  private constructor(private readonly db: sqlite3.Database) {}

  static open(file: string): Promise<SqliteConnection> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (error) => {
        if (error) return reject(error);
        db.serialize();
        resolve(new SqliteConnection(db));
      });
    });
  }

  /**
   * A process-local state file (runtime, outbox, idempotency records): WAL, so readers in
   * other processes never block it, a busy timeout for writers that do, `synchronous`
   * as given, and its schema (idempotent `CREATE … IF NOT EXISTS`).
   */
  static async openState(file: string, schema: string, synchronous: 'NORMAL' | 'FULL' = 'NORMAL'): Promise<SqliteConnection> {
    const db = await SqliteConnection.open(file);
    try {
      await db.exec('PRAGMA busy_timeout = 5000');
      await db.all('PRAGMA journal_mode = WAL');
      await db.exec(`PRAGMA synchronous = ${synchronous}`);
      await db.exec(schema);
      return db;
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  /**
   * Runs `work` alone on this connection: one unit of work at a time, so that a
   * transaction never takes in another caller's statements, nor rolls them back. Every
   * use of a connection that runs transactions goes through it.
   */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.refuseIfClosed();
      this.db.exec(sql, (error) => (error ? reject(error) : resolve()));
    });
  }

  run(sql: string, params: SqlParams = []): Promise<RunResult> {
    return new Promise((resolve, reject) =>
      this.statement(sql).run(params, function (this: sqlite3.RunResult, error: Error | null) {
        if (error) reject(error);
        else resolve({ changes: this.changes, lastID: this.lastID });
      }),
    );
  }

  all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return new Promise((resolve, reject) =>
      this.statement(sql).all(params, (error: Error | null, rows: T[]) => (error ? reject(error) : resolve(rows))),
    );
  }

  async get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    const rows = await this.all<T>(sql, params);
    return rows[0];
  }

  /** Closes once: a second call (an app closed twice) waits for the first. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    await Promise.all([...this.statements.values()].map((s) => new Promise<void>((r) => s.finalize(() => r()))));
    this.statements.clear();
    await new Promise<void>((resolve, reject) => this.db.close((error) => (error ? reject(error) : resolve())));
  }

  /** Prepared once per SQL text; the cache stays small because callers use a few shapes. */
  private statement(sql: string): sqlite3.Statement {
    this.refuseIfClosed();
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= 256) this.evictOldest();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Work asked of a connection once it is closing is refused (the promise rejects): given
   * to node-sqlite3, a statement prepared on a closed handle emits an `error` event
   * nobody listens to, which throws out of the process's event loop.
   */
  private refuseIfClosed(): void {
    if (this.closing) throw new Error('SQLITE_MISUSE: the connection is closed');
  }

  private evictOldest(): void {
    const [sql, statement] = this.statements.entries().next().value as [string, sqlite3.Statement];
    this.statements.delete(sql);
    statement.finalize();
  }
}
