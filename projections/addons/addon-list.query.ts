import type { EntityManager } from 'typeorm';
import { addonView } from '../../src/addons/api/addon.view';
import type { Addon } from '../../src/addons/domain/addon.state';

/** An app's add-ons (not removed), oldest first, in their public view. */
export async function listAddons(db: EntityManager, table: string, app: string, at: Date): Promise<Array<ReturnType<typeof addonView>>> {
  const rows: Array<{ state: string }> = await db.query(
    `SELECT state FROM ${table} WHERE app = ? AND status != 'deprovisioned' ORDER BY provisioned_at, addon_id`,
    [app],
  );
  return rows.map((row) => addonView(JSON.parse(row.state) as Addon, at));
}

/** One add-on of an app in its public view, or null (unknown, another app's, or removed). */
export async function findAddon(db: EntityManager, table: string, app: string, addonId: string, at: Date) {
  const [row]: Array<{ state: string }> = await db.query(
    `SELECT state FROM ${table} WHERE addon_id = ? AND app = ? AND status != 'deprovisioned'`,
    [addonId, app],
  );
  return row ? addonView(JSON.parse(row.state) as Addon, at) : null;
}
