import { Injectable } from '@nestjs/common';
import type { AddonProvisioned } from '../addons/domain/addon.events';
import type { AppCreated } from '../apps/domain/app.events';
import { EventStore, StoredEvent } from '../event-store/event-store.port';
import { addonOf, EventScope } from './public-event';

/** Entries kept per cache: an add-on's app and an app's owner never change, so a hit is always right. */
const CACHE_LIMIT = 100_000;

/**
 * What an event of the log concerns, for the public feed and webhooks: its app (an add-on
 * event names none: its add-on's first event does), its add-on, and the app's owner (who
 * may see it). Read from the log itself, so it is right however far behind the read models
 * are, and cached: neither ever changes.
 */
@Injectable()
export class EventScopes {
  private readonly appOfAddon = new Map<string, string>();
  private readonly ownerOfApp = new Map<string, string>();

  constructor(private readonly store: EventStore) {}

  /** The event's scope with the app's owner; null for an event of no app (another stream, or an add-on never provisioned). */
  async of(event: StoredEvent): Promise<(EventScope & { owner: string }) | null> {
    const app = await this.appOf(event);
    if (app === null) return null;
    const owner = await this.ownerOf(app, event);
    if (owner === null) return null;
    return { app, addonId: addonOf(event), owner };
  }

  private async appOf(event: StoredEvent): Promise<string | null> {
    if (event.stream.startsWith('app-')) return event.stream.slice('app-'.length);
    if (!event.stream.startsWith('addon-')) return null;
    const addonId = event.stream.slice('addon-'.length);
    const cached = this.appOfAddon.get(addonId);
    if (cached !== undefined) return cached;
    const first = event.type === 'AddonProvisioned' ? event : (await this.store.readStream(event.stream, { maxCount: 1 }))[0];
    if (first?.type !== 'AddonProvisioned') return null;
    const app = (first.data as unknown as AddonProvisioned['data']).appName;
    remember(this.appOfAddon, addonId, app);
    return app;
  }

  private async ownerOf(app: string, event: StoredEvent): Promise<string | null> {
    const cached = this.ownerOfApp.get(app);
    if (cached !== undefined) return cached;
    const first = event.type === 'AppCreated' && event.stream === `app-${app}` ? event : (await this.store.readStream(`app-${app}`, { maxCount: 1 }))[0];
    if (first?.type !== 'AppCreated') return null;
    const owner = (first.data as unknown as AppCreated['data']).owner;
    remember(this.ownerOfApp, app, owner);
    return owner;
  }
}

function remember(cache: Map<string, string>, key: string, value: string): void {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
}
