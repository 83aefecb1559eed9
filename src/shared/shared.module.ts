import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppConfig } from '../config/app-config';
import { Clock, SystemClock } from './clock';
import { CommandExecutor } from './cqrs/command-executor';
import { SnapshotStore, SqliteSnapshotStore } from './cqrs/snapshot-store';
import { CryptoRandom, Random } from './random';

export interface SharedOptions {
  /** The platform's clock: the system clock unless a simulation brings its own. */
  clock?: Clock;
}

/** Time, randomness and the command executor (with its snapshots, `DATA_DIR/snapshots.sqlite`), for every feature. */
@Global()
@Module({})
export class SharedModule implements OnApplicationShutdown {
  constructor(@Inject(SnapshotStore) private readonly snapshots: SnapshotStore) {}

  static forRoot({ clock }: SharedOptions = {}): DynamicModule {
    return {
      module: SharedModule,
      providers: [
        { provide: Clock, useValue: clock ?? new SystemClock() },
        { provide: Random, useClass: CryptoRandom },
        {
          provide: SnapshotStore,
          inject: [AppConfig],
          useFactory: async (config: AppConfig) => {
            await mkdir(config.dataDir, { recursive: true });
            return SqliteSnapshotStore.open(resolve(config.dataDir, 'snapshots.sqlite'));
          },
        },
        CommandExecutor,
      ],
      exports: [Clock, Random, CommandExecutor],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.snapshots.close();
  }
}
