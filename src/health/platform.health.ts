import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { PlatformRuntime } from '../platform/runtime/platform-runtime';

/**
 * The platform runtime: down when the sagas are parked on an event (nothing downstream
 * of the log moves any more); up otherwise, with its pending, running and dead jobs.
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
    };
    return status.sagasParkedAt === null ? indicator.up(data) : indicator.down(data);
  }
}
