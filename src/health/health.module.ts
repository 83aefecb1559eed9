import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EventStoreHealthIndicator } from './event-store.health';
import { HealthController } from './health.controller';
import { PlatformHealthIndicator } from './platform.health';
import { ReadModelsHealthIndicator } from './read-models.health';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty' })],
  controllers: [HealthController],
  providers: [EventStoreHealthIndicator, PlatformHealthIndicator, ReadModelsHealthIndicator],
})
export class HealthModule {}
