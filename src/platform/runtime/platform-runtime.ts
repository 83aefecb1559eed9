import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { UnhandledExceptionBus } from '@nestjs/cqrs';
import { Subscription } from 'rxjs';
import { AppConfig } from '../../config/app-config';
import { EventStore } from '../../event-store/event-store.port';
import { JobWorker } from './job-worker';
import { RuntimeStore } from './runtime-store';
import { SAGA_CHECKPOINT, SAGA_STREAMS, SagaRunner } from './saga-runner';

/** How long the lag may take to read before it is reported unknown (the store indicator says why). */
const LAG_TIMEOUT_MS = 3_000;

/** What /health and /metrics show of the runtime. */
export interface RuntimeStatus {
  sagasParkedAt: string | null;
  pendingJobs: number;
  deadJobs: number;
  running: number;
  /** The sagas' checkpoint, null before the first event. */
  sagasCheckpoint: bigint | null;
  /** Positions from the checkpoint to the last event of the streams sagas follow; null when the log does not answer. */
  sagasLag: bigint | null;
}

/** How long running jobs get to finish at shutdown before they are released to the next process. */
const JOB_STOP_GRACE_MS = 2_000;

/**
 * Runs the platform in the background: the saga runner follows the log, the job worker
 * polls for due jobs. `PLATFORM_RUNTIME=off` leaves both stopped (a process that only
 * serves the API, or a simulation that drives them itself).
 */
@Injectable()
export class PlatformRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PlatformRuntime');
  private poll: NodeJS.Timeout | undefined;
  private polling = false;
  private unhandled: Subscription | undefined;

  constructor(
    private readonly sagas: SagaRunner,
    private readonly worker: JobWorker,
    private readonly runtime: RuntimeStore,
    private readonly config: AppConfig,
    private readonly exceptions: UnhandledExceptionBus,
    private readonly store: EventStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // @nestjs/cqrs swallows errors thrown in event handlers and sagas: say them.
    this.unhandled = this.exceptions.subscribe(({ exception, cause }) =>
      this.logger.error(`Unhandled in ${cause?.constructor?.name ?? 'a handler'}: ${String(exception)}`),
    );
    if (this.config.runtime.enabled) await this.start();
  }

  async start(): Promise<void> {
    await this.sagas.start();
    this.poll = setInterval(() => void this.tick(), this.config.runtime.pollMs);
    this.logger.log('Platform runtime started');
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.poll);
    this.unhandled?.unsubscribe();
    await this.sagas.stop();
    await this.worker.stop(JOB_STOP_GRACE_MS);
    await this.runtime.close();
  }

  /** What /health and /metrics show of the runtime. */
  async status(): Promise<RuntimeStatus> {
    const [{ pending, dead }, checkpoint] = await Promise.all([this.runtime.counts(), this.runtime.checkpoint(SAGA_CHECKPOINT)]);
    return {
      sagasParkedAt: this.sagas.parked?.position ?? null,
      pendingJobs: pending,
      deadJobs: dead,
      running: this.worker.inFlight,
      sagasCheckpoint: checkpoint,
      sagasLag: await this.sagasLag(checkpoint),
    };
  }

  /**
   * How far the checkpoint is behind the last event sagas follow, in positions (on the
   * embedded store, events of the whole log; on EventStoreDB, commit positions, so only
   * zero and the trend mean something). Shared by every process on this DATA_DIR.
   */
  private async sagasLag(checkpoint: bigint | null): Promise<bigint | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const [last] = await Promise.race([
        this.store.readAll({ direction: 'backwards', maxCount: 1, filter: SAGA_STREAMS }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer')), LAG_TIMEOUT_MS);
        }),
      ]);
      if (!last) return 0n;
      const behind = last.position - (checkpoint ?? 0n);
      return behind > 0n ? behind : 0n;
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  private async tick(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.worker.runDue();
    } catch (error) {
      this.logger.error(`Job polling failed: ${String(error)}`);
    } finally {
      this.polling = false;
    }
  }
}
