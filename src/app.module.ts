import { DynamicModule, Module, Type } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { EventStoreModule } from './event-store/event-store.module';
import { AddonsModule } from './addons/addons.module';
import { AppsModule } from './apps/apps.module';
import { BackupsModule } from './backups/backups.module';
import { CatalogueModule } from './catalogue/catalogue.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { HttpEdgeModule } from './http/http.module';
import { loggerParams } from './http/logging';
import { DriverModule } from './platform/driver/driver.module';
import { SecurityModule } from './security/security.module';
import { RuntimeModule } from './platform/runtime/runtime.module';
import { ReadModelsModule } from '../projections/read-models.module';
import { AuditModule } from './audit/audit.module';
import { GraphqlApiModule } from './graphql/graphql.module';
import { FeedModule } from './feed/feed.module';
import { PublicEventsModule } from './public-events/public-events.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { SharedModule, SharedOptions } from './shared/shared.module';

export interface AppOptions extends SharedOptions {
  /** Modules added after the app's own: the REST benchmark's no-op route (bench/rest.bench.ts). */
  extraModules?: Array<Type | DynamicModule>;
}

function modules(options: AppOptions) {
  return [
    AppConfigModule,
    // Request ids, and what must never be logged: http/logging.ts.
    LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: loggerParams }),
    EventStoreModule,
    SecurityModule,
    HttpEdgeModule,
    HealthModule,
    MetricsModule,
    SharedModule.forRoot(options),
    CatalogueModule,
    AppsModule,
    AddonsModule,
    DriverModule,
    BackupsModule,
    RuntimeModule,
    ReadModelsModule,
    AuditModule,
    GraphqlApiModule,
    PublicEventsModule,
    FeedModule,
    WebhooksModule,
  ];
}

@Module({})
export class AppModule {
  /** The application; `options.clock` lets a simulation run it in simulated time. */
  static forRoot(options: AppOptions = {}): DynamicModule {
    return { module: AppModule, imports: [...modules(options), ...(options.extraModules ?? [])] };
  }
}
