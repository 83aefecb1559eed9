import { SqliteConnection, SqlParams } from '../../event-store/sqlite/sqlite-connection';
import type { EventTypeSelection, SealedSecret, WebhookOwner } from '../domain/webhook.events';

/** A webhook as the dispatcher knows it: what it matches and how it is signed. */
export interface OutboxWebhook {
  webhookId: string;
  owner: WebhookOwner;
  app: string | null;
  url: string;
  eventTypes: EventTypeSelection;
  secret: SealedSecret;
}

/** A delivery to insert: one public event for one webhook. */
export interface NewDelivery {
  deliveryId: string;
  webhookId: string;
  /** Deliveries of one key go out one at a time, in log order: the add-on's id, or `app:<name>`. */
  orderingKey: string;
  position: bigint;
  eventId: string;
  eventType: string;
  payload: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'dead' | 'cancelled';

export interface Delivery {
  deliveryId: string;
  webhookId: string;
  orderingKey: string;
  position: string;
  eventId: string;
  eventType: string;
  payload: string;
  state: DeliveryState;
  attempts: number;
  createdAt: Date;
  firstAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
}

export interface Attempt {
  attempt: number;
  at: Date;
  /** The receiver's HTTP status; null when none came (refused, timed out, target forbidden). */
  status: number | null;
  error: string | null;
  durationMs: number;
}

interface DeliveryRow {
  delivery_id: string;
  webhook_id: string;
  ordering_key: string;
  position: string;
  event_id: string;
  event_type: string;
  payload: string;
  state: DeliveryState;
  attempts: number;
  created_at: number;
  first_attempt_at: number | null;
  next_attempt_at: number | null;
  delivered_at: number | null;
  last_status: number | null;
  last_error: string | null;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS checkpoints (
    name       TEXT PRIMARY KEY,
    position   TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS webhooks (
    webhook_id  TEXT PRIMARY KEY,
    definition  TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id      TEXT PRIMARY KEY,
    webhook_id       TEXT NOT NULL,
    ordering_key     TEXT NOT NULL,
    -- the log position, zero-padded to sort as text (EventStoreDB's run past 2^53)
    sort_position    TEXT NOT NULL,
    position         TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    first_attempt_at INTEGER,
    next_attempt_at  INTEGER,
    lease_until      INTEGER,
    delivered_at     INTEGER,
    last_status      INTEGER,
    last_error       TEXT
  ) STRICT;
  CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);
  CREATE INDEX IF NOT EXISTS deliveries_order ON deliveries (webhook_id, ordering_key, state, sort_position);
  CREATE INDEX IF NOT EXISTS deliveries_log ON deliveries (webhook_id, sort_position);
  CREATE TABLE IF NOT EXISTS attempts (
    delivery_id TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
  ) STRICT;
`;

const sortable = (position: bigint | string) => position.toString().padStart(20, '0');

/**
 * The webhook outbox, `DATA_DIR/webhooks.sqlite`: the webhooks the dispatcher has seen,
 * how far it has read the log, and every delivery with its attempts. Deliveries are
 * inserted under an id derived from the webhook and the event, so reading an event again
 * (after a crash) inserts nothing new, and a delivery keeps its id through every retry,
 * restart and redelivery.
 */
export class WebhookOutbox {
  private closing: Promise<void> | undefined;

  private constructor(private readonly db: SqliteConnection) {}

  static async open(file: string): Promise<WebhookOutbox> {
    return new WebhookOutbox(await SqliteConnection.openState(file, SCHEMA));
  }

  async checkpoint(name: string): Promise<bigint | null> {
    return this.serial(async () => {
      const row = await this.db.get<{ position: string }>('SELECT position FROM checkpoints WHERE name = ?', [name]);
      return row ? BigInt(row.position) : null;
    });
  }

  async webhooks(): Promise<OutboxWebhook[]> {
    return this.serial(async () => {
      const rows = await this.db.all<{ definition: string }>('SELECT definition FROM webhooks WHERE deleted = 0');
      return rows.map((row) => JSON.parse(row.definition) as OutboxWebhook);
    });
  }

  /**
   * In one transaction: what the dispatcher learnt up to `position` (webhooks made or
   * deleted, deliveries to make, redeliveries asked for), and the checkpoint.
   */
  async commit(
    name: string,
    position: bigint,
    changes: { created?: OutboxWebhook[]; deleted?: string[]; deliveries?: NewDelivery[]; redeliver?: Array<{ webhookId: string; deliveryId: string }> },
    now: Date,
  ): Promise<void> {
    return this.serial(async () => {
      await this.db.exec('BEGIN IMMEDIATE');
      try {
        for (const webhook of changes.created ?? []) {
          await this.db.run('INSERT OR IGNORE INTO webhooks (webhook_id, definition) VALUES (?, ?)', [webhook.webhookId, JSON.stringify(webhook)]);
        }
        for (const id of changes.deleted ?? []) {
          await this.db.run('UPDATE webhooks SET deleted = 1 WHERE webhook_id = ?', [id]);
          await this.db.run(`UPDATE deliveries SET state = 'cancelled', lease_until = NULL WHERE webhook_id = ? AND state = 'pending'`, [id]);
        }
        for (const d of changes.deliveries ?? []) {
          await this.db.run(
            `INSERT OR IGNORE INTO deliveries (delivery_id, webhook_id, ordering_key, sort_position, position, event_id, event_type, payload, created_at, next_attempt_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            [d.deliveryId, d.webhookId, d.orderingKey, sortable(d.position), d.position.toString(), d.eventId, d.eventType, d.payload, now.getTime(), now.getTime()],
          );
        }
        for (const { webhookId, deliveryId } of changes.redeliver ?? []) {
          // A new retry window; the id, the payload and the attempts so far stay.
          await this.db.run(
            `UPDATE deliveries SET state = 'pending', next_attempt_at = ?, first_attempt_at = NULL, lease_until = NULL
             WHERE delivery_id = ? AND webhook_id = ? AND state IN ('dead', 'delivered')`,
            [now.getTime(), deliveryId, webhookId],
          );
        }
        await this.db.run(
          `INSERT INTO checkpoints (name, position, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
          [name, position.toString(), now.getTime()],
        );
        await this.db.exec('COMMIT');
      } catch (error) {
        await this.db.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * Claims up to `limit` deliveries due by `now`, each the first pending one of its
   * webhook and ordering key (so one key has one delivery in flight, and its next waits
   * for it), leased until `leaseUntil`.
   */
  async claimDue(now: Date, limit: number, leaseUntil: Date): Promise<Delivery[]> {
    return this.serial(async () => {
      if (limit <= 0) return [];
      const t = now.getTime();
      const rows = await this.db.all<DeliveryRow>(
        `SELECT * FROM deliveries d
         WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until <= ?)
           AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.webhook_id = d.webhook_id AND e.ordering_key = d.ordering_key
                           AND e.state = 'pending' AND e.sort_position < d.sort_position)
         ORDER BY d.next_attempt_at, d.sort_position LIMIT ?`,
        [t, t, limit],
      );
      const claimed: Delivery[] = [];
      for (const row of rows) {
        const { changes } = await this.db.run(
          `UPDATE deliveries SET lease_until = ?, first_attempt_at = coalesce(first_attempt_at, ?)
           WHERE delivery_id = ? AND state = 'pending' AND (lease_until IS NULL OR lease_until <= ?)`,
          [leaseUntil.getTime(), t, row.delivery_id, t],
        );
        if (changes === 1) claimed.push(toDelivery({ ...row, first_attempt_at: row.first_attempt_at ?? t }));
      }
      return claimed;
    });
  }

  /** Records an attempt and its outcome: delivered, retried at `retryAt`, or dead-lettered (`retryAt` null). */
  async recordAttempt(delivery: Delivery, attempt: Omit<Attempt, 'attempt'>, outcome: { delivered: true } | { delivered: false; retryAt: Date | null }): Promise<void> {
    return this.serial(async () => {
      await this.db.exec('BEGIN IMMEDIATE');
      try {
        const number = delivery.attempts + 1;
        await this.db.run('INSERT OR REPLACE INTO attempts (delivery_id, attempt, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)', [
          delivery.deliveryId,
          number,
          attempt.at.getTime(),
          attempt.status,
          attempt.error,
          Math.round(attempt.durationMs),
        ]);
        const state: DeliveryState = outcome.delivered ? 'delivered' : outcome.retryAt ? 'pending' : 'dead';
        // Only while still pending: a webhook deleted meanwhile keeps its deliveries cancelled.
        await this.db.run(
          `UPDATE deliveries SET attempts = ?, state = ?, lease_until = NULL, last_status = ?, last_error = ?,
             delivered_at = CASE WHEN ? THEN ? ELSE delivered_at END, next_attempt_at = ?
           WHERE delivery_id = ? AND state = 'pending'`,
          [
            number,
            state,
            attempt.status,
            attempt.error,
            outcome.delivered ? 1 : 0,
            attempt.at.getTime(),
            !outcome.delivered && outcome.retryAt ? outcome.retryAt.getTime() : null,
            delivery.deliveryId,
          ],
        );
        await this.db.exec('COMMIT');
      } catch (error) {
        await this.db.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /** When the next pending delivery is due (null when none), to sleep until then. */
  async nextDue(): Promise<Date | null> {
    return this.serial(async () => {
      const row = await this.db.get<{ due: number | null }>(`SELECT min(next_attempt_at) AS due FROM deliveries WHERE state = 'pending'`);
      return row?.due == null ? null : new Date(row.due);
    });
  }

  /** A webhook's deliveries, newest first, a page after `before` (a position) when given. */
  async deliveries(webhookId: string, options: { state?: DeliveryState; before?: string; limit: number }): Promise<Delivery[]> {
    return this.serial(async () => {
      const where = ['webhook_id = ?'];
      const params: Array<string | number> = [webhookId];
      if (options.state) where.push('state = ?'), params.push(options.state);
      if (options.before) where.push('sort_position < ?'), params.push(sortable(options.before));
      const rows = await this.db.all<DeliveryRow>(
        `SELECT * FROM deliveries WHERE ${where.join(' AND ')} ORDER BY sort_position DESC, delivery_id LIMIT ?`,
        [...params, options.limit] as SqlParams,
      );
      return rows.map(toDelivery);
    });
  }

  async delivery(webhookId: string, deliveryId: string): Promise<(Delivery & { attemptLog: Attempt[] }) | null> {
    return this.serial(async () => {
      const row = await this.db.get<DeliveryRow>('SELECT * FROM deliveries WHERE delivery_id = ? AND webhook_id = ?', [deliveryId, webhookId]);
      if (!row) return null;
      const attempts = await this.db.all<{ attempt: number; at: number; status: number | null; error: string | null; duration_ms: number }>(
        'SELECT attempt, at, status, error, duration_ms FROM attempts WHERE delivery_id = ? ORDER BY attempt',
        [deliveryId],
      );
      return {
        ...toDelivery(row),
        attemptLog: attempts.map((a) => ({ attempt: a.attempt, at: new Date(a.at), status: a.status, error: a.error, durationMs: a.duration_ms })),
      };
    });
  }

  /** Deliveries by state, for /health and the tests. */
  async counts(): Promise<Record<DeliveryState, number>> {
    return this.serial(async () => {
      const rows = await this.db.all<{ state: DeliveryState; n: number }>('SELECT state, count(*) AS n FROM deliveries GROUP BY state');
      const of = (state: DeliveryState) => rows.find((r) => r.state === state)?.n ?? 0;
      return { pending: of('pending'), delivered: of('delivered'), dead: of('dead'), cancelled: of('cancelled') };
    });
  }

  close(): Promise<void> {
    this.closing ??= this.serial(() => this.db.close());
    return this.closing;
  }

  /** One unit of work at a time on the one connection (see SqliteConnection.serial). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    return this.db.serial(work);
  }
}

function toDelivery(row: DeliveryRow): Delivery {
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  return {
    deliveryId: row.delivery_id,
    webhookId: row.webhook_id,
    orderingKey: row.ordering_key,
    position: row.position,
    eventId: row.event_id,
    eventType: row.event_type,
    payload: row.payload,
    state: row.state,
    attempts: row.attempts,
    createdAt: new Date(row.created_at),
    firstAttemptAt: date(row.first_attempt_at),
    nextAttemptAt: date(row.next_attempt_at),
    deliveredAt: date(row.delivered_at),
    lastStatus: row.last_status,
    lastError: row.last_error,
  };
}
