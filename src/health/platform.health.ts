import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { PlatformRuntime } from '../platform/runtime/platform-runtime';

/**
 * The platform runtime: down when the sagas are parked on an event (nothing downstream
 * of the log moves any more); up otherwise, with its pending, running and dead jobs and
 * how far the sagas are behind the log. A lag alone never makes it down: it is the
 * figure to watch (and alert on when it keeps growing), and `null` when the log does not
 * answer (the eventStore indicator is then down).
 */
@Injectable()
export class PlatformHealthIndicator {
  constructor(
    private readonly runtime: PlatformRuntime,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    const status = await this.runtime.status();
    const data = {
      sagas_parked_at: status.sagasParkedAt,
      pending_jobs: status.pendingJobs,
      running_jobs: status.running,
      dead_jobs: status.deadJobs,
      sagas_checkpoint: status.sagasCheckpoint?.toString() ?? null,
      sagas_lag: status.sagasLag?.toString() ?? null,
    };
    return status.sagasParkedAt === null ? indicator.up(data) : indicator.down(data);
  }
}
