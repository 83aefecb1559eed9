import { BeforeApplicationShutdown, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppsModule } from '../apps/apps.module';
import { AppConfig } from '../config/app-config';
import { EventStore } from '../event-store/event-store.port';
import { EventScopes } from '../public-events/event-scopes';
import { PublicEventsModule } from '../public-events/public-events.module';
import { KeyRing } from '../security/key-ring';
import { Clock } from '../shared/clock';
import { WebhooksController } from './api/webhooks.controller';
import { WebhookAttemptObserver, WebhookDeliverer } from './delivery/webhook-deliverer';
import { WebhookDispatcher } from './delivery/webhook-dispatcher';
import { WebhookOutbox } from './delivery/webhook-outbox';
import { TargetGuard } from './target-guard';

const DELIVERER = Symbol('WEBHOOK_DELIVERER');
const DISPATCHER = Symbol('WEBHOOK_DISPATCHER');
/** The longest the deliverer sleeps between two looks at the outbox (it is woken when deliveries come). */
const POLL_MS = 1_000;

/**
 * Webhooks: their API, and where WEBHOOKS=on, the dispatcher (log → outbox) and the
 * deliverer (outbox → receivers), both on `DATA_DIR/webhooks.sqlite`.
 */
@Module({
  imports: [AppsModule, PublicEventsModule],
  controllers: [WebhooksController],
  providers: [
    {
      provide: WebhookOutbox,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        await mkdir(dirname(config.webhooks.file), { recursive: true });
        return WebhookOutbox.open(config.webhooks.file);
      },
    },
    { provide: TargetGuard, inject: [AppConfig], useFactory: (config: AppConfig) => new TargetGuard(config.webhooks.allowedRanges) },
    {
      provide: DELIVERER,
      inject: [WebhookOutbox, KeyRing, TargetGuard, Clock, AppConfig, { token: WebhookAttemptObserver, optional: true }],
      useFactory: (outbox: WebhookOutbox, keys: KeyRing, guard: TargetGuard, clock: Clock, config: AppConfig, observer?: WebhookAttemptObserver) => {
        const { concurrency, timeoutMs, baseMs, maxMs, retryForMs } = config.webhooks;
        const webhooks = async () => new Map((await outbox.webhooks()).map((w) => [w.webhookId, w]));
        const options = { concurrency, timeoutMs, baseMs, maxMs, retryForMs, pollMs: POLL_MS, observer };
        return new WebhookDeliverer(outbox, webhooks, keys, guard, clock, options);
      },
    },
    {
      provide: DISPATCHER,
      inject: [EventStore, WebhookOutbox, EventScopes, Clock, DELIVERER],
      useFactory: (store: EventStore, outbox: WebhookOutbox, scopes: EventScopes, clock: Clock, deliverer: WebhookDeliverer) =>
        new WebhookDispatcher(store, outbox, scopes, clock, () => deliverer.wake()),
    },
  ],
  exports: [WebhookOutbox],
})
export class WebhooksModule implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');

  constructor(
    private readonly config: AppConfig,
    private readonly outbox: WebhookOutbox,
    @Inject(DISPATCHER) private readonly dispatcher: WebhookDispatcher,
    @Inject(DELIVERER) private readonly deliverer: WebhookDeliverer,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.webhooks.enabled) return;
    this.dispatcher.start();
    this.deliverer.start();
    this.logger.log('Webhook deliveries running');
  }

  /** Before the event store closes: the dispatcher stops at a checkpoint, deliveries in flight finish (or their lease runs out). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
    await this.deliverer.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.outbox.close();
  }
}
