import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { EventStoreModule } from './event-store/event-store.module';
import { AddonsModule } from './addons/addons.module';
import { AppsModule } from './apps/apps.module';
import { CatalogueModule } from './catalogue/catalogue.module';
import { HealthModule } from './health/health.module';
import { HttpEdgeModule } from './http/http.module';
import { loggerParams } from './http/logging';
import { SecurityModule } from './security/security.module';
import { SharedModule } from './shared/shared.module';

@Module({
  imports: [
    AppConfigModule,
    // Request ids, and what must never be logged: http/logging.ts.
    LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: loggerParams }),
    EventStoreModule,
    SecurityModule,
    HttpEdgeModule,
    HealthModule,
    SharedModule,
    CatalogueModule,
    AppsModule,
    AddonsModule,
  ],
})
export class AppModule {}
