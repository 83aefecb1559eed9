import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { WebhookOutbox } from '../webhooks/delivery/webhook-outbox';

/**
 * Webhook deliveries of this DATA_DIR: how many wait, were delivered, were dead-lettered,
 * and how far the dispatcher has read the log. Always up: a receiver that is down is the
 * receiver's trouble, and its deliveries wait or dead-letter on their own.
 */
@Injectable()
export class WebhooksHealthIndicator {
  constructor(
    private readonly outbox: WebhookOutbox,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key: string) {
    const [counts, checkpoint] = await Promise.all([this.outbox.counts(), this.outbox.checkpoint('webhooks')]);
    return this.health.check(key).up({
      dispatched_up_to: checkpoint?.toString() ?? null,
      pending_deliveries: counts.pending,
      delivered: counts.delivered,
      dead_deliveries: counts.dead,
    });
  }
}
