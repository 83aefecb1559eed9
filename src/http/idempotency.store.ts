import { randomUUID } from 'node:crypto';
import { SqliteConnection } from '../event-store/sqlite/sqlite-connection';
import { KeyRing, Sealed } from '../security/key-ring';

/** The answer kept for a key: replayed as it was, minus the per-request headers. */
export interface StoredAnswer {
  status: number;
  /** The JSON body; undefined for an empty one. */
  body?: unknown;
  /** Headers that belong to the answer (Location), not to one request (X-Request-Id). */
  headers: Record<string, string>;
}

/** What a request with an `Idempotency-Key` may do. */
export type Claim =
  /** First time: run it, then `complete` or `release` with the claim. */
  | { kind: 'claimed'; claim: ClaimTicket }
  /** Done before with the same request: answer this. */
  | { kind: 'replay'; answer: StoredAnswer }
  /** The same key is running right now. */
  | { kind: 'in_progress' }
  /** The key was used for another request. */
  | { kind: 'key_reused' };

export interface ClaimTicket {
  scope: string;
  fingerprint: string;
  /** Ours alone: a late finish cannot overwrite a record someone else took over. */
  id: string;
}

export interface IdempotencyStoreOptions {
  file: string;
  keyRing: KeyRing;
  /** How long an answer is kept. API clients retry within minutes; a day is generous. */
  ttlMs?: number;
  /**
   * How long a running claim holds the key when its process may be gone (a crash between
   * claim and answer). Past it, a retry runs again. Longer than any request takes.
   */
  leaseMs?: number;
  now?: () => number;
  /** How often expired records are deleted. */
  purgeIntervalMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS idempotency_records (
    scope        TEXT    PRIMARY KEY,  -- sha256 of role, subject, method, route and key: no key in clear
    fingerprint  TEXT    NOT NULL,     -- sha256 of method, path and canonical body
    claim_id     TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('running', 'done')),
    answer       TEXT,                 -- the answer sealed with the master key, once done
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    lease_until  INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS idempotency_records_expiry ON idempotency_records (expires_at);`;

interface RecordRow {
  fingerprint: string;
  state: 'running' | 'done';
  answer: string | null;
}

/**
 * Answers of requests sent with an `Idempotency-Key`, in `DATA_DIR/http.sqlite` so they
 * survive a restart and are shared by processes on one machine. Answers can hold secrets
 * (a new token), so they are sealed with the master key, bound to their row.
 *
 * A key is claimed before the handler runs: in memory first (one process, no I/O), then
 * in the table (restarts, other processes). Every step is one statement, atomic in SQLite.
 */
export class IdempotencyStore {
  private readonly running = new Map<string, string>();
  private readonly ttlMs: number;
  private readonly leaseMs: number;
  private readonly now: () => number;
  private readonly purgeTimer: NodeJS.Timeout;

  private constructor(
    private readonly db: SqliteConnection,
    private readonly keyRing: KeyRing,
    options: IdempotencyStoreOptions,
  ) {
    this.ttlMs = options.ttlMs ?? DAY_MS;
    this.leaseMs = options.leaseMs ?? 5 * 60 * 1000;
    this.now = options.now ?? Date.now;
    this.purgeTimer = setInterval(() => void this.purgeExpired().catch(() => undefined), options.purgeIntervalMs ?? 60 * 60 * 1000);
    this.purgeTimer.unref();
  }

  static async open(options: IdempotencyStoreOptions): Promise<IdempotencyStore> {
    // A record lost to a power cut would let a retry run twice: same durability as the log.
    const db = await SqliteConnection.openState(options.file, SCHEMA, 'FULL');
    try {
      const store = new IdempotencyStore(db, options.keyRing, options);
      await store.purgeExpired();
      return store;
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  async claim(scope: string, fingerprint: string): Promise<Claim> {
    const mine = this.running.get(scope);
    if (mine !== undefined) return { kind: mine === fingerprint ? 'in_progress' : 'key_reused' };
    // Taken synchronously, before any await: two requests of this process cannot both pass.
    this.running.set(scope, fingerprint);
    try {
      const now = this.now();
      const id = randomUUID();
      // Insert, or take over a record that expired or whose claimant is gone.
      const { changes } = await this.db.run(
        `INSERT INTO idempotency_records (scope, fingerprint, claim_id, state, answer, created_at, expires_at, lease_until)
         VALUES (?1, ?2, ?3, 'running', NULL, ?4, ?5, ?6)
         ON CONFLICT (scope) DO UPDATE SET
           fingerprint = excluded.fingerprint, claim_id = excluded.claim_id, state = 'running', answer = NULL,
           created_at = excluded.created_at, expires_at = excluded.expires_at, lease_until = excluded.lease_until
         WHERE idempotency_records.expires_at <= ?4
            OR (idempotency_records.state = 'running' AND idempotency_records.lease_until <= ?4)`,
        [scope, fingerprint, id, now, now + this.ttlMs, now + this.leaseMs],
      );
      if (changes === 1) return { kind: 'claimed', claim: { scope, fingerprint, id } };
      this.running.delete(scope);

      const row = await this.db.get<RecordRow>(
        'SELECT fingerprint, state, answer FROM idempotency_records WHERE scope = ?',
        [scope],
      );
      // Gone between the two statements (purged): rare enough to let the client retry.
      if (!row) return { kind: 'in_progress' };
      if (row.fingerprint !== fingerprint) return { kind: 'key_reused' };
      if (row.state === 'running' || row.answer === null) return { kind: 'in_progress' };
      return { kind: 'replay', answer: this.open(scope, row.answer) };
    } catch (error) {
      if (this.running.get(scope) === fingerprint) this.running.delete(scope);
      throw error;
    }
  }

  /** Keeps the final answer of a claimed key. */
  async complete(claim: ClaimTicket, answer: StoredAnswer): Promise<void> {
    try {
      const sealed = this.keyRing.sealWithMaster(JSON.stringify(answer), context(claim.scope));
      await this.db.run(
        `UPDATE idempotency_records SET state = 'done', answer = ? WHERE scope = ? AND claim_id = ? AND state = 'running'`,
        [JSON.stringify(sealed), claim.scope, claim.id],
      );
    } finally {
      this.running.delete(claim.scope);
    }
  }

  /** Forgets a claimed key without an answer (a 5xx): a retry runs again. */
  async release(claim: ClaimTicket): Promise<void> {
    try {
      await this.db.run(`DELETE FROM idempotency_records WHERE scope = ? AND claim_id = ? AND state = 'running'`, [
        claim.scope,
        claim.id,
      ]);
    } finally {
      this.running.delete(claim.scope);
    }
  }

  private closing: Promise<void> | undefined;

  async purgeExpired(): Promise<number> {
    const { changes } = await this.db.run('DELETE FROM idempotency_records WHERE expires_at <= ?', [this.now()]);
    return changes;
  }

  /** Idempotent: shutdown hooks may run twice (closing the app twice). */
  close(): Promise<void> {
    clearInterval(this.purgeTimer);
    this.closing ??= this.db.close();
    return this.closing;
  }

  private open(scope: string, text: string): StoredAnswer {
    // Throws on a record sealed under another master key or altered: a 500, never a
    // silent re-run of a request that may already have had its effect.
    return JSON.parse(this.keyRing.openWithMaster(JSON.parse(text) as Sealed, context(scope))) as StoredAnswer;
  }
}

const context = (scope: string) => `idempotency:${scope}`;
