import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ReadModels } from '../../projections/read-models';

/**
 * The read models: down when a projection is parked on an event (its queries go stale);
 * up otherwise, with each projection's version, status, checkpoint and the log's head.
 */
@Injectable()
export class ReadModelsHealthIndicator {
  constructor(
    private readonly readModels: ReadModels,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    // With the lag of each projection; the store being down is the eventStore indicator's to report.
    const data = await this.readModels.overview();
    return data.projections.some((p) => p.parked) ? indicator.down(data) : indicator.up(data);
  }
}
