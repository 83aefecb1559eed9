import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { lastValueFrom, of, toArray } from 'rxjs';
import { EventFilter, EventStore, EventSubscription, StoredEvent } from '../../event-store/event-store.port';
import { Clock } from '../../shared/clock';
import { derivedUuid } from '../../shared/cqrs/event-ids';
import { StoredEventMessage } from '../../shared/cqrs/stored-event.message';
import { Saga, SAGAS } from '../sagas/saga';
import { JobSpec, RuntimeStore } from './runtime-store';

const CHECKPOINT = 'sagas';
/** The streams sagas react to. */
const FILTER: EventFilter = { streamPrefixes: ['addon-', 'app-'] };
const PAGE = 500;

/**
 * Feeds the log to the sagas from a stored checkpoint, stores the jobs they ask for and
 * moves the checkpoint in one transaction (so a crash never loses or repeats a reaction),
 * then publishes the event on the @nestjs/cqrs EventBus for in-process listeners.
 * A saga that throws parks the runner at that event: it is a bug, and skipping would
 * silently drop the platform's work.
 */
@Injectable()
export class SagaRunner {
  private readonly logger = new Logger('SagaRunner');
  private subscription: EventSubscription | undefined;
  private loop: Promise<void> | undefined;
  private processed: bigint | null | undefined;
  private parkedAt: { position: string; error: string } | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly runtime: RuntimeStore,
    @Inject(SAGAS) private readonly sagas: readonly Saga[],
    private readonly eventBus: EventBus,
    private readonly clock: Clock,
  ) {}

  /** Live: catch up, then follow the log until stopped. */
  async start(): Promise<void> {
    const from = await this.position();
    this.subscription = this.store.subscribeToAll({ fromPosition: from ?? 'start', filter: FILTER });
    const subscription = this.subscription;
    this.loop = (async () => {
      try {
        for await (const event of subscription) {
          if (!(await this.process(event))) break;
        }
      } catch (error) {
        this.logger.error(`The saga subscription stopped: ${describe(error)}`);
      }
    })();
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.loop;
    this.subscription = undefined;
    this.loop = undefined;
  }

  /** Processes everything up to the log's head now (the simulation drives it this way). */
  async catchUp(): Promise<number> {
    let count = 0;
    for (;;) {
      const from = await this.position();
      const page = await this.store.readAll({ fromPosition: from ?? 'start', maxCount: PAGE, filter: FILTER });
      const fresh = from === null ? page : page.filter((e) => e.position > from);
      for (const event of fresh) {
        if (!(await this.process(event))) return count;
        count++;
      }
      if (fresh.length === 0) return count;
    }
  }

  /** Whether every event of the streams sagas follow has been processed. */
  async caughtUp(): Promise<boolean> {
    const [last] = await this.store.readAll({ direction: 'backwards', maxCount: 1, filter: FILTER });
    return !last || (await this.position()) === last.position;
  }

  get parked(): { position: string; error: string } | null {
    return this.parkedAt;
  }

  private async position(): Promise<bigint | null> {
    if (this.processed === undefined) this.processed = await this.runtime.checkpoint(CHECKPOINT);
    return this.processed;
  }

  private async process(event: StoredEvent): Promise<boolean> {
    if (this.parkedAt) return false;
    const message = new StoredEventMessage(event);
    const jobs: JobSpec[] = [];
    try {
      for (const saga of this.sagas) {
        const reactions = await lastValueFrom(saga.react(of(message)).pipe(toArray()));
        reactions.forEach((reaction, index) => {
          const key = `${saga.name}:${event.id}:${index}`;
          jobs.push({
            key,
            job: reaction.job,
            dueAt: reaction.at ?? this.clock.now(),
            context: {
              actor: `platform:${saga.name}`,
              correlationId: String(event.metadata.$correlationId),
              causationId: derivedUuid(key),
            },
          });
        });
      }
    } catch (error) {
      this.parkedAt = { position: event.position.toString(), error: describe(error) };
      this.logger.error(`Sagas parked at position ${event.position} (${event.type}): ${describe(error)}`);
      return false;
    }
    await this.runtime.commit(CHECKPOINT, event.position, jobs, this.clock.now());
    this.processed = event.position;
    this.eventBus.publish(message);
    return true;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
