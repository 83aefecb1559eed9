import type { AddonEvent } from '../../src/addons/domain/addon.events';
import type { AppEvent } from '../../src/apps/domain/app.events';
import type { StoredEvent } from '../../src/event-store/event-store.port';
import { insertRows, Projection, ProjectionTx, selectByKeys } from '../projection';

/** A sentence a person can read for an add-on or app event (never a secret). */
export function summarize(stream: string, type: string, data: unknown): string {
  if (stream.startsWith('app-')) return summarizeApp({ type, data } as unknown as AppEvent);
  const summary = (ADDON_SUMMARIES as Record<string, ((d: unknown) => string) | undefined>)[type];
  return summary ? summary(data) : type;
}

type Summaries = { [K in AddonEvent['type']]: (data: Extract<AddonEvent, { type: K }>['data']) => string };

const ADDON_SUMMARIES: Summaries = {
  AddonProvisioned: (d) => `Add-on ${d.providerId} ${d.version} provisioned on plan ${d.planId} for app ${d.appName}`,
  AddonRunning: () => 'Add-on running',
  AddonProvisioningAbandoned: (d) => `Provisioning abandoned: ${d.reason}`,
  AddonProvisioningFailed: (d) => `Provisioning failed: ${d.reason}`,
  PlanChanged: (d) => `Plan change from ${d.fromPlanId} to ${d.toPlanId} (downtime: ${d.downtime})`,
  PlanChangeFailed: (d) => `Plan change to ${d.toPlanId} failed, back on ${d.fromPlanId}: ${d.reason}`,
  AddonRestarted: (d) => `Add-on restarted after ${d.reason.replace('-', ' ')} (${d.downtimeSeconds} s of downtime)`,
  FeatureEnabled: (d) => `Feature ${d.feature} enabled`,
  FeatureDisabled: (d) => `Feature ${d.feature} disabled`,
  MaintenanceWindowSet: (d) => `Maintenance window set to ${WEEKDAYS[d.weekdayUtc]} ${d.startingHourUtc}:00 UTC for ${d.durationHours} h`,
  BackupScheduleSet: (d) => (d.enabled ? `Daily backups at ${d.hour}:00 ${d.timezone}` : 'Daily backups turned off'),
  BackupRequested: (d) => `${d.method === 'manual' ? 'Manual' : 'Periodic'} backup ${d.name} requested`,
  BackupStarted: (d) => `Backup ${d.backupId} started`,
  BackupTaken: (d) => `Backup ${d.backupId} taken (${d.sizeBytes} bytes)`,
  BackupFailed: (d) => `Backup ${d.backupId} failed: ${d.reason}`,
  BackupExpired: (d) => `Backup ${d.backupId} expired (${d.reason === 'retention' ? 'retention policy' : 'after the removal'})`,
  BackupDownloadRequested: (d) => `Download link issued for backup ${d.backupId}`,
  VersionUpgradeStarted: (d) => `Upgrade from ${d.fromVersion} to ${d.toVersion} started (${d.kind}, downtime: ${d.downtime})`,
  VersionUpgraded: (d) => `Upgraded from ${d.fromVersion} to ${d.toVersion}`,
  VersionUpgradeFailed: (d) => `Upgrade to ${d.toVersion} failed, still on ${d.fromVersion}: ${d.reason}`,
  RestoreStarted: (d) => ('backupId' in d.source ? `Restore from backup ${d.source.backupId} started` : `Restore to ${d.source.pointInTime} started`),
  RestoreCompleted: () => 'Restore completed',
  RestoreFailed: (d) => `Restore failed: ${d.reason}`,
  NodeFailureDetected: (d) => `Node ${d.node} (${d.role}) reported down`,
  NodeRecovered: (d) => `Node ${d.node} back up`,
  AddonUnavailable: (d) => `Add-on unavailable: ${d.reason}`,
  AddonRecovered: () => 'Add-on available again',
  FailoverTriggered: (d) => `${d.reason === 'automatic' ? 'Automatic failover' : 'Switchover'} from ${d.fromNode} to ${d.toNode}`,
  FailoverCompleted: (d) => `Failover completed: ${d.leader} leads, new standby ${d.standby}`,
  FailoverFailed: (d) => `Failover to ${d.toNode} failed: ${d.reason}`,
  AddonDeprovisioned: (d) =>
    d.manualBackupsKeptUntil ? `Add-on removed; manual backups kept until ${d.manualBackupsKeptUntil}` : 'Add-on removed',
  MaintenanceAnnounced: (d) => `Maintenance announced from ${d.startsAt} to ${d.endsAt}: ${d.reason}`,
  MaintenanceStarted: () => 'Maintenance started',
  MaintenanceCompleted: () => 'Maintenance completed',
  MaintenanceCancelled: (d) => `Maintenance called off: ${d.reason}`,
  MaintenanceFailed: (d) => `Maintenance failed: ${d.reason}`,
};

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function summarizeApp(message: AppEvent): string {
  switch (message.type) {
    case 'AppCreated':
      return `App ${message.data.name} created by ${message.data.owner}`;
    case 'AddonAttached':
      return `Add-on ${message.data.providerId} ${message.data.addonId} attached`;
    case 'AddonDetached':
      return `Add-on ${message.data.addonId} detached`;
    case 'AppVariablesSet':
      return `Variables set: ${message.data.variables.map((v) => v.name).join(', ')}`;
    case 'AppVariablesUnset':
      return `Variables removed: ${message.data.names.join(', ')}`;
    case 'AppRestartRequested':
      return `App restart requested after the add-on's ${message.data.reason.replace('-', ' ')}`;
    default:
      return (message as { type: string }).type;
  }
}

/**
 * The audit log: one entry per event of an app or an add-on, with who did it, when, a
 * sentence a person can read, and the request it belongs to. Entries are written from
 * chosen fields only, so no secret (a sealed password, a data key) can reach them.
 */
export const auditProjection: Projection = {
  name: 'audit',
  version: 1,
  tables: ['audit', 'audit_addons'],
  handles: [
    ...(['AppCreated', 'AddonAttached', 'AddonDetached', 'AppVariablesSet', 'AppVariablesUnset', 'AppRestartRequested'] satisfies Array<
      AppEvent['type']
    >),
    ...(Object.keys(ADDON_SUMMARIES) as Array<AddonEvent['type']>),
  ],
  apply: (event, tx) => applyAudit([event], tx),
  applyBatch: (events, tx) => applyAudit(events, tx),
};

/** A few statements per batch: the apps of its add-ons in one read, its entries in multi-row inserts. */
async function applyAudit(events: readonly StoredEvent[], tx: ProjectionTx): Promise<void> {
  const appOf = new Map<string, string>();
  const addonIds = [...new Set(events.filter((e) => e.stream.startsWith('addon-')).map((e) => e.stream.slice('addon-'.length)))];
  for (const row of await selectByKeys<{ addon_id: string; app: string }>(tx, tx.table('audit_addons'), 'addon_id', addonIds)) {
    appOf.set(row.addon_id, row.app);
  }
  const newAddons: Array<[string, string]> = [];
  const entries = events.map((event) => {
    let app: string | null = null;
    let addonId: string | null = null;
    let summary: string;
    if (event.stream.startsWith('app-')) {
      app = event.stream.slice('app-'.length);
      const message = { type: event.type, data: event.data } as unknown as AppEvent;
      summary = summarizeApp(message);
      if (message.type === 'AddonAttached' || message.type === 'AddonDetached' || message.type === 'AppRestartRequested') {
        addonId = message.data.addonId ?? null;
      }
    } else {
      addonId = event.stream.slice('addon-'.length);
      const message = { type: event.type, data: event.data } as unknown as AddonEvent;
      if (message.type === 'AddonProvisioned' && !appOf.has(addonId)) {
        appOf.set(addonId, message.data.appName);
        newAddons.push([addonId, message.data.appName]);
      }
      app = appOf.get(addonId) ?? null;
      summary = (ADDON_SUMMARIES[message.type] as (data: unknown) => string)(message.data);
    }
    const at = typeof event.data.at === 'string' ? event.data.at : String(event.metadata.occurredAt);
    return [
      event.position.toString(),
      event.id,
      at,
      String(event.metadata.actor),
      event.type,
      app,
      addonId,
      summary,
      String(event.metadata.$correlationId),
    ];
  });
  await insertRows(tx, tx.table('audit_addons'), ['addon_id', 'app'], newAddons, { verb: 'INSERT OR IGNORE' });
  await insertRows(tx, tx.table('audit'), AUDIT_COLUMNS, entries);
}

const AUDIT_COLUMNS = ['position', 'event_id', 'at', 'actor', 'action', 'app', 'addon_id', 'summary', 'correlation_id'];
