import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { EventStore } from '../event-store/event-store.port';

const TIMEOUT_MS = 3_000;

/** Up when the store answers with its head position within a few seconds. */
@Injectable()
export class EventStoreHealthIndicator {
  constructor(
    private readonly store: EventStore,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    let timer: NodeJS.Timeout | undefined;
    try {
      const head = await Promise.race([
        this.store.headPosition(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
        }),
      ]);
      return indicator.up({ kind: this.store.kind, lastPosition: head === null ? null : head.toString() });
    } catch (error) {
      // The message of a client error can carry a host name; the kind is enough to act on.
      return indicator.down({ kind: this.store.kind, message: 'the event store does not answer' });
    } finally {
      clearTimeout(timer);
    }
  }
}
