import { randomUUID } from 'node:crypto';
import {
  ConcurrencyError,
  EventStore,
  InvalidAppendError,
  NewEvent,
  StoredEvent,
  SubscribeToAllOptions,
} from '../../src/event-store/event-store.port';

/** Opens a store on a backend; the suite closes it after each case. */
export type EventStoreFactory = () => Promise<EventStore>;

/**
 * The behaviour every adapter of `EventStore` must show, run once per backend. Each case
 * names its streams under a fresh category, so it also runs against a shared server that
 * already holds other events (it filters the global log by that category).
 */
export function eventStoreContract(factory: EventStoreFactory): void {
  let store: EventStore;
  let category: string;
  const stream = (id: string | number) => `${category}-${id}`;
  const mine = () => ({ streamPrefixes: [`${category}-`] });

  beforeEach(async () => {
    store = await factory();
    category = `ct${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  });
  afterEach(async () => {
    await store.close();
  });

  describe('append with an expected revision', () => {
    it('no_stream creates the stream at revision 0', async () => {
      const result = await store.append(stream(1), [event('Created')], { expectedRevision: 'no_stream' });
      expect(result.nextExpectedRevision).toBe(0n);
      const [stored] = await store.readStream(stream(1));
      expect(stored.revision).toBe(0n);
      expect(stored.position).toBe(result.position);
    });

    it('no_stream on an existing stream is a conflict naming the actual revision', async () => {
      await store.append(stream(1), [event(), event()], { expectedRevision: 'no_stream' });
      const error = await caught(store.append(stream(1), [event()], { expectedRevision: 'no_stream' }));
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ code: 'CONCURRENCY.CONFLICT', expectedRevision: 'no_stream', actualRevision: 1n });
    });

    it('an exact revision that matches appends after it', async () => {
      await store.append(stream(1), [event()], { expectedRevision: 'no_stream' });
      const result = await store.append(stream(1), [event(), event()], { expectedRevision: 0n });
      expect(result.nextExpectedRevision).toBe(2n);
      expect((await store.readStream(stream(1))).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
    });

    it('a stale exact revision is a conflict carrying expected and actual', async () => {
      await store.append(stream(1), [event(), event(), event()], { expectedRevision: 'no_stream' });
      const error = await caught(store.append(stream(1), [event()], { expectedRevision: 1n }));
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ stream: stream(1), expectedRevision: 1n, actualRevision: 2n });
      expect(await store.readStream(stream(1))).toHaveLength(3);
    });

    it('an exact revision ahead of the stream is a conflict', async () => {
      await store.append(stream(1), [event()], { expectedRevision: 'no_stream' });
      const error = await caught(store.append(stream(1), [event()], { expectedRevision: 5n }));
      expect(error).toMatchObject({ expectedRevision: 5n, actualRevision: 0n });
    });

    it('an exact revision on a missing stream is a conflict with actual no_stream', async () => {
      const error = await caught(store.append(stream(1), [event()], { expectedRevision: 0n }));
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ expectedRevision: 0n, actualRevision: 'no_stream' });
      expect(await store.readStream(stream(1))).toEqual([]);
    });

    it('stream_exists refuses a missing stream and appends to an existing one', async () => {
      const error = await caught(store.append(stream(1), [event()], { expectedRevision: 'stream_exists' }));
      expect(error).toMatchObject({ expectedRevision: 'stream_exists', actualRevision: 'no_stream' });
      await store.append(stream(1), [event()], { expectedRevision: 'no_stream' });
      const result = await store.append(stream(1), [event()], { expectedRevision: 'stream_exists' });
      expect(result.nextExpectedRevision).toBe(1n);
    });

    it('any appends to a new and to an existing stream without a check', async () => {
      expect((await store.append(stream(1), [event()], { expectedRevision: 'any' })).nextExpectedRevision).toBe(0n);
      expect((await store.append(stream(1), [event()], { expectedRevision: 'any' })).nextExpectedRevision).toBe(1n);
    });

    it('of racing writers at the same revision exactly one wins', async () => {
      await store.append(stream(1), [event()], { expectedRevision: 'no_stream' });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, () => store.append(stream(1), [event(), event()], { expectedRevision: 0n })),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.every((o) => o.reason instanceof ConcurrencyError)).toBe(true);
      expect(await store.readStream(stream(1))).toHaveLength(3);
    });
  });

  describe('atomic multi-event appends', () => {
    it('gives the events consecutive revisions and increasing positions', async () => {
      const batch = [event('A'), event('B'), event('C')];
      const result = await store.append(stream(1), batch, { expectedRevision: 'no_stream' });
      const stored = await store.readStream(stream(1));
      expect(stored.map((e) => [e.id, e.revision])).toEqual(batch.map((e, i) => [e.id, BigInt(i)]));
      expect(isIncreasing(stored.map((e) => e.position))).toBe(true);
      expect(stored[2].position).toBe(result.position);
    });

    it('writes none of the events when the batch conflicts', async () => {
      await store.append(stream(1), [event()], { expectedRevision: 'no_stream' });
      const before = await store.readAll({ filter: mine() });
      await caught(store.append(stream(1), [event(), event(), event()], { expectedRevision: 'no_stream' }));
      expect(await store.readAll({ filter: mine() })).toEqual(before);
    });

    it('refuses malformed input with a stable code and writes nothing', async () => {
      const id = randomUUID();
      const cases: Array<[string, NewEvent[]]> = [
        [stream(1), []],
        ['no category', [event()]],
        [stream(1), [event('X', {}, id), event('Y', {}, id)]],
        [stream(1), [{ ...event(), id: 'not-a-uuid' }]],
        [stream(1), [{ ...event(), metadata: { ...event().metadata, actor: '' } }]],
        [stream(1), [event('Big', { blob: 'x'.repeat(1_100_000) })]],
      ];
      for (const [name, events] of cases) {
        const error = await caught(store.append(name, events, { expectedRevision: 'any' }));
        expect(error).toBeInstanceOf(InvalidAppendError);
        expect(error).toMatchObject({ code: 'EVENT_STORE.INVALID_APPEND' });
      }
      expect(await store.readAll({ filter: mine() })).toEqual([]);
    });
  });

  describe('reading a stream', () => {
    beforeEach(async () => {
      await store.append(stream(1), range(5).map((i) => event('Numbered', { i })), { expectedRevision: 'no_stream' });
    });
    const numbers = (events: StoredEvent[]) => events.map((e) => e.data.i);

    it('forwards from the start, from a revision, and up to maxCount', async () => {
      expect(numbers(await store.readStream(stream(1)))).toEqual([0, 1, 2, 3, 4]);
      expect(numbers(await store.readStream(stream(1), { fromRevision: 2n }))).toEqual([2, 3, 4]);
      expect(numbers(await store.readStream(stream(1), { fromRevision: 1n, maxCount: 2 }))).toEqual([1, 2]);
      expect(await store.readStream(stream(1), { fromRevision: 'end' })).toEqual([]);
    });

    it('backwards from the end, from a revision, and up to maxCount', async () => {
      expect(numbers(await store.readStream(stream(1), { direction: 'backwards' }))).toEqual([4, 3, 2, 1, 0]);
      const from3 = await store.readStream(stream(1), { direction: 'backwards', fromRevision: 3n, maxCount: 2 });
      expect(numbers(from3)).toEqual([3, 2]);
      const last = await store.readStream(stream(1), { direction: 'backwards', maxCount: 1 });
      expect(last.map((e) => e.revision)).toEqual([4n]);
    });

    it('reads a missing stream as empty', async () => {
      expect(await store.readStream(stream('missing'))).toEqual([]);
      expect(await store.readStream(stream('missing'), { direction: 'backwards' })).toEqual([]);
    });
  });

  describe('reading the global log', () => {
    let appended: StoredEvent[];
    beforeEach(async () => {
      // Interleave three streams so the global order differs from every stream's order.
      for (let i = 0; i < 9; i++) {
        const s = stream(`s${i % 3}`);
        await store.append(s, [event(i % 2 ? 'Odd' : 'Even', { i })], { expectedRevision: 'any' });
      }
      appended = await store.readAll({ filter: mine() });
    });

    it('returns every stream in the order of the appends, positions increasing', async () => {
      expect(appended.map((e) => e.data.i)).toEqual(range(9));
      expect(isIncreasing(appended.map((e) => e.position))).toBe(true);
    });

    it('reads forwards from a position, inclusive, up to maxCount', async () => {
      const page = await store.readAll({ fromPosition: appended[3].position, maxCount: 4, filter: mine() });
      expect(page.map((e) => e.data.i)).toEqual([3, 4, 5, 6]);
    });

    it('reads backwards from the end and from a position, inclusive', async () => {
      const tail = await store.readAll({ direction: 'backwards', maxCount: 2, filter: mine() });
      expect(tail.map((e) => e.data.i)).toEqual([8, 7]);
      const from5 = await store.readAll({
        direction: 'backwards',
        fromPosition: appended[5].position,
        maxCount: 3,
        filter: mine(),
      });
      expect(from5.map((e) => e.data.i)).toEqual([5, 4, 3]);
    });

    it('pages through the log from the last position read, without skipping or repeating', async () => {
      const seen: StoredEvent[] = [];
      let from = appended[0].position;
      for (let pageNumber = 0; ; pageNumber++) {
        const page = await store.readAll({ fromPosition: from, maxCount: 3, filter: mine() });
        // Inclusive: every page after the first starts with the event it was read from.
        if (pageNumber > 0) expect(page[0].position).toBe(from);
        seen.push(...(pageNumber > 0 ? page.slice(1) : page));
        if (page.length < 3) break;
        from = page[page.length - 1].position;
      }
      expect(seen.map((e) => e.id)).toEqual(appended.map((e) => e.id));
    });

    it('filters by stream prefix, by event type prefix, and by both', async () => {
      const s1 = await store.readAll({ filter: { streamPrefixes: [stream('s1')] } });
      expect(s1.map((e) => e.data.i)).toEqual([1, 4, 7]);
      const odd = await store.readAll({ filter: { ...mine(), eventTypePrefixes: ['Od'] } });
      expect(odd.map((e) => e.data.i)).toEqual([1, 3, 5, 7]);
      const both = await store.readAll({ filter: { streamPrefixes: [stream('s1'), stream('s2')], eventTypePrefixes: ['Even'] } });
      expect(both.map((e) => e.data.i)).toEqual([2, 4, 8]);
    });

    it('knows the position of the last event', async () => {
      expect(await store.headPosition()).toBe(appended[appended.length - 1].position);
    });
  });

  describe('the envelope', () => {
    it('keeps id, type, data, metadata, stream, revision, position and time', async () => {
      const sent = event('AddonProvisioned', { addonId: 'a-1', plan: 'redis-starter-256', nodes: [1, 2], tls: true });
      sent.metadata = { ...sent.metadata, $correlationId: 'req-42', $causationId: 'cmd-7', actor: 'owner:alice' };
      const before = Date.now();
      const { position } = await store.append(stream('env'), [sent], { expectedRevision: 'no_stream' });
      const [stored] = await store.readStream(stream('env'));
      expect(stored).toMatchObject({ ...sent, stream: stream('env'), revision: 0n, position });
      expect(stored.recordedAt).toBeInstanceOf(Date);
      expect(stored.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
    });

    it('round-trips a large payload byte for byte', async () => {
      const blob = Array.from({ length: 16_000 }, (_, i) => `line ${i}: ${'é'.repeat(i % 7)}`).join('\n');
      const sent = event('Large', { blob });
      expect(Buffer.byteLength(JSON.stringify(sent.data))).toBeGreaterThan(250_000);
      await store.append(stream('big'), [sent], { expectedRevision: 'no_stream' });
      const [stored] = await store.readStream(stream('big'));
      expect(stored.data.blob).toBe(blob);
    });

    it('round-trips non-ASCII text in data and metadata', async () => {
      const text = 'Zürich 東京 मुंबई القاهرة 🐘🚀 e\u0301 "quoted" \\ \u2028 tab\t';
      const sent = event('Unicode', { text, [text]: text });
      sent.metadata = { ...sent.metadata, actor: 'owner:Łukasz-李', note: text };
      await store.append(stream('ü'), [sent], { expectedRevision: 'no_stream' });
      const [stored] = await store.readStream(stream('ü'));
      expect(stored.data).toEqual({ text, [text]: text });
      expect(stored.metadata.actor).toBe('owner:Łukasz-李');
      expect(stored.metadata.note).toBe(text);
    });
  });

  describe('idempotent re-append', () => {
    it('the same ids at the same exact revision write nothing and answer as the first time', async () => {
      await store.append(stream(1), [event()], { expectedRevision: 'no_stream' });
      const batch = [event(), event()];
      const first = await store.append(stream(1), batch, { expectedRevision: 0n });
      const again = await store.append(stream(1), batch, { expectedRevision: 0n });
      expect(again).toEqual(first);
      expect(await store.readStream(stream(1))).toHaveLength(3);
    });

    it('holds after the stream moved on', async () => {
      const batch = [event(), event()];
      const first = await store.append(stream(1), batch, { expectedRevision: 'no_stream' });
      await store.append(stream(1), [event()], { expectedRevision: 1n });
      expect(await store.append(stream(1), batch, { expectedRevision: 'no_stream' })).toEqual(first);
      expect(await store.readStream(stream(1))).toHaveLength(3);
    });

    it('holds with any', async () => {
      const batch = [event(), event()];
      const first = await store.append(stream(1), batch, { expectedRevision: 'any' });
      expect(await store.append(stream(1), batch, { expectedRevision: 'any' })).toEqual(first);
      expect(await store.readStream(stream(1))).toHaveLength(2);
    });

    it('a batch that only partly matches is a conflict and writes nothing', async () => {
      const [a, b] = [event(), event()];
      await store.append(stream(1), [a, b], { expectedRevision: 'no_stream' });
      await caught(store.append(stream(1), [a, event()], { expectedRevision: 'no_stream' }), ConcurrencyError);
      await caught(store.append(stream(1), [a, b, event()], { expectedRevision: 'no_stream' }), ConcurrencyError);
      expect((await store.readStream(stream(1))).map((e) => e.id)).toEqual([a.id, b.id]);
    });

    it('the same ids at another revision than the original are a conflict', async () => {
      const a = event();
      await store.append(stream(1), [event()], { expectedRevision: 'no_stream' });
      await store.append(stream(1), [a], { expectedRevision: 0n });
      await caught(store.append(stream(1), [a], { expectedRevision: 'no_stream' }), ConcurrencyError);
      expect(await store.readStream(stream(1))).toHaveLength(2);
    });
  });

  describe('subscribing to the global log', () => {
    it('catches up on the past, then delivers live events, in order', async () => {
      const start = await startPosition();
      await store.append(stream(1), [event('Past', { i: 0 }), event('Past', { i: 1 })], { expectedRevision: 'any' });
      const subscription = store.subscribeToAll({ fromPosition: start, filter: mine() });
      const received = collect(subscription, 4);
      await store.append(stream(2), [event('Live', { i: 2 })], { expectedRevision: 'any' });
      await store.append(stream(1), [event('Live', { i: 3 })], { expectedRevision: 'any' });
      expect((await received).map((e) => [e.type, e.data.i])).toEqual([
        ['Past', 0],
        ['Past', 1],
        ['Live', 2],
        ['Live', 3],
      ]);
    });

    it('hands over from catch-up to live under 1,000 racing appends with nothing lost or repeated', async () => {
      const start = await startPosition();
      const ids: string[] = [];
      for (let i = 0; i < 100; i++) {
        const e = event('Before', { i });
        ids.push(e.id);
        await store.append(stream(`w${i % 4}`), [e], { expectedRevision: 'any' });
      }
      const subscription = store.subscribeToAll({ fromPosition: start, filter: mine() });
      const expected = 100 + 1_000;
      // A slow start keeps the subscriber in catch-up while the writers race ahead.
      const received = collect(subscription, expected, { slowFirst: 50, settleMs: 300 });
      const writers = range(8).map(async (w) => {
        for (let i = 0; i < 125; i++) {
          const e = event('Racing', { w, i });
          ids.push(e.id);
          await store.append(stream(`r${w}`), [e], { expectedRevision: 'any' });
        }
      });
      await Promise.all(writers);
      const events = await received;
      expect(events).toHaveLength(expected);
      expect(new Set(events.map((e) => e.id)).size).toBe(expected);
      expect(new Set(events.map((e) => e.id))).toEqual(new Set(ids));
      expect(isIncreasing(events.map((e) => e.position))).toBe(true);
      // Each writer's events arrive in the order it appended them.
      for (const w of range(8)) {
        expect(events.filter((e) => e.data.w === w).map((e) => e.data.i)).toEqual(range(125));
      }
    });

    it('resumes strictly after a stored position', async () => {
      const start = await startPosition();
      for (let i = 0; i < 6; i++) await store.append(stream(1), [event('N', { i })], { expectedRevision: 'any' });
      const firstThree = await collect(store.subscribeToAll({ fromPosition: start, filter: mine() }), 3);
      const checkpoint = firstThree[2].position;
      // A restarted consumer passes the position of the last event it processed.
      const rest = collect(store.subscribeToAll({ fromPosition: checkpoint, filter: mine() }), 4);
      await store.append(stream(1), [event('N', { i: 6 })], { expectedRevision: 'any' });
      expect((await rest).map((e) => e.data.i)).toEqual([3, 4, 5, 6]);
    });

    it('from the end delivers only what is appended afterwards', async () => {
      await store.append(stream(1), [event('Old')], { expectedRevision: 'any' });
      const subscription = store.subscribeToAll({ fromPosition: 'end', filter: mine() });
      const received = collect(subscription, 1);
      await delay(100);
      await store.append(stream(1), [event('New')], { expectedRevision: 'any' });
      expect((await received).map((e) => e.type)).toEqual(['New']);
    });

    it('applies stream and event type filters', async () => {
      const start = await startPosition();
      const subscription = store.subscribeToAll({
        fromPosition: start,
        filter: { streamPrefixes: [stream('keep')], eventTypePrefixes: ['Backup'] },
      });
      const received = collect(subscription, 2);
      await store.append(stream('keep'), [event('BackupTaken', { n: 1 })], { expectedRevision: 'any' });
      await store.append(stream('drop'), [event('BackupTaken', { n: 2 })], { expectedRevision: 'any' });
      await store.append(stream('keep'), [event('PlanChanged', { n: 3 })], { expectedRevision: 'any' });
      await store.append(stream('keeper'), [event('BackupExpired', { n: 4 })], { expectedRevision: 'any' });
      expect((await received).map((e) => e.data.n)).toEqual([1, 4]);
    });

    it('ends the iteration when closed', async () => {
      const subscription = store.subscribeToAll({ fromPosition: 'end', filter: mine() });
      const done = (async () => {
        const got: StoredEvent[] = [];
        for await (const e of subscription) got.push(e);
        return got;
      })();
      await delay(50);
      await subscription.close();
      expect(await withTimeout(done, 10_000, 'close')).toEqual([]);
    });
  });

  /** Where a subscription must start to see this case's events and nothing before. */
  async function startPosition(): Promise<SubscribeToAllOptions['fromPosition']> {
    return (await store.headPosition()) ?? 'start';
  }
}

export function event(type = 'Tested', data: Record<string, unknown> = {}, id = randomUUID()): NewEvent {
  return {
    id,
    type,
    data: data as NewEvent['data'],
    metadata: {
      $correlationId: 'corr-contract',
      $causationId: 'cause-contract',
      actor: 'platform:contract-test',
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    },
  };
}

/**
 * Takes `count` events from a subscription, then listens `settleMs` longer so that an
 * extra (duplicate) delivery would show in the result, then closes it.
 */
export async function collect(
  subscription: AsyncIterable<StoredEvent> & { close(): Promise<void> },
  count: number,
  { slowFirst = 0, settleMs = 0, timeoutMs = 30_000 } = {},
): Promise<StoredEvent[]> {
  const got: StoredEvent[] = [];
  const iterator = subscription[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  try {
    while (got.length < count) {
      const next = await withTimeout(iterator.next(), deadline - Date.now(), `waiting for ${count} events (got ${got.length})`);
      if (next.done) break;
      got.push(next.value);
      if (got.length <= slowFirst) await delay(2);
    }
    while (settleMs > 0) {
      const next = await Promise.race([iterator.next(), delay(settleMs).then(() => null)]);
      if (!next || next.done) break;
      got.push(next.value);
    }
  } finally {
    await subscription.close();
  }
  return got;
}

async function caught(promise: Promise<unknown>, type?: new (...args: never[]) => Error): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    if (type) expect(error).toBeInstanceOf(type);
    return error;
  }
  throw new Error('expected the call to fail');
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const isIncreasing = (values: bigint[]) => values.every((v, i) => i === 0 || v > values[i - 1]);
