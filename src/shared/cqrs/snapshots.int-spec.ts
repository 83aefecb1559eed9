import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP } from '../../apps/app.aggregate';
import { EventStore, NewEvent, ReadStreamOptions, StoredEvent } from '../../event-store/event-store.port';
import { SqliteEventStore } from '../../event-store/sqlite/sqlite-event-store';
import { withUpcasting } from '../../event-store/upcasting-event-store';
import { CommandContext } from './command-context';
import { CommandExecutor, SNAPSHOT_EVERY } from './command-executor';
import { foldVersion, SqliteSnapshotStore } from './snapshot-store';

/** Counts the events each readStream hands back: what a load cost. */
class Counting {
  read = 0;
  constructor(readonly store: EventStore) {}
  wrap(): EventStore {
    return new Proxy(this.store, {
      get: (target, prop) =>
        prop === 'readStream'
          ? async (stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]> => {
              const events = await target.readStream(stream, options);
              this.read += events.length;
              return events;
            }
          : Reflect.get(target, prop, target),
    });
  }
}

/**
 * Snapshots of folded states, on real SQLite files: a stream loaded cold by a new process
 * starts from its snapshot and reads only what follows, to the same state a full fold
 * gives; a snapshot of another fold or another log is never used; a command that ran
 * before the snapshot is still recognised as a repeat.
 */
describe('CommandExecutor with snapshots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-snapshots-'));
  let store: SqliteEventStore;
  let snapshots: SqliteSnapshotStore;
  const EVENTS = SNAPSHOT_EVERY * 2 + 234;

  const context = (causationId = randomUUID()): CommandContext => ({ actor: 'owner:alice', correlationId: randomUUID(), causationId });
  const variable = (i: number): NewEvent => ({
    id: randomUUID(),
    type: 'AppVariablesSet',
    data: { variables: [{ name: `VAR_${i % 50}`, value: String(i) }], at: '2025-03-05T12:00:00.000Z' },
    metadata: { $correlationId: 'c', $causationId: 'c', actor: 'owner:alice', occurredAt: '2025-03-05T12:00:00.000Z', schemaVersion: 1 },
  });

  beforeAll(async () => {
    store = await SqliteEventStore.open({ file: join(dir, 'events.sqlite'), synchronous: 'NORMAL' });
    snapshots = await SqliteSnapshotStore.open(join(dir, 'snapshots.sqlite'));
    const first = new CommandExecutor(withUpcasting(store));
    await first.execute(APP, 'shop', { type: 'CreateApp', data: { name: 'shop', owner: 'alice', at: '2025-03-05T12:00:00.000Z' } }, context());
    for (let i = 0; i < EVENTS; i += 100) {
      await store.append('app-shop', Array.from({ length: Math.min(100, EVENTS - i) }, (_, k) => variable(i + k)), { expectedRevision: 'any' });
    }
  });
  afterAll(async () => {
    await snapshots.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a cold load starts from the snapshot another process took, reads only what follows, and folds to the same state', async () => {
    const full = await new CommandExecutor(withUpcasting(store)).load(APP, 'shop');
    // One process folds the stream and leaves a snapshot behind.
    await new CommandExecutor(withUpcasting(store), undefined, snapshots).load(APP, 'shop');
    await new Promise((resolve) => setTimeout(resolve, 50)); // saved in the background
    const saved = await snapshots.load('app-shop', foldVersion(APP.schemaVersions, 1));
    expect(saved?.revision).toBe(full.revision);
    expect(saved?.ids).toHaveLength(EVENTS + 1);

    // A new process: a fresh executor, the same snapshot file.
    const counting = new Counting(withUpcasting(store));
    const cold = new CommandExecutor(counting.wrap(), undefined, snapshots);
    expect(await cold.load(APP, 'shop')).toEqual(full);
    expect(counting.read).toBe(1); // the snapshot's own last event, to check it is this log's

    // Appends after the snapshot are folded on top of it.
    await store.append('app-shop', [variable(9_999)], { expectedRevision: 'any' });
    const later = new Counting(withUpcasting(store));
    const again = await new CommandExecutor(later.wrap(), undefined, snapshots).load(APP, 'shop');
    expect(again).toEqual(await new CommandExecutor(withUpcasting(store)).load(APP, 'shop'));
    expect(later.read).toBe(2);
  });

  it('a snapshot of another fold version, or of another log, is not used', async () => {
    const full = await new CommandExecutor(withUpcasting(store)).load(APP, 'shop');
    const version = foldVersion(APP.schemaVersions, 1);
    const real = await snapshots.load('app-shop', version);
    // A snapshot claiming a later revision, whose event there is not the log's.
    const forged = { ...real!, revision: real!.revision + 1n, lastEventId: randomUUID(), state: { status: 'none' } };
    await snapshots.save('app-shop', version, forged);
    const counting = new Counting(withUpcasting(store));
    expect(await new CommandExecutor(counting.wrap(), undefined, snapshots).load(APP, 'shop')).toEqual(full);
    expect(counting.read).toBeGreaterThan(EVENTS); // folded from the start
    // It was dropped, and the full fold left a true snapshot in its place.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const head = (await store.readStream('app-shop')).at(-1)!;
    expect(await snapshots.load('app-shop', version)).toMatchObject({ revision: full.revision, lastEventId: head.id });
    // Another fold version is never read at all.
    await snapshots.save('app-shop', foldVersion(APP.schemaVersions, 2), { ...real!, state: { status: 'none' } });
    expect(await snapshots.load('app-shop', foldVersion(APP.schemaVersions, 1))).not.toBeNull();
    expect(foldVersion(APP.schemaVersions, 2)).not.toBe(version);
    expect(foldVersion({ ...APP.schemaVersions, AppCreated: 2 }, 1)).not.toBe(version);
  });

  it('the cache holds a bounded number of events: a long stream put out by others comes back from its snapshot, to the same state', async () => {
    const full = await new CommandExecutor(withUpcasting(store)).load(APP, 'shop');
    const other = await new CommandExecutor(withUpcasting(store)).execute(
      APP,
      'other',
      { type: 'CreateApp', data: { name: 'other', owner: 'bob', at: '2025-03-05T12:00:00.000Z' } },
      context(),
    );
    await new CommandExecutor(withUpcasting(store), undefined, snapshots).load(APP, 'shop'); // a snapshot at the head
    await new Promise((resolve) => setTimeout(resolve, 50));

    const counting = new Counting(withUpcasting(store));
    const bounded = new CommandExecutor(counting.wrap(), undefined, snapshots, { streams: 100, events: 600 });
    const unbounded = new Counting(withUpcasting(store));
    const roomy = new CommandExecutor(unbounded.wrap(), undefined, snapshots);
    for (const executor of [bounded, roomy]) {
      expect(await executor.load(APP, 'shop')).toEqual(full);
      expect(await executor.load(APP, 'other')).toEqual({ state: other.state, revision: 0n });
    }
    [counting.read, unbounded.read] = [0, 0];

    // Within its bounds, the cache answers both (each read finds no new event).
    expect(await roomy.load(APP, 'shop')).toEqual(full);
    expect(unbounded.read).toBe(0);
    // Past 600 events, the long stream went when the short one came: it is loaded again from its snapshot.
    expect(await bounded.load(APP, 'other')).toEqual({ state: other.state, revision: 0n });
    expect(counting.read).toBe(0);
    expect(await bounded.load(APP, 'shop')).toEqual(full);
    expect(counting.read).toBe(1); // the snapshot's last event, checked against the log
  });

  it('a command that ran before the snapshot is recognised as a repeat by a process that starts from it', async () => {
    const causation = randomUUID();
    const unset = { type: 'UnsetAppVariables' as const, data: { names: ['VAR_1'], at: '2025-03-06T12:00:00.000Z' } };
    const ran = await new CommandExecutor(withUpcasting(store)).execute(APP, 'shop', unset, context(causation));
    expect(ran.events).toHaveLength(1);
    // Enough events after it for a new snapshot to be taken past it.
    for (let i = 0; i < SNAPSHOT_EVERY + 10; i += 100) {
      await store.append('app-shop', Array.from({ length: 100 }, (_, k) => variable(20_000 + i + k)), { expectedRevision: 'any' });
    }
    await new CommandExecutor(withUpcasting(store), undefined, snapshots).load(APP, 'shop');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const saved = await snapshots.load('app-shop', foldVersion(APP.schemaVersions, 1));
    const [event] = (await store.readStream('app-shop')).filter((e) => e.type === 'AppVariablesUnset');
    expect(saved!.revision).toBeGreaterThan(event.revision);

    const head = await store.headPosition();
    const repeat = await new CommandExecutor(withUpcasting(store), undefined, snapshots).execute(APP, 'shop', unset, context(causation));
    expect(repeat).toMatchObject({ events: [], position: null });
    expect(await store.headPosition()).toBe(head);
  });
});
