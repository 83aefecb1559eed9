import { performance } from 'node:perf_hooks';
import {
  AppendOptions,
  AppendResult,
  ConcurrencyError,
  EventStore,
  EventStoreKind,
  EventSubscription,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  SubscribeToAllOptions,
} from './event-store.port';

/** One append as monitoring sees it. */
export interface ObservedAppend {
  /** The stream's category: `addon` for `addon-<id>`. */
  category: string;
  /** Events in the call (an idempotent repeat writes none, and counts them all the same). */
  events: number;
  /** `ok` acknowledged, `conflict` a ConcurrencyError, `error` anything else. */
  outcome: 'ok' | 'conflict' | 'error';
  /** From the call to its acknowledgement (or refusal). */
  seconds: number;
}

/** Told of every append through the app's event store (metrics). Must be cheap; what it throws is ignored. */
export abstract class AppendObserver {
  abstract appended(append: ObservedAppend): void;
}

/**
 * The adapter with its appends timed and told to an `AppendObserver`; everything else
 * passes through untouched. The app reads it through the upcasting decorator:
 * `UpcastingEventStore(ObservedEventStore(adapter))`.
 */
export class ObservedEventStore extends EventStore {
  constructor(
    readonly inner: EventStore,
    private readonly observer: AppendObserver,
  ) {
    super();
  }

  get kind(): EventStoreKind {
    return this.inner.kind;
  }

  async append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const started = performance.now();
    const observe = (outcome: ObservedAppend['outcome']) => {
      try {
        const category = stream.slice(0, Math.max(0, stream.indexOf('-'))) || 'other';
        this.observer.appended({ category, events: events.length, outcome, seconds: (performance.now() - started) / 1000 });
      } catch {
        // Monitoring never fails an append.
      }
    };
    try {
      const result = await this.inner.append(stream, events, options);
      observe('ok');
      return result;
    } catch (error) {
      observe(error instanceof ConcurrencyError ? 'conflict' : 'error');
      throw error;
    }
  }

  readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    return this.inner.readStream(stream, options);
  }

  readAll(options?: ReadAllOptions): Promise<StoredEvent[]> {
    return this.inner.readAll(options);
  }

  subscribeToAll(options?: SubscribeToAllOptions): EventSubscription {
    return this.inner.subscribeToAll(options);
  }

  headPosition(): Promise<bigint | null> {
    return this.inner.headPosition();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
