import { Global, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '../../config/app-config';
import { RunPlatformJobHandler } from '../jobs/run-platform-job.handler';
import { allSagas } from '../sagas';
import { SAGAS } from '../sagas/saga';
import { JobWorker } from './job-worker';
import { PlatformRuntime } from './platform-runtime';
import { RuntimeStore } from './runtime-store';
import { SagaRunner } from './saga-runner';

/** Sagas, jobs and timers: what makes the platform act on the decisions in the log. */
@Global()
@Module({
  imports: [CqrsModule],
  providers: [
    {
      provide: RuntimeStore,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        await mkdir(config.dataDir, { recursive: true });
        return RuntimeStore.open(join(config.dataDir, 'runtime.sqlite'));
      },
    },
    { provide: SAGAS, inject: [AppConfig], useFactory: (config: AppConfig) => allSagas(config.runtime) },
    SagaRunner,
    JobWorker,
    PlatformRuntime,
    RunPlatformJobHandler,
  ],
  exports: [PlatformRuntime, SagaRunner, JobWorker, RuntimeStore],
})
export class RuntimeModule {}
