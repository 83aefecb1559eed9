import { Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { AppendObserver } from '../event-store/observed-event-store';
import { CommandObserver } from '../shared/cqrs/command-observer';
import { WebhookAttemptObserver } from '../webhooks/delivery/webhook-deliverer';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { EVERY_ROUTE, HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { PlatformMetrics } from './platform-metrics';
import { ScrapeMetrics } from './scrape-metrics';

/**
 * GET /metrics (Prometheus). Global so that the command executor, the event store and the
 * webhook deliverer find the observers it provides (each takes them as optional).
 */
@Global()
@Module({
  imports: [WebhooksModule],
  controllers: [MetricsController],
  providers: [
    PlatformMetrics,
    ScrapeMetrics,
    { provide: CommandObserver, useExisting: PlatformMetrics },
    { provide: AppendObserver, useExisting: PlatformMetrics },
    { provide: WebhookAttemptObserver, useExisting: PlatformMetrics },
  ],
  exports: [CommandObserver, AppendObserver, WebhookAttemptObserver],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes({ path: EVERY_ROUTE, method: RequestMethod.ALL });
  }
}
