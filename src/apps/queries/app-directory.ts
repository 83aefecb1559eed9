import { Injectable } from '@nestjs/common';
import { EventStore } from '../../event-store/event-store.port';
import { Principal } from '../../security/principal';
import { AppCreated } from '../domain/app.events';

const PAGE = 500;

/**
 * Which apps exist, from the log itself: the `AppCreated` events of `app-` streams.
 * Enough until the read models arrive (it reads every creation on each call).
 */
@Injectable()
export class AppDirectory {
  constructor(private readonly store: EventStore) {}

  async names(principal: Principal): Promise<string[]> {
    const names: string[] = [];
    let from: bigint | 'start' = 'start';
    for (;;) {
      const page = await this.store.readAll({
        fromPosition: from,
        maxCount: PAGE,
        filter: { streamPrefixes: ['app-'], eventTypePrefixes: ['AppCreated'] },
      });
      const fresh = from === 'start' ? page : page.slice(1);
      for (const event of fresh) {
        const { name, owner } = event.data as AppCreated['data'];
        if (principal.role !== 'owner' || owner === principal.subject) names.push(name);
      }
      if (page.length < PAGE) return names;
      from = page[page.length - 1].position;
    }
  }
}
