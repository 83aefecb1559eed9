import { Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { KeyRing } from '../../security/key-ring';
import { Clock } from '../../shared/clock';
import { runWithLogContext, runWithoutLogContext } from '../../shared/logging/log-context';
import { nextAttemptAt, RetryPolicy } from '../domain/retry-policy';
import type { TargetGuard } from '../target-guard';
import { Delivery, OutboxWebhook, WebhookOutbox } from './webhook-outbox';
import { send, SendResult, signatureHeaders } from './webhook-sender';

export interface DelivererOptions extends RetryPolicy {
  concurrency: number;
  timeoutMs: number;
  /** The longest the deliverer sleeps before looking at the outbox again. */
  pollMs: number;
  /** Told of each attempt once recorded (metrics). */
  observer?: WebhookAttemptObserver;
}

/** How a recorded attempt ended: `delivered` (a 2xx), `failed` (tried again later), `dead` (dead-lettered). */
export type AttemptOutcome = 'delivered' | 'failed' | 'dead';

/** Told of every delivery attempt once the outbox has recorded it. Must be cheap. */
export abstract class WebhookAttemptObserver {
  abstract attempted(outcome: AttemptOutcome): void;
}

/** How long deliveries in flight get to finish at shutdown; those still waiting on their receiver are sent again later. */
const STOP_GRACE_MS = 2_000;

/** The context a webhook's secret is sealed for: it opens for that webhook only. */
export const secretContext = (webhookId: string) => `webhook:${webhookId}`;

/**
 * Sends the outbox's deliveries: several at once, but one at a time per webhook and
 * add-on, in log order. A 2xx answer delivers; anything else (an error status, a
 * refused connection, a timeout, a redirect) is retried with exponential backoff and
 * jitter until the delivery's retry window closes, then it is dead-lettered. A delivery
 * in flight when the process dies is leased: once the lease runs out, it is sent again,
 * under the same id.
 */
export class WebhookDeliverer {
  private readonly logger = new Logger('WebhookDeliverer');
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private polling: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly outbox: WebhookOutbox,
    private readonly webhooks: () => Promise<Map<string, OutboxWebhook>>,
    private readonly keys: KeyRing,
    private readonly guard: TargetGuard,
    private readonly clock: Clock,
    private readonly options: DelivererOptions,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    this.running = true;
    this.wake();
  }

  /**
   * Claims nothing more and gives the deliveries in flight a moment to finish. One whose
   * receiver is slower is left to its lease: it is sent again, under the same id, by
   * whichever process runs deliveries next (at least once, as after a crash).
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.polling;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled([...this.inFlight.values()]), grace]);
    clearTimeout(timer);
    if (this.inFlight.size > 0) this.logger.warn(`Stopped with ${this.inFlight.size} delivery(ies) in flight: sent again once their lease runs out`);
  }

  /** Looks at the outbox now (new deliveries, or one just done whose next may go). */
  wake(): void {
    if (!this.running) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    // Woken from an event's handling: the poll (and the timers it sets) is not that event's work.
    this.polling = runWithoutLogContext(() => this.poll()).finally(() => {
      this.polling = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  get busy(): number {
    return this.inFlight.size;
  }

  private async poll(): Promise<void> {
    try {
      const now = this.clock.now();
      const room = this.options.concurrency - this.inFlight.size;
      const due = await this.outbox.claimDue(now, room, new Date(now.getTime() + this.options.timeoutMs + 1_000));
      if (due.length > 0) {
        const webhooks = await this.webhooks();
        for (const delivery of due) {
          const run = runWithLogContext({ correlationId: correlationIdOf(delivery) }, () => this.deliver(delivery, webhooks.get(delivery.webhookId)))
            .catch((error: unknown) => this.logger.error(`Delivery ${delivery.deliveryId} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`))
            .finally(() => {
              this.inFlight.delete(delivery.deliveryId);
              this.wake();
            });
          this.inFlight.set(delivery.deliveryId, run);
        }
      }
      const next = await this.outbox.nextDue();
      const wait = next === null ? this.options.pollMs : Math.min(this.options.pollMs, Math.max(0, next.getTime() - this.clock.now().getTime()));
      if (this.running) this.timer = setTimeout(() => this.wake(), Math.max(wait, 10));
    } catch (error) {
      this.logger.error(`Could not read the webhook outbox, trying again: ${error instanceof Error ? error.message : String(error)}`);
      if (this.running) this.timer = setTimeout(() => this.wake(), this.options.pollMs);
    }
  }

  private async deliver(delivery: Delivery, webhook: OutboxWebhook | undefined): Promise<void> {
    const at = this.clock.now();
    const started = performance.now();
    let result: SendResult;
    if (!webhook) result = { status: null, error: 'the webhook is gone' };
    else {
      let secret: string | null = null;
      try {
        secret = this.keys.openWithMaster(webhook.secret as never, secretContext(webhook.webhookId));
      } catch {
        // MASTER_KEY changed: nothing can be signed, and the attempt says so (never the secret).
      }
      if (secret === null) result = { status: null, error: 'the signing secret cannot be opened with this MASTER_KEY' };
      else {
        const headers = signatureHeaders(secret, delivery.deliveryId, Math.floor(at.getTime() / 1000), delivery.payload);
        result = await send(this.guard, webhook.url, headers, delivery.payload, this.options.timeoutMs);
      }
    }
    const attempt = { at, status: result.status, error: result.error, durationMs: performance.now() - started };
    try {
      if (result.error === null) {
        await this.outbox.recordAttempt(delivery, attempt, { delivered: true });
        this.options.observer?.attempted('delivered');
        return;
      }
      const now = this.clock.now().getTime();
      const first = (delivery.firstAttemptAt ?? at).getTime();
      const retry = nextAttemptAt(this.options, first, now, delivery.attempts + 1, this.random());
      if (retry === null) this.logger.warn(`Delivery ${delivery.deliveryId} dead-lettered after ${delivery.attempts + 1} attempts: ${result.error}`);
      await this.outbox.recordAttempt(delivery, attempt, { delivered: false, retryAt: retry === null ? null : new Date(retry) });
      this.options.observer?.attempted(retry === null ? 'dead' : 'failed');
    } catch (error) {
      // Its lease runs out and it is sent again: the receiver sees the same delivery id.
      if (!this.running) return; // left in flight at shutdown, the outbox closed meanwhile
      this.logger.error(`Could not record an attempt of delivery ${delivery.deliveryId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** The correlation id of the delivered event (its public form carries it), for the delivery's log lines. */
function correlationIdOf(delivery: Delivery): string {
  try {
    const id = (JSON.parse(delivery.payload) as { correlation_id?: unknown }).correlation_id;
    if (typeof id === 'string') return id;
  } catch {
    // Not JSON: cannot happen for a payload the dispatcher wrote; the delivery id still says which.
  }
  return `webhook-delivery:${delivery.deliveryId}`;
}
