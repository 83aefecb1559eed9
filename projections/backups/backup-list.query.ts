import type { EntityManager } from 'typeorm';
import { retainedBackupsView } from '../../src/addons/api/addon.view';
import type { BackupRecord } from '../../src/addons/domain/addon.state';
import type { ServiceClass } from '../../src/catalogue/domain/catalogue';

interface BackupRow {
  backup_id: string;
  name: string;
  method: BackupRecord['method'];
  status: BackupRecord['status'];
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  size_bytes: number | null;
  checksum: string | null;
  error: string | null;
  expired_at: string | null;
}

/**
 * An add-on's backups from the read model, newest first, each with the retention bucket
 * keeping it now and when it expires (computed at query time: buckets move as days pass).
 * Null when the read model does not know the add-on.
 */
export async function listBackups(
  db: EntityManager,
  tables: { backups: string; addons: string },
  addonId: string,
  at: Date,
): Promise<ReturnType<typeof retainedBackupsView> | null> {
  const [addon]: Array<{ last_paid_class: ServiceClass | null; sandbox_since: string | null; removed_at: string | null }> =
    await db.query(`SELECT last_paid_class, sandbox_since, removed_at FROM ${tables.addons} WHERE addon_id = ?`, [addonId]);
  if (!addon) return null;
  const rows: BackupRow[] = await db.query(`SELECT * FROM ${tables.backups} WHERE addon_id = ? ORDER BY created_at DESC`, [addonId]);
  const backups: BackupRecord[] = rows.map((row) => ({
    id: row.backup_id,
    name: row.name,
    method: row.method,
    status: row.status,
    createdAt: row.created_at,
    ...(row.started_at !== null && { startedAt: row.started_at }),
    ...(row.ended_at !== null && { endedAt: row.ended_at }),
    ...(row.size_bytes !== null && { sizeBytes: row.size_bytes }),
    ...(row.checksum !== null && { checksum: row.checksum }),
    ...(row.error !== null && { error: row.error }),
    ...(row.expired_at !== null && { expiredAt: row.expired_at }),
  }));
  const context = {
    ...(addon.last_paid_class !== null && { lastPaidClass: addon.last_paid_class }),
    ...((addon.removed_at ?? addon.sandbox_since) !== null && { removedAt: (addon.removed_at ?? addon.sandbox_since)! }),
  };
  return retainedBackupsView(backups, context, at);
}
