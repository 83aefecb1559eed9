import type { AddonEvent } from '../../src/addons/domain/addon.events';
import { findPlan } from '../../src/catalogue/domain/catalogue';
import type { StoredEvent } from '../../src/event-store/event-store.port';
import type { Projection, ProjectionTx } from '../projection';

/**
 * Unplanned downtime per add-on per calendar month (UTC). It counts from the moment the
 * add-on stops serving unplanned (AddonUnavailable; on Business a leader failure, until
 * the failover completes) to the moment it serves again. Maintenance inside its window
 * and the changes the owner asked for do not count (DOMAIN.md).
 */
export const availabilityProjection: Projection = {
  name: 'availability',
  version: 1,
  tables: ['availability', 'availability_addons'],
  handles: [
    'AddonProvisioned',
    'PlanChanged',
    'PlanChangeFailed',
    'AddonUnavailable',
    'NodeFailureDetected',
    'NodeRecovered',
    'AddonRecovered',
    'AddonRestarted',
    'FailoverCompleted',
    'AddonDeprovisioned',
  ] satisfies Array<AddonEvent['type']>,
  async apply(event: StoredEvent, tx: ProjectionTx): Promise<void> {
    const addonId = event.stream.slice('addon-'.length);
    const addons = tx.table('availability_addons');
    const message = { type: event.type, data: event.data } as unknown as AddonEvent;
    const q = (sql: string, params: unknown[]) => tx.manager.query(sql, params);
    if (message.type === 'AddonProvisioned') {
      await q(`INSERT INTO ${addons} (addon_id, app, plan_id) VALUES (?, ?, ?)`, [addonId, message.data.appName, message.data.planId]);
      return;
    }
    const [addon]: Array<{ plan_id: string; down_since: string | null; down_node: string | null }> = await q(
      `SELECT plan_id, down_since, down_node FROM ${addons} WHERE addon_id = ?`,
      [addonId],
    );
    if (!addon) return;
    const startDown = (at: string, node: string | null) =>
      addon.down_since === null ? q(`UPDATE ${addons} SET down_since = ?, down_node = ? WHERE addon_id = ?`, [at, node, addonId]) : undefined;
    const endDown = async (at: string) => {
      if (addon.down_since === null) return;
      await addDowntime(tx, addonId, addon.down_since, at);
      await q(`UPDATE ${addons} SET down_since = NULL, down_node = NULL WHERE addon_id = ?`, [addonId]);
    };
    switch (message.type) {
      case 'PlanChanged':
        await q(`UPDATE ${addons} SET plan_id = ? WHERE addon_id = ?`, [message.data.toPlanId, addonId]);
        return;
      case 'PlanChangeFailed':
        await q(`UPDATE ${addons} SET plan_id = ? WHERE addon_id = ?`, [message.data.fromPlanId, addonId]);
        return;
      case 'AddonUnavailable':
        await startDown(message.data.at, null);
        return;
      case 'NodeFailureDetected':
        // A Business leader down: clients are cut off until the failover completes.
        if (message.data.role === 'leader' && findPlan(addon.plan_id)?.class === 'business') await startDown(message.data.at, message.data.node);
        return;
      case 'NodeRecovered':
        if (addon.down_node === message.data.node) await endDown(message.data.at);
        return;
      case 'AddonRecovered':
      case 'AddonRestarted':
      case 'FailoverCompleted':
      case 'AddonDeprovisioned':
        await endDown(message.data.at);
        return;
      default:
        return;
    }
  },
};

/** Adds the interval [from, to) to the months it spans; the incident counts in the month it began. */
async function addDowntime(tx: ProjectionTx, addonId: string, from: string, to: string): Promise<void> {
  const table = tx.table('availability');
  let start = Date.parse(from);
  const end = Date.parse(to);
  let first = true;
  while (start < end || first) {
    const month = new Date(start).toISOString().slice(0, 7);
    const monthEnd = nextMonth(start);
    const until = Math.min(end, monthEnd);
    const seconds = Math.max(0, until - start) / 1000;
    await tx.manager.query(
      `INSERT INTO ${table} (addon_id, month, downtime_seconds, incidents) VALUES (?, ?, ?, ?)
       ON CONFLICT (addon_id, month) DO UPDATE SET downtime_seconds = downtime_seconds + excluded.downtime_seconds,
         incidents = incidents + excluded.incidents`,
      [addonId, month, seconds, first ? 1 : 0],
    );
    first = false;
    start = monthEnd;
  }
}

export function nextMonth(instant: number): number {
  const d = new Date(instant);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
