import { INestApplication, Logger } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { redactArchiveLink } from '../backups/archive-links';
import { FeedService } from '../feed/feed.service';

/**
 * The HTTP server's side of a graceful stop. Once `stop()` is called it accepts no new
 * connection, closes idle keep-alive connections at once (rather than letting them hold
 * the close until they time out), and answers every request it already has, each with
 * `Connection: close`, closing the connection as soon as its last answer is sent.
 */
export class HttpDrain {
  private stopping = false;
  private readonly inFlight = new Map<ServerResponse, { method: string; url: string; since: number }>();
  private closed: Promise<void> | undefined;

  constructor(private readonly server: Server) {
    // Before Express's own listener: a request arriving during the stop is marked before it is handled.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      this.inFlight.set(res, { method: req.method ?? '?', url: redactArchiveLink(req.url ?? ''), since: Date.now() });
      if (this.stopping) res.setHeader('Connection', 'close');
      res.once('close', () => {
        this.inFlight.delete(res);
        // Its connection is idle now (the answer has gone): close it rather than keep it alive.
        if (this.stopping) setImmediate(() => this.server.closeIdleConnections());
      });
    });
  }

  /** Stops accepting connections; resolves once every connection is closed, each answer sent. */
  stop(): Promise<void> {
    if (this.closed) return this.closed;
    this.stopping = true;
    for (const res of this.inFlight.keys()) if (!res.headersSent) res.setHeader('Connection', 'close');
    this.closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // close() closes the connections idle now; these are the ones that were between requests.
    this.server.closeIdleConnections();
    return this.closed;
  }

  /** The requests still being answered, oldest first, for the log of a stop that takes too long. */
  pending(): string[] {
    const now = Date.now();
    return [...this.inFlight.values()].sort((a, b) => a.since - b.since).map((r) => `${r.method} ${r.url} (${now - r.since} ms)`);
  }
}

/**
 * On SIGTERM (or SIGINT), stops the process gracefully and exits with 0:
 * 1. the HTTP server accepts no new connection, closes idle ones, and the open event feeds
 *    end (an answer that never ends by itself); every request already received is answered;
 * 2. `app.close()`: the module hooks stop the projection runners between two batches, the
 *    saga runner and the webhook dispatcher at their checkpoint, the job worker and the
 *    webhook deliverer after a short grace (what is still running is run or sent again by
 *    the next process), then the stores close, the event store last.
 * When that takes more than `timeoutMs`, it logs what is still open and exits with 1.
 */
export function stopOnSignals(app: INestApplication, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  const drain = new HttpDrain(app.getHttpServer() as Server);
  let step = 'not started';
  let started = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    logger.log(`${signal} received: stopping (answering the requests in flight; at most ${timeoutMs} ms)`);
    const timer = setTimeout(() => {
      logger.error({
        msg: `Shutdown did not finish within ${timeoutMs} ms (SHUTDOWN_TIMEOUT_MS); exiting with 1`,
        step,
        requests_in_flight: drain.pending(),
        open_resources: countOf(process.getActiveResourcesInfo()),
      });
      process.exit(1);
    }, timeoutMs);
    try {
      step = 'answering the requests in flight';
      const answered = drain.stop();
      await app.get(FeedService).endAll();
      await answered;
      step = 'stopping the runners and closing the stores';
      await app.close();
      clearTimeout(timer);
      logger.log('Stopped cleanly');
      process.exit(0);
    } catch (error) {
      clearTimeout(timer);
      logger.error({ msg: `Shutdown failed while ${step}`, err: error });
      process.exit(1);
    }
  };
  // A repeated signal changes nothing: the stop under way is bounded by `timeoutMs`.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, (s) => void stop(s));
}

function countOf(names: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}
