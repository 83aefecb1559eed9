import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { KeyRing } from '../security/key-ring';
import { ApiExceptionFilter } from './api-exception.filter';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyStore } from './idempotency.store';

/**
 * The HTTP edge inside Nest: the global error filter and the idempotency interceptor
 * (with its store, `DATA_DIR/http.sqlite`). What runs before Nest's router (request id,
 * body parsing) is set up in `http-pipeline.ts`.
 */
@Module({
  providers: [
    {
      provide: IdempotencyStore,
      inject: [AppConfig, KeyRing],
      useFactory: async (config: AppConfig, keyRing: KeyRing) => {
        await mkdir(config.dataDir, { recursive: true });
        return IdempotencyStore.open({ file: join(config.dataDir, 'http.sqlite'), keyRing });
      },
    },
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
})
export class HttpEdgeModule implements OnApplicationShutdown {
  constructor(@Inject(IdempotencyStore) private readonly idempotency: IdempotencyStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.idempotency.close();
  }
}
