import { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';

/**
 * The read models' own SQLite file (TypeORM, sqlite3), apart from the event log: it can
 * be deleted and rebuilt from the log at any time. Schema by migrations only. The
 * projections write through one DataSource (which migrates); queries read through
 * another, so that they see committed batches only (WAL snapshots).
 */
export async function openReadStore(file: string, { migrate = true } = {}): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'sqlite',
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
  if (migrate) await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}
