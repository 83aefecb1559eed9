import type { ServerResponse } from 'node:http';

/** One Server-Sent Event: its id (what the client sends back as `Last-Event-ID`) and one line of data. */
export interface SseMessage {
  id: string;
  /** A single line (JSON.stringify never writes a line break). */
  data: string;
}

export interface SseOptions {
  /** The reconnection delay suggested to the client (`retry:`). */
  retryMs: number;
  /** How often a comment is written while nothing else is. */
  heartbeatMs: number;
  /** The time written in heartbeats. */
  now: () => Date;
}

/**
 * A Server-Sent Events response, written by hand on Node's response: Nest's `@Sse()`
 * cannot write comments (heartbeats) nor wait for the socket. Headers go out at once (a
 * client or proxy knows the stream is open before the first event); each message is
 * written only once the previous one was taken by the socket, so a slow client slows its
 * own feed instead of filling the server's memory.
 */
export class SseStream {
  private heartbeat: NodeJS.Timeout | undefined;
  private over = false;
  private responseClosed = false;
  /** Wakes a `pump` waiting for `drain` when the stream closes instead. */
  private wake: (() => void) | undefined;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SseOptions,
  ) {
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Resolves once the stream is over: the client went away, or `end()`/`destroy()` was called. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  get isOpen(): boolean {
    return !this.over;
  }

  /** Sends the status and headers now, the `retry:` hint, and starts the heartbeats. */
  open(): void {
    const { res } = this;
    // Gone already (while the feed was being prepared): its 'close' will not come again.
    if (res.destroyed || res.writableEnded) {
      this.responseClosed = true;
      return this.finish();
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Connection', 'keep-alive');
    // nginx (and proxies that follow it) would otherwise buffer the stream.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.once('close', () => {
      this.responseClosed = true;
      this.finish();
    });
    // A write to a socket already gone: the 'close' that follows ends the stream.
    res.on('error', () => this.finish());
    res.write(`retry: ${this.options.retryMs}\n\n`);
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
  }

  /**
   * Writes each message of `messages` in turn, pulling the next one only once the socket
   * has taken the previous one (`drain`). Resolves when `messages` ends or the stream
   * closes; it does not end the response.
   */
  async pump(messages: AsyncIterable<SseMessage>): Promise<void> {
    if (this.over) return;
    for await (const { id, data } of messages) {
      if (this.over) break;
      if (!this.res.write(`id: ${id}\ndata: ${data}\n\n`)) await this.drained();
      if (this.over) break;
    }
  }

  /**
   * Ends the response cleanly (the client sees the stream end, and reconnects with its
   * `Last-Event-ID`). Resolves once the response is closed; a client that does not take
   * what is still buffered within `graceMs` has its connection destroyed.
   */
  async end(graceMs = 1_000): Promise<void> {
    this.finish();
    if (this.responseClosed) return;
    if (!this.res.writableEnded) this.res.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.res.destroy(), graceMs);
      this.res.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Cuts the connection: the client sees a failure (and reconnects). */
  destroy(): void {
    this.finish();
    this.res.destroy();
  }

  private beat(): void {
    // A congested socket is busy with data already: no need to add to it.
    if (this.over || this.res.writableNeedDrain) return;
    this.res.write(`: heartbeat ${this.options.now().toISOString()}\n\n`);
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      this.res.once('drain', done);
    });
  }

  /** The stream is over: stop writing, stop the timer, release whoever waits. Idempotent. */
  private finish(): void {
    if (this.over) return;
    this.over = true;
    clearInterval(this.heartbeat);
    this.wake?.();
    this.resolveClosed();
  }
}
