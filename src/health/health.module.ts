import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EventStoreHealthIndicator } from './event-store.health';
import { HealthController } from './health.controller';
import { PlatformHealthIndicator } from './platform.health';
import { ReadModelsHealthIndicator } from './read-models.health';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { WebhooksHealthIndicator } from './webhooks.health';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty' }), WebhooksModule],
  controllers: [HealthController],
  providers: [EventStoreHealthIndicator, PlatformHealthIndicator, ReadModelsHealthIndicator, WebhooksHealthIndicator],
})
export class HealthModule {}
