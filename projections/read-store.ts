import * as sqlite3 from 'sqlite3';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';

/**
 * The read models' own SQLite file (TypeORM, sqlite3), apart from the event log: it can
 * be deleted and rebuilt from the log at any time. Schema by migrations only. The
 * projections write through one DataSource (which migrates); queries read through
 * another, so that they see committed batches only (WAL snapshots).
 */
/**
 * sqlite3 as TypeORM's driver, minus its `verbose()`: TypeORM turns it on, and it patches
 * every Database and Statement call of the process (the event store's too) to capture a
 * stack trace and `util.inspect` each parameter, for longer stacks on errors. That
 * doubled the cost of a projection batch.
 */
const SQLITE3_QUIET = { ...sqlite3, verbose: () => sqlite3 };

export async function openReadStore(file: string, { migrate = true } = {}): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'sqlite',
    driver: SQLITE3_QUIET,
    database: file,
    enableWAL: true,
    busyTimeout: 5_000,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    logging: false,
  });
  await dataSource.initialize();
  await dataSource.query('PRAGMA synchronous = NORMAL');
  // 32 MB of page cache (the default is 2 MB): a batch's index pages stay in memory.
  await dataSource.query('PRAGMA cache_size = -32000');
  if (migrate) await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}
