import type { AddonEvent } from '../../src/addons/domain/addon.events';
import { findPlan, ServiceClass } from '../../src/catalogue/domain/catalogue';
import type { StoredEvent } from '../../src/event-store/event-store.port';
import { insertRows, Projection, ProjectionTx, selectByKeys } from '../projection';

interface AddonRow {
  addon_id: string;
  app: string;
  plan_id: string;
  last_paid_class: ServiceClass | null;
  sandbox_since: string | null;
  removed_at: string | null;
  prev_last_paid_class: ServiceClass | null;
  prev_sandbox_since: string | null;
}

interface BackupRow {
  backup_id: string;
  addon_id: string;
  app: string;
  name: string;
  method: string;
  status: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  size_bytes: number | null;
  checksum: string | null;
  error: string | null;
  expired_at: string | null;
}

const ADDON_COLUMNS: ReadonlyArray<keyof AddonRow> = [
  'addon_id',
  'app',
  'plan_id',
  'last_paid_class',
  'sandbox_since',
  'removed_at',
  'prev_last_paid_class',
  'prev_sandbox_since',
];
const BACKUP_COLUMNS: ReadonlyArray<keyof BackupRow> = [
  'backup_id',
  'addon_id',
  'app',
  'name',
  'method',
  'status',
  'created_at',
  'started_at',
  'ended_at',
  'size_bytes',
  'checksum',
  'error',
  'expired_at',
];

/**
 * Backups by add-on, kept after the add-on's removal: one row per backup with its
 * lifecycle, and per add-on what the retention policy needs at query time (the class
 * that pays for its backups, since when it is removed or on a Sandbox).
 *
 * A batch is applied in memory: the rows it touches are read in two statements, changed
 * event by event, and written back with multi-row upserts.
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
  ] satisfies Array<AddonEvent['type']>,
  apply: (event, tx) => applyBackups([event], tx),
  applyBatch: (events, tx) => applyBackups(events, tx),
};

async function applyBackups(events: readonly StoredEvent[], tx: ProjectionTx): Promise<void> {
  const addonIds = [...new Set(events.map((e) => e.stream.slice('addon-'.length)))];
  const backupIds = [...new Set(events.map((e) => (e.data as { backupId?: unknown }).backupId).filter((id): id is string => typeof id === 'string'))];
  const addons = new Map((await selectByKeys<AddonRow>(tx, tx.table('backup_addons'), 'addon_id', addonIds)).map((r) => [r.addon_id, r]));
  const backups = new Map((await selectByKeys<BackupRow>(tx, tx.table('backups'), 'backup_id', backupIds)).map((r) => [r.backup_id, r]));
  const changedAddons = new Set<string>();
  const changedBackups = new Set<string>();

  for (const event of events) {
    const addonId = event.stream.slice('addon-'.length);
    const message = { type: event.type, data: event.data } as unknown as AddonEvent;
    const addon = addons.get(addonId);
    const backup = (id: string) => {
      const row = backups.get(id);
      if (row) changedBackups.add(id);
      return row;
    };
    if (message.type === 'AddonProvisioned') {
      if (addon) continue;
      const cls = classOf(message.data.planId);
      addons.set(addonId, {
        addon_id: addonId,
        app: message.data.appName,
        plan_id: message.data.planId,
        last_paid_class: cls === 'sandbox' ? null : cls,
        sandbox_since: cls === 'sandbox' ? message.data.at : null,
        removed_at: null,
        prev_last_paid_class: null,
        prev_sandbox_since: null,
      });
      changedAddons.add(addonId);
      continue;
    }
    if (!addon) continue;
    switch (message.type) {
      case 'PlanChanged': {
        const cls = classOf(message.data.toPlanId);
        // Same rule as the add-on's state: a paid plan pays for its backups; a Sandbox ages them as after a removal.
        addon.prev_last_paid_class = addon.last_paid_class;
        addon.prev_sandbox_since = addon.sandbox_since;
        addon.plan_id = message.data.toPlanId;
        if (cls !== 'sandbox') {
          addon.last_paid_class = cls;
          addon.sandbox_since = null;
        } else {
          addon.sandbox_since ??= message.data.at;
        }
        changedAddons.add(addonId);
        break;
      }
      case 'PlanChangeFailed':
        addon.plan_id = message.data.fromPlanId;
        addon.last_paid_class = addon.prev_last_paid_class;
        addon.sandbox_since = addon.prev_sandbox_since;
        changedAddons.add(addonId);
        break;
      case 'AddonDeprovisioned':
        addon.removed_at = message.data.at;
        changedAddons.add(addonId);
        break;
      case 'BackupRequested': {
        const { backupId, name, method, at } = message.data;
        if (backups.has(backupId)) break;
        backups.set(backupId, {
          backup_id: backupId,
          addon_id: addonId,
          app: addon.app,
          name,
          method,
          status: 'scheduled',
          created_at: at,
          started_at: null,
          ended_at: null,
          size_bytes: null,
          checksum: null,
          error: null,
          expired_at: null,
        });
        changedBackups.add(backupId);
        break;
      }
      case 'BackupStarted': {
        const row = backup(message.data.backupId);
        if (row) Object.assign(row, { status: 'running', started_at: message.data.at });
        break;
      }
      case 'BackupTaken': {
        const row = backup(message.data.backupId);
        const { sizeBytes, checksum, at } = message.data;
        if (row) Object.assign(row, { status: 'done', ended_at: at, size_bytes: sizeBytes, checksum });
        break;
      }
      case 'BackupFailed': {
        const row = backup(message.data.backupId);
        if (row) Object.assign(row, { status: 'error', ended_at: message.data.at, error: message.data.reason });
        break;
      }
      case 'BackupExpired': {
        const row = backup(message.data.backupId);
        if (row) Object.assign(row, { status: 'expired', expired_at: message.data.at });
        break;
      }
      default:
        break;
    }
  }

  await upsert(tx, tx.table('backup_addons'), ADDON_COLUMNS, [...changedAddons].map((id) => addons.get(id)!));
  await upsert(tx, tx.table('backups'), BACKUP_COLUMNS, [...changedBackups].map((id) => backups.get(id)!));
}

/** Writes whole rows back: inserted, or replacing the stored row with the same key. */
function upsert<Row extends object>(tx: ProjectionTx, table: string, columns: ReadonlyArray<keyof Row>, rows: Row[]): Promise<void> {
  const names = columns as unknown as string[];
  const [key, ...others] = names;
  return insertRows(
    tx,
    table,
    names,
    rows.map((row) => columns.map((c) => row[c])),
    { upsert: `ON CONFLICT (${key}) DO UPDATE SET ${others.map((c) => `${c} = excluded.${c}`).join(', ')}` },
  );
}

function classOf(planId: string): ServiceClass {
  const plan = findPlan(planId);
  if (!plan) throw new Error(`Unknown plan ${planId}`);
  return plan.class;
}
