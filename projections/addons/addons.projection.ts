import stableStringify from 'safe-stable-stringify';
import { ADDON_EVENT_SCHEMA_VERSIONS, AddonEvent } from '../../src/addons/domain/addon.events';
import { AddonState, evolveAddon } from '../../src/addons/domain/addon.state';
import type { StoredEvent } from '../../src/event-store/event-store.port';
import { insertRows, Projection, ProjectionTx, selectByKeys } from '../projection';

const COLUMNS = ['addon_id', 'app', 'provider_id', 'plan_id', 'version', 'status', 'provisioned_at', 'removed_at', 'state'];

/**
 * Add-ons by app: each add-on folded with the command side's own `evolve`, so the view is
 * exactly what a replay gives, with the columns queries filter on. Backups are left out of
 * the stored state (their own read model lists them), which keeps each row small.
 *
 * A batch is folded in memory: the add-ons it touches are read in one statement, each of
 * their events applied in turn (from the state as stored: without backups), and the rows
 * written back with one upsert. The state is stored with its keys sorted: a state folded
 * across batches (through its stored JSON, which drops keys set to undefined) and one
 * folded in one go hold the same fields in another order, and must be the same row.
 */
export const addonsProjection: Projection = {
  name: 'addons',
  // 2: the state's keys sorted.
  version: 2,
  tables: ['addons'],
  handles: Object.keys(ADDON_EVENT_SCHEMA_VERSIONS),
  apply: (event, tx) => applyAddons([event], tx),
  applyBatch: (events, tx) => applyAddons(events, tx),
};

async function applyAddons(events: readonly StoredEvent[], tx: ProjectionTx): Promise<void> {
  const table = tx.table('addons');
  const ids = [...new Set(events.map((e) => e.stream.slice('addon-'.length)))];
  const states = new Map<string, AddonState>();
  for (const row of await selectByKeys<{ addon_id: string; state: string }>(tx, table, 'addon_id', ids)) {
    states.set(row.addon_id, JSON.parse(row.state) as AddonState);
  }
  const changed = new Set<string>();
  for (const event of events) {
    const addonId = event.stream.slice('addon-'.length);
    const after = evolveAddon(states.get(addonId) ?? { status: 'none' }, { type: event.type, data: event.data } as unknown as AddonEvent);
    if (after.status === 'none') continue;
    states.set(addonId, { ...after, backups: [] });
    changed.add(addonId);
  }
  const rows = [...changed].map((addonId) => {
    const state = states.get(addonId) as Extract<AddonState, { appName: string }>;
    return [addonId, state.appName, state.providerId, state.planId, state.version, state.status, state.provisionedAt, state.deprovisionedAt ?? null, stableStringify(state)];
  });
  await insertRows(tx, table, COLUMNS, rows, {
    upsert: `ON CONFLICT (addon_id) DO UPDATE SET plan_id = excluded.plan_id, version = excluded.version, status = excluded.status,
       removed_at = excluded.removed_at, state = excluded.state`,
  });
}
