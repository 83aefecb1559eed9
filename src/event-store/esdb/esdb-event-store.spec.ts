import { randomUUID } from 'node:crypto';
import {
  AllStreamResolvedEvent,
  AppendResult as EsdbAppendResult,
  AppendToStreamOptions,
  EventData,
  Filter,
  Position,
  ReadAllOptions as EsdbReadAllOptions,
  ReadStreamOptions as EsdbReadStreamOptions,
  ResolvedEvent,
  StreamNotFoundError,
  SubscribeToAllOptions as EsdbSubscribeToAllOptions,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { ConcurrencyError, InvalidAppendError, NewEvent, StoredEvent } from '../event-store.port';
import { EsdbClient, EsdbClientSubscription, EsdbEventStore } from './esdb-event-store';

/** A record of the fake log. Positions leave gaps, as real record sizes do. */
interface FakeRecord {
  stream: string;
  type: string;
  id: string;
  revision: bigint;
  position: bigint;
  data: unknown;
  metadata: unknown;
  isJson: boolean;
  created: Date;
}

/**
 * An in-memory stand-in for the 6.x client with the server's documented semantics:
 * $all forwards inclusive, backwards exclusive, subscriptions exclusive, reads of $all
 * rejected at a position that is not the start of a record (so none may be sent).
 */
class FakeClient implements EsdbClient {
  readonly log: FakeRecord[] = [];
  readonly subscriptions: FakeSubscription[] = [];
  readonly readAllCalls: EsdbReadAllOptions[] = [];
  readonly appendCalls: Array<{ stream: string; events: EventData[]; options?: AppendToStreamOptions }> = [];
  disposed = 0;
  /** The next subscriptions fail after delivering this many events (one entry each). */
  failAfter: number[] = [];
  /** Simulates a server that also redelivers the event at the subscription's start. */
  inclusive = false;
  /** Simulates a server that answers an idempotent append without a position. */
  omitAppendPosition = false;
  private next = 1_000n;

  record(stream: string, type: string, data: unknown = {}, options: Partial<FakeRecord> = {}): FakeRecord {
    const revision = BigInt(this.log.filter((r) => r.stream === stream).length);
    const record: FakeRecord = {
      stream,
      type,
      id: randomUUID(),
      revision,
      position: this.next,
      data,
      metadata: metadata(),
      isJson: true,
      created: new Date(1_700_000_000_000),
      ...options,
    };
    this.next += 97n + BigInt(this.log.length % 5) * 13n;
    this.log.push(record);
    for (const subscription of this.subscriptions) subscription.offer(record);
    return record;
  }

  async appendToStream(
    stream: string,
    events: EventData[],
    options?: AppendToStreamOptions,
  ): Promise<EsdbAppendResult> {
    this.appendCalls.push({ stream, events, options });
    const current = this.log.filter((r) => r.stream === stream).length - 1;
    const expected = options?.expectedRevision ?? 'any';
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && current < 0) ||
      (expected === 'stream_exists' && current >= 0) ||
      (typeof expected === 'bigint' && BigInt(current) === expected);
    if (!ok) {
      throw new WrongExpectedVersionError(undefined, {
        streamName: stream,
        expected,
        current: current < 0 ? 'no_stream' : BigInt(current),
      });
    }
    let last: FakeRecord | undefined;
    for (const event of events) {
      last = this.record(stream, event.type, event.data, { id: event.id, metadata: event.metadata });
    }
    return {
      success: true,
      nextExpectedRevision: last!.revision,
      position: this.omitAppendPosition ? undefined : { commit: last!.position, prepare: last!.position },
    };
  }

  readStream(stream: string, options: EsdbReadStreamOptions = {}): AsyncIterable<ResolvedEvent> {
    const { fromRevision = 'start', direction = 'forwards', maxCount = Number.MAX_SAFE_INTEGER } = options;
    const records = this.log.filter((r) => r.stream === stream);
    return (async function* () {
      await Promise.resolve();
      if (records.length === 0) throw new StreamNotFoundError(undefined, stream);
      let selected: FakeRecord[];
      if (direction === 'forwards') {
        selected =
          fromRevision === 'end' ? [] : records.filter((r) => fromRevision === 'start' || r.revision >= fromRevision);
      } else {
        selected = records.filter((r) => typeof fromRevision !== 'bigint' || r.revision <= fromRevision);
        if (fromRevision === 'start') selected = selected.slice(0, 1);
        selected.reverse();
      }
      for (const record of selected.slice(0, Number(maxCount))) yield resolved(record) as ResolvedEvent;
    })();
  }

  readAll(options: EsdbReadAllOptions = {}): AsyncIterable<AllStreamResolvedEvent> {
    this.readAllCalls.push(options);
    const { fromPosition = 'start', direction = 'forwards', maxCount = Number.MAX_SAFE_INTEGER } = options;
    const log = [...this.log];
    const end = log.at(-1)?.position ?? 0n;
    const isRecord = (p: Position) => log.some((r) => r.position === p.commit) || p.commit > end;
    return (async function* () {
      await Promise.resolve();
      if (typeof fromPosition === 'object' && !isRecord(fromPosition)) {
        throw new UnknownError(undefined, 'Invalid position');
      }
      let selected: FakeRecord[];
      if (direction === 'forwards') {
        if (fromPosition === 'start') selected = log;
        else if (fromPosition === 'end') selected = [];
        else selected = log.filter((r) => r.position >= fromPosition.commit);
      } else {
        if (fromPosition === 'end') selected = log;
        else if (fromPosition === 'start') selected = [];
        else selected = log.filter((r) => r.position < fromPosition.commit);
        selected = [...selected].reverse();
      }
      for (const record of selected.slice(0, Number(maxCount))) yield resolved(record);
    })();
  }

  subscribeToAll(options: EsdbSubscribeToAllOptions = {}): EsdbClientSubscription {
    const subscription = new FakeSubscription(options, this.failAfter.shift());
    const from = options.fromPosition ?? 'start';
    const backlog =
      from === 'end'
        ? []
        : from === 'start'
          ? this.log
          : this.log.filter((r) => r.position > from.commit || (this.inclusive && r.position === from.commit));
    backlog.forEach((record) => subscription.offer(record));
    this.subscriptions.push(subscription);
    return subscription;
  }

  async dispose(): Promise<void> {
    this.disposed += 1;
  }
}

class FakeSubscription implements EsdbClientSubscription {
  private readonly queue: FakeRecord[] = [];
  private waiting:
    | { resolve(result: IteratorResult<AllStreamResolvedEvent>): void; reject(error: Error): void }
    | undefined;
  private delivered = 0;
  ended = false;
  unsubscribed = 0;

  constructor(
    readonly options: EsdbSubscribeToAllOptions,
    private readonly failAfter: number | undefined,
  ) {}

  offer(record: FakeRecord): void {
    if (this.ended || !passes(this.options.filter, record)) return;
    this.queue.push(record);
    this.flush();
  }

  async unsubscribe(): Promise<void> {
    this.unsubscribed += 1;
    this.ended = true;
    this.flush();
  }

  [Symbol.asyncIterator](): AsyncIterator<AllStreamResolvedEvent> {
    return {
      next: () =>
        new Promise((resolve, reject) => {
          this.waiting = { resolve, reject };
          this.flush();
        }),
    };
  }

  private flush(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    if (this.failAfter !== undefined && this.delivered >= this.failAfter && !this.ended) {
      this.waiting = undefined;
      this.ended = true;
      waiting.reject(new UnavailableError(undefined, 'connection to esdb://admin:changeit@node1:2113 lost'));
    } else if (this.queue.length > 0 && !this.ended) {
      this.waiting = undefined;
      this.delivered += 1;
      waiting.resolve({ value: resolved(this.queue.shift()!), done: false });
    } else if (this.ended) {
      this.waiting = undefined;
      waiting.resolve({ value: undefined, done: true });
    }
  }
}

function passes(filter: Filter | undefined, record: FakeRecord): boolean {
  if (!filter) return true;
  const field = filter.filterOn === 'streamName' ? record.stream : record.type;
  if ('prefixes' in filter) return filter.prefixes.some((p) => field.startsWith(p));
  return new RegExp(filter.regex).test(field);
}

function resolved(record: FakeRecord): AllStreamResolvedEvent {
  const position = { commit: record.position, prepare: record.position };
  return {
    event: {
      streamId: record.stream,
      id: record.id,
      revision: record.revision,
      type: record.type,
      created: record.created,
      data: record.data,
      metadata: record.metadata,
      isJson: record.isJson,
      position,
    },
    commitPosition: record.position,
  } as AllStreamResolvedEvent;
}

function metadata(): NewEvent['metadata'] {
  return {
    $correlationId: 'c',
    $causationId: 'c',
    actor: 'test',
    occurredAt: '2024-01-01T00:00:00.000Z',
    schemaVersion: 1,
  };
}

function event(type = 'Tested', data: Record<string, unknown> = {}): NewEvent {
  return { id: randomUUID().toUpperCase(), type, data: data as NewEvent['data'], metadata: metadata() };
}

const quietLogger = () => {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (message: string) => warnings.push(message), log: () => undefined } };
};

function setup(options: { failAfter?: number[] } = {}) {
  const client = new FakeClient();
  client.failAfter = options.failAfter ?? [];
  const { warnings, logger } = quietLogger();
  const store = new EsdbEventStore(client, { logger, resubscribe: { initialDelayMs: 1, maxDelayMs: 4 } });
  return { client, store, warnings };
}

type Closable = AsyncIterable<StoredEvent> & { close(): Promise<void> };

/** The first `count` events, or fewer if the subscription ends (or is closed after 1.5 s). */
async function take(subscription: Closable, count: number): Promise<StoredEvent[]> {
  const got: StoredEvent[] = [];
  const timeout = setTimeout(() => void subscription.close(), 1_500);
  try {
    for await (const e of subscription) {
      got.push(e);
      if (got.length === count) break;
    }
  } finally {
    clearTimeout(timeout);
  }
  return got;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const caught = (error: unknown) => error;

describe('EsdbEventStore (fake client)', () => {
  describe('append', () => {
    it('sends lowercased ids, maps the expected revision, and answers with the commit position', async () => {
      const { client, store } = setup();
      const batch = [event('A', { n: 1 }), event('B')];
      const result = await store.append('addon-1', batch, { expectedRevision: 'no_stream' });
      const [call] = client.appendCalls;
      expect(call.options?.expectedRevision).toBe('no_stream');
      expect(call.events.map((e) => e.id)).toEqual(batch.map((e) => e.id.toLowerCase()));
      expect(call.events[0]).toMatchObject({ contentType: 'application/json', type: 'A', data: { n: 1 } });
      expect(result).toEqual({ nextExpectedRevision: 1n, position: client.log[1].position });

      await store.append('addon-1', [event()], { expectedRevision: 1n });
      await store.append('addon-1', [event()], { expectedRevision: 'stream_exists' });
      await store.append('addon-1', [event()], { expectedRevision: 'any' });
      expect(client.appendCalls.slice(1).map((c) => c.options?.expectedRevision)).toEqual([1n, 'stream_exists', 'any']);
    });

    it('maps WrongExpectedVersionError to ConcurrencyError with expected and actual', async () => {
      const { store } = setup();
      await store.append('addon-1', [event(), event(), event()], { expectedRevision: 'no_stream' });

      const stale = await store.append('addon-1', [event()], { expectedRevision: 0n }).catch(caught);
      expect(stale).toBeInstanceOf(ConcurrencyError);
      expect(stale).toMatchObject({
        code: 'CONCURRENCY.CONFLICT',
        stream: 'addon-1',
        expectedRevision: 0n,
        actualRevision: 2n,
      });

      const exists = await store.append('addon-1', [event()], { expectedRevision: 'no_stream' }).catch(caught);
      expect(exists).toMatchObject({ expectedRevision: 'no_stream', actualRevision: 2n });

      const missing = await store.append('addon-2', [event()], { expectedRevision: 'stream_exists' }).catch(caught);
      expect(missing).toBeInstanceOf(ConcurrencyError);
      expect(missing).toMatchObject({ expectedRevision: 'stream_exists', actualRevision: 'no_stream' });
    });

    it('reads the position back when the server answers without one', async () => {
      const { client, store } = setup();
      client.omitAppendPosition = true;
      const result = await store.append('addon-1', [event(), event()], { expectedRevision: 'no_stream' });
      expect(result).toEqual({ nextExpectedRevision: 1n, position: client.log[1].position });
    });

    it('refuses malformed input before the client sees it', async () => {
      const { client, store } = setup();
      await expect(store.append('no category', [event()], { expectedRevision: 'any' })).rejects.toBeInstanceOf(
        InvalidAppendError,
      );
      expect(client.appendCalls).toHaveLength(0);
    });
  });

  describe('readStream', () => {
    it('maps the envelope, reads a missing stream as empty, reads backwards from the start as event 0', async () => {
      const { client, store } = setup();
      const sent = event('Created', { plan: 'small' });
      await store.append('addon-1', [sent, event('Resized')], { expectedRevision: 'no_stream' });
      const [first] = await store.readStream('addon-1');
      expect(first).toEqual({
        id: sent.id.toLowerCase(),
        type: 'Created',
        data: { plan: 'small' },
        metadata: sent.metadata,
        stream: 'addon-1',
        revision: 0n,
        position: client.log[0].position,
        recordedAt: client.log[0].created,
      });
      expect(await store.readStream('addon-missing')).toEqual([]);
      expect(await store.readStream('addon-missing', { direction: 'backwards' })).toEqual([]);
      const back = await store.readStream('addon-1', { direction: 'backwards', fromRevision: 'start' });
      expect(back.map((e) => e.revision)).toEqual([0n]);
      expect(await store.readStream('addon-1', { fromRevision: 'end' })).toEqual([]);
    });

    it('refuses a stream holding an event that is not a platform event', async () => {
      const { client, store } = setup();
      client.record('addon-1', 'Binary', new Uint8Array([1, 2]), { isJson: false });
      await expect(store.readStream('addon-1')).rejects.toThrow(/not a platform event/);
    });
  });

  describe('readAll', () => {
    /** 700 user events over two categories, with system events in between. */
    function populated() {
      const context = setup();
      const { client } = context;
      for (let i = 0; i < 700; i++) {
        client.record(i % 2 ? 'addon-1' : 'backup-1', i % 3 ? 'Tick' : 'Tock', { i });
        if (i % 10 === 0) client.record('$stats-node', 'StatsCollected');
        if (i % 25 === 0) client.record('addon-1', '$>', {});
      }
      client.record('$projections-x', 'Checkpoint');
      const user = client.log.filter((r) => !r.stream.startsWith('$') && !r.type.startsWith('$'));
      return { ...context, user };
    }
    const numbers = (events: StoredEvent[]) => events.map((e) => e.data.i);

    it('pages through the whole log, user events only, in order', async () => {
      const { store, user } = populated();
      const all = await store.readAll();
      expect(numbers(all)).toEqual(user.map((r) => (r.data as { i: number }).i));
      expect(all.every((e, i) => i === 0 || e.position > all[i - 1].position)).toBe(true);
    });

    it('filters by stream and type prefixes across pages', async () => {
      const { store, user } = populated();
      const tocks = await store.readAll({ filter: { streamPrefixes: ['addon-'], eventTypePrefixes: ['To'] } });
      const expected = user.filter((r) => r.stream === 'addon-1' && r.type === 'Tock');
      expect(tocks.map((e) => e.id)).toEqual(expected.map((r) => r.id));
    });

    it('reads forwards from a position inclusively, up to maxCount', async () => {
      const { store, user } = populated();
      const page = await store.readAll({ fromPosition: user[100].position, maxCount: 3 });
      expect(page.map((e) => e.id)).toEqual(user.slice(100, 103).map((r) => r.id));
    });

    it('reads backwards from a position inclusively, across pages', async () => {
      const { store, user } = populated();
      const page = await store.readAll({ direction: 'backwards', fromPosition: user[650].position, maxCount: 600 });
      expect(page.map((e) => e.id)).toEqual(user.slice(51, 651).reverse().map((r) => r.id));
      const tail = await store.readAll({ direction: 'backwards', maxCount: 2 });
      expect(tail.map((e) => e.id)).toEqual([user[699].id, user[698].id]);
      expect(await store.readAll({ direction: 'backwards', fromPosition: 'start' })).toEqual([]);
      expect(await store.readAll({ fromPosition: 'end' })).toEqual([]);
    });

    it('pages from the last position read, dropping that first event, without skipping or repeating', async () => {
      const { store, user } = populated();
      const filter = { streamPrefixes: ['addon-'] };
      const seen: StoredEvent[] = [];
      let from: bigint | 'start' = 'start';
      for (;;) {
        const page = await store.readAll({ fromPosition: from, maxCount: 64, filter });
        if (from !== 'start') expect(page[0].position).toBe(from);
        seen.push(...(from === 'start' ? page : page.slice(1)));
        if (page.length < 64) break;
        from = page[page.length - 1].position;
      }
      expect(seen.map((e) => e.id)).toEqual(user.filter((r) => r.stream === 'addon-1').map((r) => r.id));
    });

    it('skips events that are not platform events', async () => {
      const { client, store, warnings } = setup();
      client.record('addon-1', 'Binary', new Uint8Array([1]), { isJson: false });
      client.record('addon-1', 'Fine', { ok: true });
      expect((await store.readAll()).map((e) => e.type)).toEqual(['Fine']);
      expect(warnings.join('\n')).toMatch(/Skipping event 0 of addon-1/);
    });
  });

  describe('headPosition', () => {
    it('is the last user event, past trailing system events, or null', async () => {
      const { client, store } = setup();
      expect(await store.headPosition()).toBeNull();
      client.record('$stats', 'StatsCollected');
      expect(await store.headPosition()).toBeNull();
      const last = client.record('addon-1', 'Created');
      for (let i = 0; i < 20; i++) client.record('$stats', 'StatsCollected');
      expect(await store.headPosition()).toBe(last.position);
    });
  });

  describe('subscribeToAll', () => {
    it('resubscribes after a drop from the last delivered position, nothing twice, nothing skipped', async () => {
      const { client, store, warnings } = setup({ failAfter: [3, 2] });
      const before = [0, 1, 2, 3, 4].map((i) => client.record('addon-1', 'N', { i }));
      const subscription = store.subscribeToAll({ filter: { streamPrefixes: ['addon-'] } });
      const received = take(subscription, 10);
      await delay(20);
      for (let i = 5; i < 10; i++) client.record('addon-1', 'N', { i });
      const events = await received;
      expect(events.map((e) => e.data.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const froms = client.subscriptions.map((s) => s.options.fromPosition);
      expect(froms[0]).toBe('start');
      expect(froms[1]).toEqual({ commit: before[2].position, prepare: before[2].position });
      expect(froms[2]).toEqual({ commit: events[4].position, prepare: events[4].position });
      expect(warnings.filter((w) => w.includes('dropped'))).toHaveLength(2);
      expect(warnings.join('\n')).not.toContain('changeit');
      expect(client.subscriptions.every((s) => s.unsubscribed > 0)).toBe(true);
    });

    it('never delivers twice when the server repeats the event at the start position', async () => {
      const { client, store } = setup({ failAfter: [2] });
      client.inclusive = true;
      const first = client.record('addon-1', 'N', { i: 0 });
      for (let i = 1; i < 5; i++) client.record('addon-1', 'N', { i });
      const events = await take(store.subscribeToAll({ fromPosition: first.position }), 4);
      expect(events.map((e) => e.data.i)).toEqual([1, 2, 3, 4]);
    });

    it('subscribes from a position as given, without reading $all first', async () => {
      const { client, store } = setup();
      const records = [0, 1, 2, 3].map((i) => client.record('addon-1', 'N', { i }));
      const events = await take(store.subscribeToAll({ fromPosition: records[1].position }), 2);
      expect(events.map((e) => e.data.i)).toEqual([2, 3]);
      const from = records[1].position;
      expect(client.subscriptions[0].options.fromPosition).toEqual({ commit: from, prepare: from });
      expect(client.readAllCalls).toHaveLength(0);
    });

    it('from the end delivers what is appended after the call, even before iteration starts', async () => {
      const { client, store } = setup();
      client.record('addon-1', 'Old');
      client.record('$stats', 'StatsCollected');
      const subscription = store.subscribeToAll({ fromPosition: 'end' });
      await delay(5);
      client.record('addon-1', 'New');
      expect((await take(subscription, 1)).map((e) => e.type)).toEqual(['New']);
      expect(client.subscriptions[0].options.fromPosition).toEqual({
        commit: client.log[1].position,
        prepare: client.log[1].position,
      });
    });

    it('filters on the server by one list and here by the other, and drops system events', async () => {
      const { client, store } = setup();
      const typed = store.subscribeToAll({ filter: { eventTypePrefixes: ['Backup'] } });
      const both = store.subscribeToAll({ filter: { streamPrefixes: ['addon-keep'], eventTypePrefixes: ['Backup'] } });
      const none = store.subscribeToAll();
      client.record('addon-keep', 'BackupTaken', { n: 1 });
      client.record('addon-drop', 'BackupTaken', { n: 2 });
      client.record('addon-keep', 'PlanChanged', { n: 3 });
      client.record('addon-keep', '$>', { n: 4 });
      client.record('addon-keeper', 'BackupExpired', { n: 5 });
      expect((await take(typed, 3)).map((e) => e.data.n)).toEqual([1, 2, 5]);
      expect((await take(both, 2)).map((e) => e.data.n)).toEqual([1, 5]);
      expect((await take(none, 4)).map((e) => e.data.n)).toEqual([1, 2, 3, 5]);
      const filters = client.subscriptions.map((s) => s.options.filter);
      expect(filters[0]).toMatchObject({ filterOn: 'eventType', prefixes: ['Backup'] });
      expect(filters[1]).toMatchObject({ filterOn: 'streamName', prefixes: ['addon-keep'] });
      expect(filters[2]).toMatchObject({ filterOn: 'eventType', regex: '^[^$].*' });
    });

    it('ends the iteration on close() and on break, unsubscribing', async () => {
      const { client, store } = setup();
      const subscription = store.subscribeToAll({ fromPosition: 'end' });
      const done = (async () => {
        const got: StoredEvent[] = [];
        for await (const e of subscription) got.push(e);
        return got;
      })();
      await delay(10);
      await subscription.close();
      expect(await done).toEqual([]);
      expect(client.subscriptions[0].unsubscribed).toBe(1);

      client.record('addon-1', 'A');
      client.record('addon-1', 'B');
      for await (const e of store.subscribeToAll()) {
        expect(e.type).toBe('A');
        break;
      }
      expect(client.subscriptions[1].unsubscribed).toBe(1);
    });

    it('stops retrying when closed during the backoff', async () => {
      const client = new FakeClient();
      client.failAfter = [0];
      const { logger } = quietLogger();
      const store = new EsdbEventStore(client, { logger, resubscribe: { initialDelayMs: 10_000, maxDelayMs: 10_000 } });
      const subscription = store.subscribeToAll();
      const done = take(subscription, 1);
      await delay(20);
      const started = Date.now();
      await subscription.close();
      expect(await done).toEqual([]);
      expect(Date.now() - started).toBeLessThan(500);
      expect(client.subscriptions).toHaveLength(1);
    });
  });

  describe('close', () => {
    it('closes open subscriptions and disposes of the client exactly once', async () => {
      const { client, store } = setup();
      const subscription = store.subscribeToAll();
      const done = take(subscription, 1);
      await delay(10);
      await Promise.all([store.close(), store.close()]);
      await store.close();
      expect(await done).toEqual([]);
      expect(client.disposed).toBe(1);
      expect(client.subscriptions[0].unsubscribed).toBe(1);
      await expect(store.append('addon-1', [event()], { expectedRevision: 'any' })).rejects.toThrow(/closed/);
    });
  });

  describe('fromConnectionString', () => {
    it('builds a store on one client without connecting', async () => {
      const store = EsdbEventStore.fromConnectionString('esdb://localhost:2113?tls=false');
      expect(store.kind).toBe('eventstoredb');
      await store.close();
    });

    it('does not repeat a malformed connection string, which may hold credentials', () => {
      let message = '';
      try {
        EsdbEventStore.fromConnectionString('esdb://admin:s3cret@localhost:2113?tls=maybe');
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/Invalid EventStoreDB connection string/);
      expect(message).not.toContain('s3cret');
    });
  });
});
