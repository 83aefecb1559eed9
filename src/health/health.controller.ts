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
   * Liveness and readiness: 200 with the store kind and its last position and the
   * platform runtime's jobs, the read models' checkpoints and the webhook deliveries; 503 when the store does not
   * answer, or the sagas or a projection are parked.
   */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.eventStore.check('eventStore'),
      () => this.platform.check('platform'),
      () => this.readModels.check('readModels'),
      () => this.webhooks.check('webhooks'),
    ]);
  }
}
