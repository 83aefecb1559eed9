import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { withUpcasting } from '../../src/event-store/upcasting-event-store';
import { eventStoreContract } from './event-store.contract';

/** The store the app and the CLIs inject (the upcasting decorator over an adapter) keeps the port's contract. */
describe('EventStore contract: upcasting decorator over the embedded SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-contract-upcasting-'));
  let files = 0;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  eventStoreContract(async () => withUpcasting(await SqliteEventStore.open({ file: join(dir, `events-${++files}.sqlite`), synchronous: 'FULL' })));
});
