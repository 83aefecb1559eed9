import { ADDON } from '../addons/addon.aggregate';
import { APP } from '../apps/app.aggregate';
import { WEBHOOK } from '../webhooks/webhook.aggregate';
import type { EventData, Upcasters } from '../shared/domain/upcasting';
import {
  AppendOptions,
  AppendResult,
  EventStore,
  EventStoreKind,
  EventSubscription,
  JsonObject,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  SubscribeToAllOptions,
  UnreadableEventError,
} from './event-store.port';

/** The upcasters of the events of one stream category (`addon` for `addon-<id>`). */
export interface CategoryUpcasters {
  category: string;
  upcasters: Upcasters;
}

/** The aggregates whose streams are upcast on read. Other streams (`token-…`) are read as stored. */
export const STREAM_UPCASTERS: readonly CategoryUpcasters[] = [ADDON, APP, WEBHOOK];

/**
 * The event store every consumer reads through: the adapter's events, each with its data
 * upcast to the current schema version of its type and `metadata.schemaVersion` set to
 * that version (the envelope is otherwise the stored one). Projections, sagas, replays and
 * command handlers so only ever see current shapes. An event already current, of a type no
 * registry knows, or of another stream is handed on as the adapter gave it (no copy).
 * Appends go to the adapter unchanged: writers write the current version.
 */
export class UpcastingEventStore extends EventStore {
  private readonly byPrefix: ReadonlyArray<readonly [prefix: string, upcasters: Upcasters]>;

  constructor(
    readonly inner: EventStore,
    categories: readonly CategoryUpcasters[] = STREAM_UPCASTERS,
  ) {
    super();
    this.byPrefix = categories.map((c) => [`${c.category}-`, c.upcasters] as const);
  }

  get kind(): EventStoreKind {
    return this.inner.kind;
  }

  append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    return this.inner.append(stream, events, options);
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    return this.upcastAll(await this.inner.readStream(stream, options));
  }

  async readAll(options?: ReadAllOptions): Promise<StoredEvent[]> {
    return this.upcastAll(await this.inner.readAll(options));
  }

  subscribeToAll(options?: SubscribeToAllOptions): EventSubscription {
    const subscription = this.inner.subscribeToAll(options);
    const upcast = (event: StoredEvent) => this.upcast(event);
    return {
      close: () => subscription.close(),
      [Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
        const events = subscription[Symbol.asyncIterator]();
        return {
          async next() {
            const next = await events.next();
            if (next.done) return next;
            try {
              return { done: false, value: upcast(next.value) };
            } catch (error) {
              // A `for await` does not end an iterator whose next() threw: release the subscription here.
              await events.return?.();
              throw error;
            }
          },
          return: async (value?: unknown) => (events.return ? events.return(value) : { done: true, value }),
        };
      },
    };
  }

  headPosition(): Promise<bigint | null> {
    return this.inner.headPosition();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The page as read, or a copy with the events that needed it upcast. */
  private upcastAll(events: StoredEvent[]): StoredEvent[] {
    let upcast: StoredEvent[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const event = this.upcast(events[i]);
      if (event !== events[i]) (upcast ??= events.slice())[i] = event;
    }
    return upcast ?? events;
  }

  /** Cheap for the common case (one prefix test, one map lookup, one comparison): this is the read path of every rebuild. */
  private upcast(event: StoredEvent): StoredEvent {
    const upcasters = this.upcastersOf(event.stream);
    if (upcasters === undefined) return event;
    const stored = event.metadata.schemaVersion;
    const current = upcasters.currentVersion(event.type);
    if (current === undefined || stored === current) return event;
    try {
      const { version, data } = upcasters.upcast(event.type, stored, event.data as EventData);
      return { ...event, data: data as JsonObject, metadata: { ...event.metadata, schemaVersion: version } };
    } catch (error) {
      throw new UnreadableEventError(event.id, event.type, event.stream, event.position, error instanceof Error ? error.message : String(error));
    }
  }

  private upcastersOf(stream: string): Upcasters | undefined {
    for (const [prefix, upcasters] of this.byPrefix) if (stream.startsWith(prefix)) return upcasters;
    return undefined;
  }
}

/** `store`, read through the app's upcasters (a store already decorated is answered as is). */
export function withUpcasting(store: EventStore): EventStore {
  return store instanceof UpcastingEventStore ? store : new UpcastingEventStore(store);
}
