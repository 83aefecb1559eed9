import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { AppendObserver, ObservedAppend } from '../event-store/observed-event-store';
import { CommandObserver, ExecutedCommand } from '../shared/cqrs/command-observer';
import { AttemptOutcome, WebhookAttemptObserver } from '../webhooks/delivery/webhook-deliverer';

export const METRIC_PREFIX = 'db_addons_';

/** Seconds, from a fast SQLite commit to a slow EventStoreDB round trip. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ['delivered', 'failed', 'dead'];

/**
 * The app's Prometheus registry (one per app, not prom-client's global one: tests run
 * several apps in one process) with the default process metrics, and the counters and
 * histograms fed as things happen: commands (from the CommandExecutor), appends (from the
 * event store), webhook attempts (from the deliverer) and HTTP requests. The gauges read
 * at scrape time are in scrape-metrics.ts.
 */
@Injectable()
export class PlatformMetrics implements CommandObserver, AppendObserver, WebhookAttemptObserver {
  readonly registry = new Registry();

  private readonly commands = new Counter({
    name: `${METRIC_PREFIX}commands_total`,
    help: 'Commands executed, by aggregate, command type and outcome (ok, noop, rejected, conflict, error); code is the refusal\'s stable code',
    labelNames: ['aggregate', 'type', 'outcome', 'code'] as const,
    registers: [this.registry],
  });

  private readonly commandSeconds = new Histogram({
    name: `${METRIC_PREFIX}command_duration_seconds`,
    help: 'Time to execute a command (read, decide, append, retries included), by aggregate and command type',
    labelNames: ['aggregate', 'type'] as const,
    buckets: STORE_BUCKETS,
    registers: [this.registry],
  });

  private readonly appendSeconds = new Histogram({
    name: `${METRIC_PREFIX}event_store_append_seconds`,
    help: 'Time of an append to the event store until acknowledged or refused, by outcome (ok, conflict, error)',
    labelNames: ['outcome'] as const,
    buckets: STORE_BUCKETS,
    registers: [this.registry],
  });

  private readonly eventsAppended = new Counter({
    name: `${METRIC_PREFIX}events_appended_total`,
    help: 'Events in acknowledged appends, by stream category (an idempotent repeat counts again)',
    labelNames: ['category'] as const,
    registers: [this.registry],
  });

  private readonly webhookAttempts = new Counter({
    name: `${METRIC_PREFIX}webhook_attempts_total`,
    help: 'Webhook delivery attempts recorded by this process, by outcome (delivered, failed and retried, dead-lettered)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** Fed by HttpMetricsMiddleware. */
  readonly httpSeconds = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP requests until their answer is sent, by method, route pattern (never the raw URL) and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    // Present from the start, so that rates and alerts have a series before the first attempt.
    for (const outcome of ATTEMPT_OUTCOMES) this.webhookAttempts.inc({ outcome }, 0);
  }

  executed({ aggregate, type, outcome, code, seconds }: ExecutedCommand): void {
    this.commands.inc({ aggregate, type, outcome, ...(code !== undefined && { code }) });
    this.commandSeconds.observe({ aggregate, type }, seconds);
  }

  appended({ category, events, outcome, seconds }: ObservedAppend): void {
    this.appendSeconds.observe({ outcome }, seconds);
    if (outcome === 'ok') this.eventsAppended.inc({ category }, events);
  }

  attempted(outcome: AttemptOutcome): void {
    this.webhookAttempts.inc({ outcome });
  }
}
