import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { SseMessage, SseStream } from './sse-stream';

/** A response whose socket takes a write only when told to (`take`): a slow client. */
class SlowResponse extends Writable {
  statusCode = 0;
  readonly headers: Record<string, string> = {};
  flushed = false;
  readonly taken: string[] = [];
  private readonly held: Array<{ chunk: string; done: () => void }> = [];

  constructor() {
    super({ highWaterMark: 1, decodeStrings: false });
  }

  setHeader(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  flushHeaders(): void {
    this.flushed = true;
  }

  override _write(chunk: string, _encoding: string, done: () => void): void {
    this.held.push({ chunk, done });
  }

  /** The socket takes what it holds. */
  take(): void {
    for (const { chunk, done } of this.held.splice(0)) {
      this.taken.push(chunk);
      done();
    }
  }
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

function setup() {
  const res = new SlowResponse();
  const stream = new SseStream(res as unknown as ServerResponse, { retryMs: 3_000, heartbeatMs: 60_000, now: () => new Date(0) });
  let pulled = 0;
  async function* source(): AsyncGenerator<SseMessage> {
    for (let n = 1; n <= 3; n++) {
      pulled++;
      yield { id: String(n), data: `{"n":${n}}` };
    }
  }
  return { res, stream, source, pulled: () => pulled };
}

describe('SseStream', () => {
  it('sends the headers at once, then the retry hint, then each message as id and data', async () => {
    const { res, stream, source } = setup();
    stream.open();
    expect(res.flushed).toBe(true);
    expect(res.headers).toEqual({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const pumping = stream.pump(source());
    while (res.taken.length < 4) {
      res.take();
      await settle();
    }
    await pumping;
    expect(res.taken).toEqual(['retry: 3000\n\n', 'id: 1\ndata: {"n":1}\n\n', 'id: 2\ndata: {"n":2}\n\n', 'id: 3\ndata: {"n":3}\n\n']);
    await stream.end();
  });

  it('pulls the next message only once the socket has taken the previous one (backpressure)', async () => {
    const { res, stream, source, pulled } = setup();
    stream.open();
    void stream.pump(source());
    await settle();
    // The socket took nothing yet: one message pulled and written, none more.
    expect(pulled()).toBe(1);
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      res.take();
      await settle();
      seen.push(pulled());
    }
    // Never more than one message ahead of what the socket took.
    expect(seen.every((n, i) => n - (i === 0 ? 1 : seen[i - 1]) <= 1)).toBe(true);
    expect(pulled()).toBe(3);
    await stream.end();
  });

  it('stops pulling when the client goes away while the socket is full', async () => {
    const { res, stream, source, pulled } = setup();
    stream.open();
    const pumping = stream.pump(source());
    await settle();
    res.destroy();
    await pumping;
    await stream.closed;
    expect(pulled()).toBe(1);
    expect(stream.isOpen).toBe(false);
  });
});
