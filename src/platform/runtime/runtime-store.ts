import { SqliteConnection } from '../../event-store/sqlite/sqlite-connection';
import { CommandContext } from '../../shared/cqrs/command-context';
import { PlatformJob } from '../jobs/platform-job';

/** A job to store: its key makes storing it again a no-op (or a replacement, for timers). */
export interface JobSpec {
  key: string;
  job: PlatformJob;
  context: CommandContext;
  dueAt: Date;
}

/** A job claimed by a worker. `version` tells whether it was rescheduled while it ran. */
export interface ClaimedJob extends JobSpec {
  attempts: number;
  version: number;
}

export interface DeadJob {
  key: string;
  job: PlatformJob;
  attempts: number;
  lastError: string | null;
}

interface JobRow {
  key: string;
  payload: string;
  due_at: number;
  attempts: number;
  version: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS checkpoints (
    name       TEXT PRIMARY KEY,
    position   TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS jobs (
    key         TEXT PRIMARY KEY,
    payload     TEXT NOT NULL,
    due_at      INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL DEFAULT 1,
    state       TEXT NOT NULL DEFAULT 'pending',
    last_error  TEXT,
    lease_owner TEXT,
    lease_until INTEGER
  ) STRICT;
  CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, due_at);
`;

/**
 * What the platform runtime must not forget across a restart: how far each saga runner
 * read the log, and the jobs and timers still to do. One SQLite file in DATA_DIR, WAL,
 * synchronous NORMAL: a commit lost with the machine only replays events, whose jobs
 * are idempotent. Saga jobs and the checkpoint move in one transaction.
 */
export class RuntimeStore {
  private closing: Promise<void> | undefined;

  private constructor(private readonly db: SqliteConnection) {}

  static async open(file: string): Promise<RuntimeStore> {
    return new RuntimeStore(await SqliteConnection.openState(file, SCHEMA));
  }

  async checkpoint(name: string): Promise<bigint | null> {
    return this.db.serial(async () => {
      const row = await this.db.get<{ position: string }>('SELECT position FROM checkpoints WHERE name = ?', [name]);
      return row ? BigInt(row.position) : null;
    });
  }

  /**
   * Stores the jobs an event asked for and moves the checkpoint from `from` to `position`,
   * atomically. Answers false, storing nothing, when the checkpoint is no longer at `from`:
   * another process on the same DATA_DIR handled that event first.
   */
  async commit(name: string, from: bigint | null, position: bigint, jobs: readonly JobSpec[], now: Date): Promise<boolean> {
    return this.db.serial(async () => {
      await this.db.exec('BEGIN IMMEDIATE');
      try {
        const current = await this.db.get<{ position: string }>('SELECT position FROM checkpoints WHERE name = ?', [name]);
        if ((current ? BigInt(current.position) : null) !== from) {
          await this.db.exec('ROLLBACK');
          return false;
        }
        for (const spec of jobs) {
          await this.db.run('INSERT OR IGNORE INTO jobs (key, payload, due_at) VALUES (?, ?, ?)', [
            spec.key,
            payload(spec),
            spec.dueAt.getTime(),
          ]);
        }
        await this.db.run(
          `INSERT INTO checkpoints (name, position, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
          [name, position.toString(), now.getTime()],
        );
        await this.db.exec('COMMIT');
        return true;
      } catch (error) {
        await this.db.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /** Sets a timer: replaces the job under that key (its due time and payload), as pending. */
  async schedule(spec: JobSpec): Promise<void> {
    return this.db.serial(async () => {
      await this.db.run(
        `INSERT INTO jobs (key, payload, due_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET payload = excluded.payload, due_at = excluded.due_at, attempts = 0,
           version = version + 1, state = 'pending', last_error = NULL, lease_owner = NULL, lease_until = NULL`,
        [spec.key, payload(spec), spec.dueAt.getTime()],
      );
    });
  }

  async cancel(key: string): Promise<void> {
    return this.db.serial(async () => {
      await this.db.run('DELETE FROM jobs WHERE key = ?', [key]);
    });
  }

  /** Claims up to `limit` jobs due by `now` that nobody holds, for `leaseMs`. */
  async claimDue(now: Date, limit: number, owner: string, leaseMs: number): Promise<ClaimedJob[]> {
    return this.db.serial(async () => {
      if (limit <= 0) return [];
      const t = now.getTime();
      const rows = await this.db.all<JobRow>(
        `SELECT key, payload, due_at, attempts, version FROM jobs
         WHERE state = 'pending' AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
         ORDER BY due_at, key LIMIT ?`,
        [t, t, limit],
      );
      const claimed: ClaimedJob[] = [];
      for (const row of rows) {
        // Another worker (process) may have taken it since the select.
        const { changes } = await this.db.run(
          `UPDATE jobs SET lease_owner = ?, lease_until = ? WHERE key = ? AND version = ?
           AND (lease_until IS NULL OR lease_until <= ?)`,
          [owner, t + leaseMs, row.key, row.version, t],
        );
        if (changes === 1) claimed.push(toClaimed(row));
      }
      return claimed;
    });
  }

  /** Done: removed, unless it was rescheduled meanwhile (then only released). */
  async complete(job: ClaimedJob): Promise<void> {
    return this.db.serial(async () => {
      const { changes } = await this.db.run('DELETE FROM jobs WHERE key = ? AND version = ?', [job.key, job.version]);
      // Rescheduled while it ran: only released (inline, as this already runs alone).
      if (changes === 0) await this.db.run('UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE key = ?', [job.key]);
    });
  }

  /** Failed: tried again at `retryAt`, or parked as dead when there is none. */
  async fail(job: ClaimedJob, error: string, retryAt: Date | null): Promise<void> {
    return this.db.serial(async () => {
      await this.db.run(
        `UPDATE jobs SET attempts = attempts + 1, last_error = ?, lease_owner = NULL, lease_until = NULL,
           state = ?, due_at = coalesce(?, due_at) WHERE key = ? AND version = ?`,
        [error.slice(0, 1000), retryAt ? 'pending' : 'dead', retryAt?.getTime() ?? null, job.key, job.version],
      );
    });
  }

  async release(job: ClaimedJob): Promise<void> {
    return this.db.serial(async () => {
      await this.db.run('UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE key = ?', [job.key]);
    });
  }

  /** When the next pending job is due, leaving out those being run (`running` keys); null when none. */
  async nextDue(running: Iterable<string> = []): Promise<Date | null> {
    return this.db.serial(async () => {
      const keys = [...running];
      const row = await this.db.get<{ due: number | null }>(
        `SELECT min(due_at) AS due FROM jobs WHERE state = 'pending'
         AND key NOT IN (${keys.map(() => '?').join(', ')})`,
        keys,
      );
      return row?.due == null ? null : new Date(row.due);
    });
  }

  async counts(): Promise<{ pending: number; dead: number }> {
    return this.db.serial(async () => {
      const rows = await this.db.all<{ state: string; n: number }>('SELECT state, count(*) AS n FROM jobs GROUP BY state');
      const of = (state: string) => rows.find((r) => r.state === state)?.n ?? 0;
      return { pending: of('pending'), dead: of('dead') };
    });
  }

  async dead(): Promise<DeadJob[]> {
    return this.db.serial(async () => {
      const rows = await this.db.all<{ key: string; payload: string; attempts: number; last_error: string | null }>(
        `SELECT key, payload, attempts, last_error FROM jobs WHERE state = 'dead' ORDER BY key`,
      );
      return rows.map((row) => ({
        key: row.key,
        job: (JSON.parse(row.payload) as { job: PlatformJob }).job,
        attempts: row.attempts,
        lastError: row.last_error,
      }));
    });
  }

  /** The pending job stored under a key (timers), for tests and diagnostics. */
  async find(key: string): Promise<(JobSpec & { attempts: number }) | null> {
    return this.db.serial(async () => {
      const row = await this.db.get<JobRow>('SELECT key, payload, due_at, attempts, version FROM jobs WHERE key = ?', [key]);
      return row ? toClaimed(row) : null;
    });
  }

  close(): Promise<void> {
    this.closing ??= this.db.serial(() => this.db.close());
    return this.closing;
  }
}

function payload({ job, context }: JobSpec): string {
  return JSON.stringify({ job, context });
}

function toClaimed(row: JobRow): ClaimedJob {
  const { job, context } = JSON.parse(row.payload) as { job: PlatformJob; context: CommandContext };
  return { key: row.key, job, context, dueAt: new Date(row.due_at), attempts: row.attempts, version: row.version };
}
