import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObservedEventStore } from '../../src/event-store/observed-event-store';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { withUpcasting } from '../../src/event-store/upcasting-event-store';
import { eventStoreContract } from './event-store.contract';

/** The store the app injects with metrics on (upcasting over the observed adapter) keeps the port's contract. */
describe('EventStore contract: upcasting over the observed embedded SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-contract-observed-'));
  let files = 0;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const observer = { appended: () => undefined };
  eventStoreContract(async () =>
    withUpcasting(new ObservedEventStore(await SqliteEventStore.open({ file: join(dir, `events-${++files}.sqlite`), synchronous: 'FULL' }), observer)),
  );
});
