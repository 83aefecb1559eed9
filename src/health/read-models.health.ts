import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ReadModels } from '../../projections/read-models';
import { EventStore } from '../event-store/event-store.port';

/**
 * The read models: down when a projection is parked on an event (its queries go stale);
 * up otherwise, with each projection's version, status, checkpoint and the log's head.
 */
@Injectable()
export class ReadModelsHealthIndicator {
  constructor(
    private readonly readModels: ReadModels,
    private readonly store: EventStore,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    // The store being down is the eventStore indicator's to report.
    const [statuses, head] = await Promise.all([this.readModels.statuses(), this.store.headPosition().catch(() => null)]);
    const data = {
      log_head: head?.toString() ?? null,
      projections: statuses.map((p) => ({ name: p.name, version: p.version, status: p.status, position: p.position, parked: p.parked })),
    };
    return statuses.some((p) => p.parked) ? indicator.down(data) : indicator.up(data);
  }
}
