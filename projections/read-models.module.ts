import { BeforeApplicationShutdown, Global, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../src/config/app-config';
import { EventStore } from '../src/event-store/event-store.port';
import { ALL_PROJECTIONS } from './index';
import { Projection, PROJECTIONS } from './projection';
import { ProjectionRunner } from './projection-runner';
import { openReadStore } from './read-store';
import { READ_STORE, READ_STORE_WRITER, ReadModels } from './read-models';

/** How long an idle projection waits before reading the log again (a query waiting for it wakes it). */
const IDLE_MS = 200;

/** The read store, its projections' runners (when PROJECTIONS=on) and the query side. */
@Global()
@Module({
  providers: [
    {
      provide: READ_STORE_WRITER,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        await mkdir(dirname(config.readModels.file), { recursive: true });
        return openReadStore(config.readModels.file);
      },
    },
    {
      provide: READ_STORE,
      // After the writer: it creates the file and migrates it.
      inject: [AppConfig, READ_STORE_WRITER],
      useFactory: (config: AppConfig) => openReadStore(config.readModels.file, { migrate: false }),
    },
    { provide: PROJECTIONS, useValue: ALL_PROJECTIONS },
    ReadModels,
  ],
  exports: [ReadModels, READ_STORE],
})
export class ReadModelsModule implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('ReadModels');

  constructor(
    private readonly readModels: ReadModels,
    private readonly store: EventStore,
    private readonly config: AppConfig,
    @Inject(READ_STORE_WRITER) private readonly db: DataSource,
    @Inject(READ_STORE) private readonly reader: DataSource,
    @Inject(PROJECTIONS) private readonly projections: readonly Projection[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const runners = this.projections.map(
      (p) => new ProjectionRunner(p, this.store, this.db, { batchSize: this.config.readModels.batchSize, idleMs: IDLE_MS }),
    );
    for (const runner of runners) await runner.prepare();
    this.readModels.runners = runners;
    if (!this.config.readModels.enabled) return;
    for (const runner of runners) runner.start();
    this.logger.log(`Projections running: ${runners.map((r) => `${r.projection.name} v${r.projection.version}`).join(', ')}`);
  }

  /** Before the event store closes: each runner stops between two batches. */
  async beforeApplicationShutdown(): Promise<void> {
    for (const runner of this.readModels.runners) await runner.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.reader.isInitialized) await this.reader.destroy();
    if (this.db.isInitialized) await this.db.destroy();
  }
}
