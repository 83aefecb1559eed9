import { ADDON_EVENT_SCHEMA_VERSIONS, AddonEvent } from '../../src/addons/domain/addon.events';
import { AddonState, evolveAddon } from '../../src/addons/domain/addon.state';
import type { StoredEvent } from '../../src/event-store/event-store.port';
import type { Projection, ProjectionTx } from '../projection';

/**
 * Add-ons by app: each add-on folded with the command side's own `evolve`, so the view is
 * exactly what a replay gives, with the columns queries filter on. Backups are left out of
 * the stored state (their own read model lists them), which keeps each row small.
 */
export const addonsProjection: Projection = {
  name: 'addons',
  version: 1,
  tables: ['addons'],
  handles: Object.keys(ADDON_EVENT_SCHEMA_VERSIONS),
  async apply(event: StoredEvent, tx: ProjectionTx): Promise<void> {
    const table = tx.table('addons');
    const addonId = event.stream.slice('addon-'.length);
    const [row]: Array<{ state: string }> = await tx.manager.query(`SELECT state FROM ${table} WHERE addon_id = ?`, [addonId]);
    const before: AddonState = row ? (JSON.parse(row.state) as AddonState) : { status: 'none' };
    const after = evolveAddon(before, { type: event.type, data: event.data } as unknown as AddonEvent);
    if (after.status === 'none') return;
    const state = JSON.stringify({ ...after, backups: [] });
    await tx.manager.query(
      `INSERT INTO ${table} (addon_id, app, provider_id, plan_id, version, status, provisioned_at, removed_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (addon_id) DO UPDATE SET plan_id = excluded.plan_id, version = excluded.version, status = excluded.status,
         removed_at = excluded.removed_at, state = excluded.state`,
      [addonId, after.appName, after.providerId, after.planId, after.version, after.status, after.provisionedAt, after.deprovisionedAt ?? null, state],
    );
  },
};
