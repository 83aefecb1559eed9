import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppConfig } from '../config/app-config';
import { EsdbEventStore } from './esdb/esdb-event-store';
import { EventStore } from './event-store.port';
import { AppendObserver, ObservedEventStore } from './observed-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { withUpcasting } from './upcasting-event-store';

/**
 * Picks the adapter from configuration (EventStoreDB when a connection string is set) and
 * reads it through the upcasters: whatever injects `EventStore` sees current schema versions.
 * With an `AppendObserver` (metrics), appends are timed beneath the upcasting.
 */
async function openEventStore(config: AppConfig, observer?: AppendObserver): Promise<EventStore> {
  const adapter = await openAdapter(config);
  return withUpcasting(observer ? new ObservedEventStore(adapter, observer) : adapter);
}

async function openAdapter(config: AppConfig): Promise<EventStore> {
  const logger = new Logger('EventStore');
  const settings = config.eventStore;
  if (settings.kind === 'eventstoredb') {
    logger.log('Using EventStoreDB');
    return EsdbEventStore.fromConnectionString(settings.connectionString, { logger });
  }
  await mkdir(dirname(settings.file), { recursive: true });
  logger.log(`Using the embedded SQLite store at ${settings.file} (synchronous=${settings.synchronous})`);
  return SqliteEventStore.open({ file: settings.file, synchronous: settings.synchronous });
}

@Global()
@Module({
  providers: [
    { provide: EventStore, inject: [AppConfig, { token: AppendObserver, optional: true }], useFactory: openEventStore },
  ],
  exports: [EventStore],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EventStore) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
