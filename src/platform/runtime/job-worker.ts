import { Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../shared/clock';
import { DomainError } from '../../shared/domain/domain-error';
import { runWithLogContext } from '../../shared/logging/log-context';
import { RETRIED_UNTIL_DONE, RETRIED_UNTIL_DONE_MAX_BACKOFF_MS } from '../jobs/platform-job';
import { RunPlatformJobCommand } from '../jobs/run-platform-job.command';
import { ClaimedJob, RuntimeStore } from './runtime-store';

const BASE_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 10 * 60_000;

/**
 * Runs due jobs, several at once (most of their time is spent waiting for the data
 * plane). A job that throws is tried again with exponential backoff, on the platform's
 * clock, then parked as dead after the last attempt (except RETRIED_UNTIL_DONE); a domain refusal means the job is
 * moot (the add-on moved on) and ends it. A job stays stored until it is done, so one
 * cut short by a crash runs again: jobs are idempotent.
 */
@Injectable()
export class JobWorker {
  private readonly logger = new Logger('JobWorker');
  private readonly owner = randomUUID();
  private readonly running = new Map<string, { job: ClaimedJob; run: Promise<void> }>();
  /** Jobs left running at shutdown, their leases released: their outcome is no longer this process's to record. */
  private readonly released = new Set<string>();
  private stopped = false;

  constructor(
    private readonly runtime: RuntimeStore,
    private readonly commands: CommandBus,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Starts the jobs due now, up to the concurrency limit; answers how many started. */
  async runDue(): Promise<number> {
    if (this.stopped) return 0;
    const room = this.config.runtime.concurrency - this.running.size;
    const jobs = await this.runtime.claimDue(this.clock.now(), room, this.owner, this.config.runtime.leaseMs);
    if (this.stopped) {
      // Stopped while claiming: handed back at once.
      for (const job of jobs) await this.runtime.release(job).catch(() => undefined);
      return 0;
    }
    let started = 0;
    for (const job of jobs) {
      if (this.running.has(job.key)) continue;
      // Every line of the job (and of the commands it issues) carries the correlation id of the request or event behind it.
      const run = runWithLogContext({ correlationId: job.context.correlationId, actor: job.context.actor }, () => this.run(job)).finally(() =>
        this.running.delete(job.key),
      );
      this.running.set(job.key, { job, run });
      started++;
    }
    return started;
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Keys of the jobs running now. */
  get runningKeys(): string[] {
    return [...this.running.keys()];
  }

  /** Waits for the jobs running now. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running.values()].map(({ run }) => run));
  }

  /**
   * Stops at a checkpoint, for shutdown: claims nothing more, gives the jobs running now
   * `graceMs` to finish, and releases the leases of those still running (most of a job is
   * a wait on the data plane, minutes for a backup), so that the next process runs them
   * again at once rather than after RUNTIME_LEASE_MS. A job cut short runs again from the
   * top: jobs are idempotent.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([this.drain(), grace]);
    clearTimeout(timer);
    const left = [...this.running.values()].map(({ job }) => job);
    if (left.length === 0) return;
    for (const job of left) this.released.add(job.key);
    for (const job of left) await this.runtime.release(job).catch(() => undefined);
    this.logger.warn(`Stopped with ${left.length} job(s) still running, released to run again at the next start: ${left.map((j) => j.key).join(', ')}`);
  }

  private async run(job: ClaimedJob): Promise<void> {
    try {
      await this.commands.execute(new RunPlatformJobCommand(job));
      if (this.released.has(job.key)) return;
      await this.runtime.complete(job);
    } catch (error) {
      // Released at shutdown (the runtime store may be closed by now): the next process runs it.
      if (this.released.has(job.key)) return;
      if (error instanceof DomainError) {
        this.logger.warn(`Job ${job.key} (${job.job.kind}) is moot: ${error.code}`);
        await this.runtime.complete(job);
        return;
      }
      const attempts = job.attempts + 1;
      const untilDone = RETRIED_UNTIL_DONE.has(job.job.kind);
      const last = !untilDone && attempts >= this.config.runtime.maxAttempts;
      const cap = untilDone ? RETRIED_UNTIL_DONE_MAX_BACKOFF_MS : MAX_BACKOFF_MS;
      const delay = Math.min(cap, BASE_BACKOFF_MS * 2 ** Math.min(attempts - 1, 20));
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (last) this.logger.error(`Job ${job.key} (${job.job.kind}) failed ${attempts} times and is parked: ${message}`);
      else this.logger.warn(`Job ${job.key} (${job.job.kind}) failed (attempt ${attempts}), retried in ${delay} ms: ${message}`);
      await this.runtime.fail(job, message, last ? null : new Date(this.clock.now().getTime() + delay));
    }
  }
}
