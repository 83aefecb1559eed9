import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP } from '../../apps/app.aggregate';
import { AppendObserver, ObservedAppend, ObservedEventStore } from '../../event-store/observed-event-store';
import { AppendOptions, AppendResult, ConcurrencyError, EventStore, NewEvent } from '../../event-store/event-store.port';
import { SqliteEventStore } from '../../event-store/sqlite/sqlite-event-store';
import { withUpcasting } from '../../event-store/upcasting-event-store';
import { CommandContext } from './command-context';
import { CommandExecutor } from './command-executor';
import { CommandObserver, ExecutedCommand } from './command-observer';

/** Records what it is told, as the metrics would count it. */
class Recorder implements CommandObserver, AppendObserver {
  readonly commands: ExecutedCommand[] = [];
  readonly appends: ObservedAppend[] = [];
  executed(command: ExecutedCommand): void {
    this.commands.push(command);
  }
  appended(append: ObservedAppend): void {
    this.appends.push(append);
  }
}

/**
 * A second writer that always gets in first once `racing`: before each append of the
 * executor, it attaches another add-on to the same app, so the real store refuses the
 * executor's expected revision every time.
 */
class RacedStore extends ObservedEventStore {
  racing = false;

  async append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    if (this.racing) {
      const at = new Date().toISOString();
      const metadata = { $correlationId: randomUUID(), $causationId: randomUUID(), actor: 'test:racer', occurredAt: at, schemaVersion: 1 };
      await this.inner.append(stream, [{ id: randomUUID(), type: 'AddonAttached', data: { addonId: randomUUID(), providerId: 'mongodb', at }, metadata }], { expectedRevision: 'any' });
    }
    return super.append(stream, events, options);
  }
}

/**
 * What the executor tells its observer about each command, on the embedded store, through
 * the store the app composes (upcasting over the observed adapter): every outcome an
 * operator's dashboard tells apart.
 */
describe('CommandExecutor: the outcome of every command, for monitoring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-executor-'));
  let files = 0;
  let adapter: SqliteEventStore;
  let recorder: Recorder;
  let executor: CommandExecutor;

  const context = (): CommandContext => ({ actor: 'owner:alice', correlationId: randomUUID(), causationId: randomUUID() });
  const create = (name: string) => ({ type: 'CreateApp' as const, data: { name, owner: 'owner:alice', at: new Date().toISOString() } });

  async function open(compose: (adapter: EventStore, recorder: Recorder) => EventStore = (a, r) => new ObservedEventStore(a, r)) {
    adapter = await SqliteEventStore.open({ file: join(dir, `events-${++files}.sqlite`), synchronous: 'NORMAL' });
    recorder = new Recorder();
    executor = new CommandExecutor(withUpcasting(compose(adapter, recorder)), recorder);
  }

  afterEach(() => adapter.close());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const outcomes = () => recorder.commands.map(({ aggregate, type, outcome, code }) => ({ aggregate, type, outcome, ...(code && { code }) }));

  it('ok when events are appended, with the append timed and its events counted', async () => {
    await open();
    await executor.execute(APP, 'shop', create('shop'), context());
    expect(outcomes()).toEqual([{ aggregate: 'app', type: 'CreateApp', outcome: 'ok' }]);
    expect(recorder.commands[0].seconds).toBeGreaterThanOrEqual(0);
    expect(recorder.appends).toEqual([{ category: 'app', events: 1, outcome: 'ok', seconds: expect.any(Number) }]);
  });

  it('noop for a repeat of the same command (same causation) and for a command with nothing to append; neither appends', async () => {
    await open();
    const first = context();
    await executor.execute(APP, 'shop', create('shop'), first);
    await executor.execute(APP, 'shop', create('shop'), first);
    await executor.execute(APP, 'shop', { type: 'DetachAddon', data: { addonId: randomUUID(), at: new Date().toISOString() } }, context());
    expect(outcomes().map((o) => `${o.type} ${o.outcome}`)).toEqual(['CreateApp ok', 'CreateApp noop', 'DetachAddon noop']);
    expect(recorder.appends).toHaveLength(1);
  });

  it('rejected with the stable code when the rules refuse it', async () => {
    await open();
    await executor.execute(APP, 'shop', create('shop'), context());
    await expect(executor.execute(APP, 'shop', create('shop'), context())).rejects.toMatchObject({ code: 'APP.ALREADY_EXISTS' });
    await expect(executor.execute(APP, 'ghost', { type: 'DetachAddon', data: { addonId: randomUUID(), at: new Date().toISOString() } }, context()))
      .rejects.toMatchObject({ code: 'APP.NOT_FOUND' });
    expect(outcomes().slice(1)).toEqual([
      { aggregate: 'app', type: 'CreateApp', outcome: 'rejected', code: 'APP.ALREADY_EXISTS' },
      { aggregate: 'app', type: 'DetachAddon', outcome: 'rejected', code: 'APP.NOT_FOUND' },
    ]);
  });

  it('conflict once the retries are spent against a writer that always gets in first; each refused append is timed as a conflict', async () => {
    let raced!: RacedStore;
    await open((a, r) => (raced = new RacedStore(a, r)));
    await executor.execute(APP, 'shop', create('shop'), context());
    raced.racing = true;
    recorder.appends.length = 0;
    const attach = { type: 'AttachAddon' as const, data: { addonId: randomUUID(), providerId: 'redis', at: new Date().toISOString() } };
    await expect(executor.execute(APP, 'shop', attach, context())).rejects.toBeInstanceOf(ConcurrencyError);
    expect(outcomes().at(-1)).toEqual({ aggregate: 'app', type: 'AttachAddon', outcome: 'conflict' });
    // Five attempts, each refused (the racer's own appends go to the adapter, unobserved).
    expect(recorder.appends.map((a) => a.outcome)).toEqual(['conflict', 'conflict', 'conflict', 'conflict', 'conflict']);
  });

  it('error for anything else (the store closed), and an observer that throws never fails a command', async () => {
    await open();
    await adapter.close();
    await expect(executor.execute(APP, 'shop', create('shop'), context())).rejects.toThrow('closed');
    expect(outcomes()).toEqual([{ aggregate: 'app', type: 'CreateApp', outcome: 'error' }]);

    const store = await SqliteEventStore.open({ file: join(dir, `events-${++files}.sqlite`), synchronous: 'NORMAL' });
    const broken = { executed: () => { throw new Error('metrics down'); }, appended: () => { throw new Error('metrics down'); } };
    const resilient = new CommandExecutor(withUpcasting(new ObservedEventStore(store, broken)), broken);
    await expect(resilient.execute(APP, 'shop', create('shop'), context())).resolves.toMatchObject({ position: 1n });
    await expect(resilient.execute(APP, 'shop', create('shop'), context())).rejects.toMatchObject({ code: 'APP.ALREADY_EXISTS' });
    await store.close();
  });
});
