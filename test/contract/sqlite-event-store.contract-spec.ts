import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { eventStoreContract } from './event-store.contract';

describe('EventStore contract: embedded SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-contract-'));
  let files = 0;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A fresh file per case, with the production durability setting.
  eventStoreContract(() => SqliteEventStore.open({ file: join(dir, `events-${++files}.sqlite`), synchronous: 'FULL' }));
});
