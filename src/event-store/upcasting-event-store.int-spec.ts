import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, NewEvent, StoredEvent } from './event-store.port';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { UpcastingEventStore, withUpcasting } from './upcasting-event-store';

const ADDON = 'c3f1b0de-8a51-4f5e-9a43-2f7f0c1d9e11';
const ARCHIVE = `/${ADDON}/b1.dump.gz`;
const AT = '2026-01-05T09:02:00.000Z';

function event(type: string, data: NewEvent['data'], schemaVersion: number): NewEvent {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: { $correlationId: 'corr-1', $causationId: 'cause-1', actor: 'platform:test', occurredAt: AT, schemaVersion, extra: 'kept' },
  };
}
const takenV1 = () =>
  event('BackupTaken', { backupId: 'b1', sizeBytes: 10, checksum: 'sha256:00', replicas: [`dc-primary:${ARCHIVE}`, `provider-snapshot:${ARCHIVE}`], at: AT }, 1);
const V2_REPLICAS = [
  { site: 'dc-primary', path: ARCHIVE },
  { site: 'provider-snapshot', path: ARCHIVE },
];

/** The decorator over the real embedded store, on a temp file: what every reader of the app goes through. */
describe('UpcastingEventStore', () => {
  let dir: string;
  let raw: SqliteEventStore;
  let store: EventStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'db-addons-upcasting-'));
    raw = await SqliteEventStore.open({ file: join(dir, 'events.sqlite') });
    store = withUpcasting(raw);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a stored BackupTaken v1 as v2 in readStream, readAll and subscribeToAll; the envelope as stored', async () => {
    const stored = takenV1();
    await raw.append(`addon-${ADDON}`, [stored], { expectedRevision: 'any' });
    const [asStored] = await raw.readStream(`addon-${ADDON}`);
    const expected: StoredEvent = {
      ...asStored,
      data: { ...asStored.data, replicas: V2_REPLICAS },
      metadata: { ...asStored.metadata, schemaVersion: 2 },
    };

    expect(await store.readStream(`addon-${ADDON}`)).toEqual([expected]);
    expect(await store.readStream(`addon-${ADDON}`, { direction: 'backwards', maxCount: 1 })).toEqual([expected]);
    expect(await store.readAll()).toEqual([expected]);
    expect(await store.readAll({ filter: { eventTypePrefixes: ['Backup'] } })).toEqual([expected]);
    const subscription = store.subscribeToAll({ fromPosition: 'start' });
    for await (const live of subscription) {
      expect(live).toEqual(expected);
      break;
    }
    // The stored event itself is untouched: upcasting happens on read only.
    expect((await raw.readStream(`addon-${ADDON}`))[0]).toEqual(asStored);
    expect(asStored.metadata).toMatchObject({ schemaVersion: 1, extra: 'kept' });
  });

  it('hands on as stored events already current, of types with no upcaster, of unknown types and of other streams', async () => {
    const events = [
      event('BackupTaken', { backupId: 'b1', sizeBytes: 10, checksum: 'sha256:00', replicas: V2_REPLICAS, at: AT }, 2),
      event('AddonRunning', { at: AT }, 1),
      event('SomethingNew', { replicas: ['not parsed'] }, 1),
    ];
    await raw.append(`addon-${ADDON}`, events, { expectedRevision: 'any' });
    // A token stream is no aggregate's: even a BackupTaken v1 there is not parsed.
    await raw.append('token-abc', [event('TokenIssued', { subject: 'alice' }, 1), event('BackupTaken', { replicas: ['x'] }, 1)], {
      expectedRevision: 'any',
    });
    expect(await store.readAll()).toEqual(await raw.readAll());
    expect(await store.readStream('token-abc')).toEqual(await raw.readStream('token-abc'));
  });

  it('a live event appended after the subscription started is upcast too', async () => {
    const subscription = store.subscribeToAll({ fromPosition: 'end', filter: { streamPrefixes: ['addon-'] } });
    const first = (async () => {
      for await (const e of subscription) return e;
      return undefined;
    })();
    await raw.append(`addon-${ADDON}`, [takenV1()], { expectedRevision: 'any' });
    expect(await first).toMatchObject({ data: { replicas: V2_REPLICAS }, metadata: { schemaVersion: 2 } });
  });

  it('an event that cannot be upcast fails the read, naming the type, version, event and position', async () => {
    const broken = event('BackupTaken', { backupId: 'b1', sizeBytes: 1, checksum: 'c', replicas: ['dc1'], at: AT }, 1);
    await raw.append(`addon-${ADDON}`, [broken], { expectedRevision: 'any' });
    const message = `Cannot read BackupTaken stored at schema version 1: replica "dc1" is not "<site>:<path>"`;
    await expect(store.readStream(`addon-${ADDON}`)).rejects.toThrow(message);
    await expect(store.readAll()).rejects.toThrow(`(event ${broken.id}, BackupTaken on addon-${ADDON}, position 1)`);
    await expect(store.readAll()).rejects.toMatchObject({ name: 'UnreadableEventError', eventId: broken.id, position: 1n });
    const subscription = store.subscribeToAll();
    await expect((async () => {
      for await (const e of subscription) return e;
    })()).rejects.toThrow(message);
  });

  it('refuses a version newer than this build knows', async () => {
    await raw.append(`app-shop`, [event('AppCreated', { name: 'shop', owner: 'alice', at: AT }, 2)], { expectedRevision: 'any' });
    await expect(store.readStream('app-shop')).rejects.toThrow('Cannot read AppCreated stored at schema version 2: this build knows versions up to 1');
  });

  it('is applied once: decorating a decorated store answers it', () => {
    expect(store).toBeInstanceOf(UpcastingEventStore);
    expect(withUpcasting(store)).toBe(store);
    expect(store.kind).toBe('sqlite');
  });
});
