import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One dispatched Server-Sent Event. */
export interface SseEvent {
  /** The last event id when it was dispatched (what a reconnect sends as `Last-Event-ID`). */
  id: string | undefined;
  event: string | undefined;
  data: string;
}

export interface SseOpenOptions {
  headers?: Record<string, string>;
  /** Go away (destroy the connection) as soon as this many events are parsed, ignoring whatever else arrived. */
  stopAfter?: number;
}

/**
 * A small EventSource over Node's http client, for the tests: it parses the stream as
 * the HTML standard says (events, `id:`, `retry:`, and comments, which it records), and
 * lets a test wait until it has received what it expects. An answer that is not 200 is
 * read whole (`text`, `json`).
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  /** Everything received, as text. */
  raw = '';
  /** The body of an answer that is not a stream. */
  text = '';
  /** Resolves once the stream has ended or been cut, by either side. */
  readonly ended: Promise<void>;
  /** True once the server ended the stream cleanly (not cut by us or by an error). */
  endedByServer = false;

  private buffer = '';
  private data: string[] = [];
  private type: string | undefined;
  private lastEventId: string | undefined;
  private stopped = false;
  private over = false;
  private readonly listeners = new Set<() => void>();
  private resolveEnded!: () => void;

  private constructor(
    readonly status: number,
    readonly headers: http.IncomingHttpHeaders,
    private readonly res: http.IncomingMessage,
    private readonly stopAfter: number | undefined,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /** Connects (a connection of its own, no keep-alive pool) and resolves once the answer's headers arrive. */
  static open(server: http.Server, path: string, options: SseOpenOptions = {}): Promise<SseClient> {
    const { port } = server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path, headers: { Accept: 'text/event-stream', ...options.headers }, agent: false }, (res) => {
        const client = new SseClient(res.statusCode ?? 0, res.headers, res, options.stopAfter);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.receive(chunk));
        res.on('end', () => {
          client.endedByServer = !client.stopped;
          client.finish();
        });
        res.on('close', () => client.finish());
        res.on('error', () => client.finish());
        if (client.status === 200) resolve(client);
        else void client.ended.then(() => resolve(client));
      });
      req.on('error', reject);
    });
  }

  /** The body of an answer that is not a stream, parsed. */
  get json(): { error?: { code: string; message: string; details: Record<string, unknown> } } {
    return JSON.parse(this.text) as never;
  }

  /** Each event's data, parsed as JSON. */
  parsed<T = unknown>(): T[] {
    return this.events.map((e) => JSON.parse(e.data) as T);
  }

  /** Resolves once `ready(this)` holds; fails when the stream ends first, or after `timeoutMs` (a guard, not a measure). */
  until(ready: (client: this) => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (ready(this)) {
          done();
          resolve();
        } else if (this.over) {
          done();
          reject(new Error(`stream ended before ${what} (${this.events.length} events, ${this.comments.length} comments)`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms (${this.events.length} events, ${this.comments.length} comments)`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Goes away: destroys the connection, as a closed tab would. */
  async close(): Promise<void> {
    this.stopped = true;
    this.res.destroy();
    await this.ended;
  }

  private receive(chunk: string): void {
    if (this.stopped) return;
    this.raw += chunk;
    if (this.status !== 200) {
      this.text += chunk;
      return;
    }
    this.buffer += chunk;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop()!;
    for (const line of lines) {
      this.line(line);
      if (this.stopped) break;
    }
    this.notify();
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).replace(/^ /, ''));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'event') this.type = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }

  private dispatch(): void {
    const data = this.data;
    const type = this.type;
    this.data = [];
    this.type = undefined;
    if (data.length === 0) return;
    this.events.push({ id: this.lastEventId, event: type, data: data.join('\n') });
    if (this.stopAfter !== undefined && this.events.length >= this.stopAfter) {
      this.stopped = true;
      this.res.destroy();
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.resolveEnded();
    this.notify();
  }
}
