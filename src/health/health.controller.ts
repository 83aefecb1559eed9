import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../security/access.decorators';
import { EventStoreHealthIndicator } from './event-store.health';
import { PlatformHealthIndicator } from './platform.health';
import { ReadModelsHealthIndicator } from './read-models.health';
import { WebhooksHealthIndicator } from './webhooks.health';

@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly eventStore: EventStoreHealthIndicator,
    private readonly platform: PlatformHealthIndicator,
    private readonly readModels: ReadModelsHealthIndicator,
    private readonly webhooks: WebhooksHealthIndicator,
  ) {}

  /**
   * Readiness: 200 with the store kind and its last position, the platform runtime's jobs
   * and saga lag, the read models' checkpoints and lag, and the webhook deliveries; 503
   * when the store does not answer, or the sagas or a projection are parked. Lag alone
   * never fails it. Also served as `GET /health` (the first route, kept as it was).
   */
  @Get()
  @HealthCheck()
  check() {
    return this.ready();
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.eventStore.check('eventStore'),
      () => this.platform.check('platform'),
      () => this.readModels.check('readModels'),
      () => this.webhooks.check('webhooks'),
    ]);
  }

  /** Liveness: 200 as long as the process serves HTTP; no dependency is checked (a store outage must not restart it). */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }
}
