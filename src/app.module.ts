import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { EventStoreModule } from './event-store/event-store.module';
import { HealthModule } from './health/health.module';
import { HttpEdgeModule } from './http/http.module';
import { loggerParams } from './http/logging';
import { SecurityModule } from './security/security.module';

@Module({
  imports: [
    AppConfigModule,
    // Request ids, and what must never be logged: http/logging.ts.
    LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: loggerParams }),
    EventStoreModule,
    SecurityModule,
    HttpEdgeModule,
    HealthModule,
  ],
})
export class AppModule {}
