import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got, and what it made of it. */
export interface Received {
  path: string;
  /** `webhook-id`: the delivery's id. */
  deliveryId: string;
  timestamp: string;
  body: string;
  /** The signature checked with the `standardwebhooks` library (an independent implementation) and the path's secret. */
  verified: boolean;
  /** What the receiver answered. */
  status: number;
}

/**
 * A real HTTP receiver on loopback, for webhook tests: one secret per path, every request
 * verified and recorded, and answers that can be switched (up, failing, or hanging up).
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private readonly secrets = new Map<string, string>();
  private readonly server: Server;
  /** By path: 'up' answers 204; a number answers that status; 'hang-up' destroys the connection. */
  private readonly modes = new Map<string, 'up' | 'hang-up' | number>();
  private waiters: Array<() => void> = [];
  /** How long the receiver takes to answer, so that deliveries are in flight when a test wants them to be. */
  delayMs = 0;
  /** Requests received whose answer is not sent yet. */
  inFlight = 0;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Verifies what comes to `path` with `secret`. */
  expect(path: string, secret: string): void {
    this.secrets.set(path, secret);
  }

  mode(path: string, mode: 'up' | 'hang-up' | number): void {
    this.modes.set(path, mode);
  }

  /** The requests to `path` answered with a 2xx, in arrival order. */
  accepted(path: string): Received[] {
    return this.received.filter((r) => r.path === path && r.status >= 200 && r.status < 300);
  }

  /** Resolves once `done()` holds, checked after every request; fails after `timeoutMs`. */
  async until(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`the receiver waited ${timeoutMs} ms for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    try {
      await this.answer(req, res);
    } finally {
      this.inFlight--;
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '/';
    const mode = this.modes.get(path) ?? 'up';
    if (mode === 'hang-up') {
      req.socket.destroy();
      this.record({ path, req, body, status: 0 });
      return;
    }
    const status = mode === 'up' ? 204 : mode;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.record({ path, req, body, status });
    res.writeHead(status).end();
  }

  private record({ path, req, body, status }: { path: string; req: IncomingMessage; body: string; status: number }): void {
    const secret = this.secrets.get(path);
    let verified = false;
    if (secret) {
      try {
        new Webhook(secret).verify(body, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
    }
    this.received.push({
      path,
      deliveryId: String(req.headers['webhook-id'] ?? ''),
      timestamp: String(req.headers['webhook-timestamp'] ?? ''),
      body,
      verified,
      status,
    });
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }
}
