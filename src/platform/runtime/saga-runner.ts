import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { lastValueFrom, of, toArray } from 'rxjs';
import { EventFilter, EventStore, EventSubscription, StoredEvent } from '../../event-store/event-store.port';
import { Clock } from '../../shared/clock';
import { derivedUuid } from '../../shared/cqrs/event-ids';
import { StoredEventMessage } from '../../shared/cqrs/stored-event.message';
import { runWithLogContext } from '../../shared/logging/log-context';
import { Saga, SAGAS } from '../sagas/saga';
import { JobSpec, RuntimeStore } from './runtime-store';

/** The saga runner's checkpoint in the runtime store, shared by every process on a DATA_DIR. */
export const SAGA_CHECKPOINT = 'sagas';
/** The streams sagas react to. */
export const SAGA_STREAMS: EventFilter = { streamPrefixes: ['addon-', 'app-'] };
const PAGE = 500;
const RESUME_DELAY_MS = 1_000;

/**
 * Feeds the log to the sagas from a stored checkpoint, stores the jobs they ask for and
 * moves the checkpoint in one transaction (so a crash never loses or repeats a reaction),
 * then publishes the event on the @nestjs/cqrs EventBus for in-process listeners. Two
 * processes on one DATA_DIR share the checkpoint: whichever moves it first handles an
 * event, the other skips it.
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
  private stopping = false;

  constructor(
    private readonly store: EventStore,
    private readonly runtime: RuntimeStore,
    @Inject(SAGAS) private readonly sagas: readonly Saga[],
    private readonly eventBus: EventBus,
    private readonly clock: Clock,
  ) {}

  /**
   * Live: catch up, then follow the log until stopped. When the subscription or a commit
   * fails (the store unreachable, the runtime file busy), it starts again from the
   * checkpoint a second later: nothing is skipped.
   */
  async start(): Promise<void> {
    this.stopping = false;
    this.loop = (async () => {
      while (!this.stopping) {
        const from = await this.position().catch(() => undefined);
        if (from !== undefined) {
          if (this.stopping) return;
          const subscription = this.store.subscribeToAll({ fromPosition: from ?? 'start', filter: SAGA_STREAMS });
          this.subscription = subscription;
          // stop() came while the checkpoint was read: it could not close what did not exist yet.
          if (this.stopping) return void (await subscription.close());
          try {
            for await (const event of subscription) {
              if (!(await this.process(event))) return;
            }
            return; // closed by stop()
          } catch (error) {
            if (this.stopping) return;
            this.logger.error(`The saga subscription failed, resuming from the checkpoint in 1 s: ${describe(error)}`);
            await subscription.close().catch(() => undefined);
          }
        }
        this.processed = undefined; // read the checkpoint again
        await new Promise((resolve) => setTimeout(resolve, RESUME_DELAY_MS));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
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
      const page = await this.store.readAll({ fromPosition: from ?? 'start', maxCount: PAGE, filter: SAGA_STREAMS });
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
    const [last] = await this.store.readAll({ direction: 'backwards', maxCount: 1, filter: SAGA_STREAMS });
    return !last || (await this.position()) === last.position;
  }

  get parked(): { position: string; error: string } | null {
    return this.parkedAt;
  }

  private async position(): Promise<bigint | null> {
    if (this.processed === undefined) this.processed = await this.runtime.checkpoint(SAGA_CHECKPOINT);
    return this.processed;
  }

  /** Handles one event; its lines, and those of the handlers it is published to, carry its correlation id. */
  private process(event: StoredEvent): Promise<boolean> {
    return runWithLogContext({ correlationId: String(event.metadata.$correlationId) }, () => this.react(event));
  }

  private async react(event: StoredEvent): Promise<boolean> {
    if (this.parkedAt) return false;
    const from = await this.position();
    // Handled already, by another process on the same DATA_DIR.
    if (from !== null && event.position <= from) return true;
    const message = new StoredEventMessage(event);
    const jobs: JobSpec[] = [];
    try {
      for (const saga of this.sagas) {
        const reactions = await lastValueFrom(saga.react(of(message)).pipe(toArray()));
        reactions.forEach((reaction, index) => {
          const key = `${saga.name}:${event.id}:${index}`;
          const dueAt = reaction.at ?? this.clock.now();
          if (Number.isNaN(dueAt.getTime())) throw new Error(`the ${saga.name} saga asked for a ${reaction.job.kind} job at no valid time`);
          jobs.push({
            key,
            job: reaction.job,
            dueAt,
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
    if (!(await this.runtime.commit(SAGA_CHECKPOINT, from, event.position, jobs, this.clock.now()))) {
      // Another process on the same DATA_DIR moved the checkpoint: go on from where it is.
      this.processed = await this.runtime.checkpoint(SAGA_CHECKPOINT);
      return true;
    }
    this.processed = event.position;
    this.eventBus.publish(message);
    return true;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
