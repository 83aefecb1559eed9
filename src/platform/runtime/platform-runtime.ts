import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { UnhandledExceptionBus } from '@nestjs/cqrs';
import { Subscription } from 'rxjs';
import { AppConfig } from '../../config/app-config';
import { JobWorker } from './job-worker';
import { RuntimeStore } from './runtime-store';
import { SagaRunner } from './saga-runner';

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

  /** What /health shows of the runtime. */
  async status(): Promise<{ sagasParkedAt: string | null; pendingJobs: number; deadJobs: number; running: number }> {
    const { pending, dead } = await this.runtime.counts();
    return { sagasParkedAt: this.sagas.parked?.position ?? null, pendingJobs: pending, deadJobs: dead, running: this.worker.inFlight };
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
