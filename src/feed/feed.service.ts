import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { AppConfig } from '../config/app-config';
import { EventFilter, EventStore, EventSubscription, StoredEvent } from '../event-store/event-store.port';
import { EventScopes } from '../public-events/event-scopes';
import { PUBLIC_STREAMS, toPublicEvent } from '../public-events/public-event';
import type { PublicEvent, PublicEventType } from '../public-events/public-event.schemas';
import type { Principal } from '../security/principal';
import { Clock } from '../shared/clock';
import { DomainError } from '../shared/domain/domain-error';
import { SseMessage, SseStream } from './sse-stream';

/** The reconnection delay suggested to clients. */
export const FEED_RETRY_MS = 3_000;

/** What one feed carries: its caller, where it starts, and its filters (already checked against the caller's reach). */
export interface FeedRequest {
  principal: Principal;
  /** Exclusive: the feed carries the events strictly after it; `end` only those appended from now on. */
  after: 'start' | 'end' | bigint;
  /** Only these types; null for every public type. */
  types: readonly PublicEventType[] | null;
  /** Only this app's events. */
  app: string | null;
  /** Only this add-on's events (and its app's events that name it); `app` is then its app. */
  addonId: string | null;
}

interface OpenFeed {
  stream: SseStream;
  subscription: EventSubscription;
  done: Promise<void>;
}

/**
 * The open event feeds: each is a subscription to the log from the client's position,
 * turned into public events the caller may see, written as Server-Sent Events. On
 * shutdown every feed is ended cleanly before the HTTP server closes (it would wait for
 * open streams) and before the event store closes.
 */
@Injectable()
export class FeedService implements OnModuleDestroy {
  private readonly logger = new Logger('Feed');
  private readonly feeds = new Set<OpenFeed>();
  private stopping = false;

  constructor(
    private readonly store: EventStore,
    private readonly scopes: EventScopes,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** How many feeds are open: a client gone is one fewer. */
  get openCount(): number {
    return this.feeds.size;
  }

  /**
   * Opens the feed on `res` and returns once its headers are sent; the feed then runs
   * until the client leaves or the app stops. Refused (503, nothing written) while the
   * app shuts down.
   */
  async open(request: FeedRequest, res: ServerResponse, { headOnly = false } = {}): Promise<void> {
    this.refuseWhenStopping();
    // "From now" is fixed before the headers go out: whatever the client does once it sees
    // them is in its feed.
    const after = request.after === 'end' ? ((await this.store.headPosition()) ?? 'start') : request.after;
    this.refuseWhenStopping();
    const stream = new SseStream(res, { retryMs: FEED_RETRY_MS, heartbeatMs: this.config.feed.heartbeatMs, now: () => this.clock.now() });
    stream.open();
    if (headOnly) {
      await stream.end();
      return;
    }
    const subscription = this.store.subscribeToAll({ fromPosition: after, filter: storeFilter(request) });
    // A client gone while the feed waits for the next event: stop waiting.
    void stream.closed.then(() => subscription.close());
    const feed: OpenFeed = { stream, subscription, done: Promise.resolve() };
    feed.done = this.run(feed, request).finally(() => this.feeds.delete(feed));
    this.feeds.add(feed);
  }

  /**
   * Every feed ends, and its subscription with it, at the first step of shutdown: the
   * GraphQL module's own `onModuleDestroy` (later: it sits deeper in the module tree)
   * closes the HTTP server through Apollo's drain plugin, which waits 10 s for open
   * connections before cutting them. The event store is still open here.
   */
  async onModuleDestroy(): Promise<void> {
    await this.endAll();
  }

  /**
   * Ends every open feed and refuses new ones (503): a feed is an answer that never ends by
   * itself, so a server waiting for its answers to finish ends them first (see
   * `http/graceful-shutdown.ts`).
   */
  async endAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.feeds].map(async (feed) => {
        await feed.subscription.close();
        await feed.stream.end();
        await feed.done;
      }),
    );
  }

  private refuseWhenStopping(): void {
    if (this.stopping) throw new DomainError('SERVICE.UNAVAILABLE', 'The server is stopping. Reconnect in a moment.');
  }

  private async run({ stream, subscription }: OpenFeed, request: FeedRequest): Promise<void> {
    try {
      await stream.pump(this.messages(subscription, request));
    } catch (error) {
      if (stream.isOpen) {
        this.logger.error({ msg: 'Event feed failed', err: error });
        // The client sees a broken stream, and reconnects from its last event.
        stream.destroy();
      }
    } finally {
      await subscription.close();
      if (stream.isOpen) await stream.end();
    }
  }

  private async *messages(subscription: EventSubscription, request: FeedRequest): AsyncGenerator<SseMessage> {
    for await (const event of subscription) {
      const visible = await this.visible(event, request);
      if (visible) yield { id: visible.position, data: JSON.stringify(visible) };
    }
  }

  /** The public event, if this caller may see it and it passes the filters; null to pass over it. */
  private async visible(event: StoredEvent, request: FeedRequest): Promise<PublicEvent | null> {
    if (request.types && !(request.types as readonly string[]).includes(event.type)) return null;
    const scope = await this.scopes.of(event);
    if (scope === null) return null;
    if (request.principal.role === 'owner' && scope.owner !== request.principal.subject) return null;
    if (request.app !== null && scope.app !== request.app) return null;
    if (request.addonId !== null && scope.addonId !== request.addonId) return null;
    return toPublicEvent(event, scope);
  }
}

/**
 * What the store can filter itself (by prefixes, so only a first cut: `app-shop` also
 * matches `app-shop-2`); `visible` decides exactly.
 */
function storeFilter(request: FeedRequest): EventFilter {
  const streamPrefixes =
    request.addonId !== null && request.app !== null
      ? [`addon-${request.addonId}`, `app-${request.app}`]
      : request.app !== null
        ? ['addon-', `app-${request.app}`]
        : PUBLIC_STREAMS.streamPrefixes;
  return { streamPrefixes, ...(request.types && { eventTypePrefixes: request.types }) };
}
