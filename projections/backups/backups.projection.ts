import type { AddonEvent } from '../../src/addons/domain/addon.events';
import { findPlan } from '../../src/catalogue/domain/catalogue';
import type { StoredEvent } from '../../src/event-store/event-store.port';
import type { Projection, ProjectionTx } from '../projection';

/**
 * Backups by add-on, kept after the add-on's removal: one row per backup with its
 * lifecycle, and per add-on what the retention policy needs at query time (the class
 * that pays for its backups, since when it is removed or on a Sandbox).
 */
export const backupsProjection: Projection = {
  name: 'backups',
  version: 1,
  tables: ['backups', 'backup_addons'],
  handles: [
    'AddonProvisioned',
    'PlanChanged',
    'PlanChangeFailed',
    'AddonDeprovisioned',
    'BackupRequested',
    'BackupStarted',
    'BackupTaken',
    'BackupFailed',
    'BackupExpired',
  ],
  async apply(event: StoredEvent, tx: ProjectionTx): Promise<void> {
    const addonId = event.stream.slice('addon-'.length);
    const backups = tx.table('backups');
    const addons = tx.table('backup_addons');
    const q = (sql: string, params: unknown[]) => tx.manager.query(sql, params);
    const message = { type: event.type, data: event.data } as unknown as AddonEvent;
    switch (message.type) {
      case 'AddonProvisioned': {
        const { appName, planId, at } = message.data;
        const cls = classOf(planId);
        await q(`INSERT INTO ${addons} (addon_id, app, plan_id, last_paid_class, sandbox_since) VALUES (?, ?, ?, ?, ?)`, [
          addonId,
          appName,
          planId,
          cls === 'sandbox' ? null : cls,
          cls === 'sandbox' ? at : null,
        ]);
        return;
      }
      case 'PlanChanged': {
        const { toPlanId, at } = message.data;
        const cls = classOf(toPlanId);
        const paid = cls !== 'sandbox';
        // Same rule as the add-on's state: a paid plan pays for its backups; a Sandbox ages them as after a removal.
        await q(
          `UPDATE ${addons} SET prev_last_paid_class = last_paid_class, prev_sandbox_since = sandbox_since, plan_id = ?,
             last_paid_class = ${paid ? '?' : 'last_paid_class'},
             sandbox_since = ${paid ? 'NULL' : 'COALESCE(sandbox_since, ?)'}
           WHERE addon_id = ?`,
          [toPlanId, paid ? cls : at, addonId],
        );
        return;
      }
      case 'PlanChangeFailed': {
        const { fromPlanId } = message.data;
        await q(
          `UPDATE ${addons} SET plan_id = ?, last_paid_class = prev_last_paid_class, sandbox_since = prev_sandbox_since WHERE addon_id = ?`,
          [fromPlanId, addonId],
        );
        return;
      }
      case 'AddonDeprovisioned':
        await q(`UPDATE ${addons} SET removed_at = ? WHERE addon_id = ?`, [message.data.at, addonId]);
        return;
      case 'BackupRequested': {
        const { backupId, name, method, at } = message.data;
        await q(
          `INSERT INTO ${backups} (backup_id, addon_id, app, name, method, status, created_at)
           SELECT ?, ?, app, ?, ?, 'scheduled', ? FROM ${addons} WHERE addon_id = ?`,
          [backupId, addonId, name, method, at, addonId],
        );
        return;
      }
      case 'BackupStarted': {
        const { backupId, at } = message.data;
        await q(`UPDATE ${backups} SET status = 'running', started_at = ? WHERE backup_id = ?`, [at, backupId]);
        return;
      }
      case 'BackupTaken': {
        const { backupId, sizeBytes, checksum, at } = message.data;
        await q(`UPDATE ${backups} SET status = 'done', ended_at = ?, size_bytes = ?, checksum = ? WHERE backup_id = ?`, [
          at,
          sizeBytes,
          checksum,
          backupId,
        ]);
        return;
      }
      case 'BackupFailed': {
        const { backupId, reason, at } = message.data;
        await q(`UPDATE ${backups} SET status = 'error', ended_at = ?, error = ? WHERE backup_id = ?`, [at, reason, backupId]);
        return;
      }
      case 'BackupExpired': {
        const { backupId, at } = message.data;
        await q(`UPDATE ${backups} SET status = 'expired', expired_at = ? WHERE backup_id = ?`, [at, backupId]);
        return;
      }
      default:
        return;
    }
  },
};

function classOf(planId: string) {
  const plan = findPlan(planId);
  if (!plan) throw new Error(`Unknown plan ${planId}`);
  return plan.class;
}
