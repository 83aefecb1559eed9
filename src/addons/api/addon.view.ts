import { utcHourOn } from '../../backups/domain/backup-schedule';
import { applyRetention, KeptBackup } from '../../backups/domain/retention-policy';
import { CLASS_POLICIES, findPlan, nextVersion, PROVIDERS, ServiceClass } from '../../catalogue/domain/catalogue';
import { Addon, BackupRecord } from '../domain/addon.state';

/** The public shape of an add-on (snake_case, as API.md). No secret: the URL is on the app's variables. */
export function addonView(addon: Addon, at: Date) {
  const plan = findPlan(addon.planId)!;
  const policy = CLASS_POLICIES[plan.class];
  return {
    id: addon.id,
    app: addon.appName,
    resource_id: addon.resourceId,
    addon_provider: { id: addon.providerId, name: PROVIDERS[addon.providerId].name },
    plan: { id: plan.id, class: plan.class, memory_mb: plan.memoryMb },
    version: addon.version,
    next_version: nextVersion(addon.providerId, addon.version),
    status: addon.status,
    features: PROVIDERS[addon.providerId].features.map((name) => ({ name, enabled: addon.features.includes(name) })),
    maintenance_window: {
      weekday_utc: addon.maintenanceWindow.weekdayUtc,
      starting_hour_utc: addon.maintenanceWindow.startingHourUtc,
      duration_in_hour: addon.maintenanceWindow.durationHours,
    },
    backup_schedule: backupScheduleView(addon, at, policy.scheduledBackups),
    nodes: addon.nodes.map((node) => ({
      name: node.name,
      role: node.role,
      status: addon.failedNodes.includes(node.name) ? 'down' : 'up',
    })),
    connection: { host: addon.connection.host, port: addon.connection.port, user: addon.connection.user },
    ...(addon.planChange && { plan_change: { from: addon.planChange.fromPlanId, to: addon.planChange.toPlanId } }),
    ...(addon.upgrade && { upgrade: { from: addon.upgrade.fromVersion, to: addon.upgrade.toVersion } }),
    ...(addon.provisioningError && { provisioning_error: addon.provisioningError }),
    ...(addon.maintenance && {
      maintenance: {
        id: addon.maintenance.maintenanceId,
        reason: addon.maintenance.reason,
        starts_at: addon.maintenance.startsAt,
        ends_at: addon.maintenance.endsAt,
        started: addon.maintenance.started,
      },
    }),
    provisioned_at: addon.provisionedAt,
    ...(addon.deprovisionedAt && { deprovisioned_at: addon.deprovisionedAt }),
  };
}

export function backupScheduleView(addon: Addon, at: Date, classHasBackups: boolean) {
  const { enabled, hour, timezone } = addon.backupSchedule;
  return {
    enabled,
    /** False on a Sandbox, which has no backups whatever the setting. */
    active: enabled && classHasBackups,
    scheduled_at: timezone === 'UTC' ? `${hour}:00 UTC` : `${hour} ${timezone}`,
    hour_local: hour,
    timezone,
    hour_utc: utcHourOn({ hour, timezone }, at.toISOString()),
  };
}

/** Backups newest first, with the bucket that keeps each and when it expires. */
export function backupsView(addon: Addon, at: Date) {
  return retainedBackupsView(addon.backups, { lastPaidClass: addon.lastPaidClass, removedAt: addon.deprovisionedAt ?? addon.sandboxSince }, at);
}

/** What retention needs to know of an add-on: the class paying for its backups, and since when it is removed (or on a Sandbox). */
export interface RetentionContext {
  lastPaidClass?: ServiceClass;
  removedAt?: string;
}

/** Backups newest first, each with the retention bucket keeping it at `at` and when it expires. */
export function retainedBackupsView(backups: readonly BackupRecord[], { lastPaidClass, removedAt }: RetentionContext, at: Date) {
  const kept = new Map<string, KeptBackup>();
  if (lastPaidClass) {
    const decision = applyRetention({
      backups: backups.map(({ id, method, status, createdAt }) => ({ id, method, status, createdAt })),
      now: at.toISOString(),
      retention: CLASS_POLICIES[lastPaidClass].retention,
      removedAt: removedAt ?? null,
    });
    for (const k of decision.keep) kept.set(k.id, k);
  }
  return [...backups]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((backup) => backupView(backup, kept.get(backup.id)));
}

export function backupView(backup: BackupRecord, kept?: KeptBackup) {
  return {
    id: backup.id,
    name: backup.name,
    created_at: backup.createdAt,
    started_at: backup.startedAt ?? null,
    ended_at: backup.endedAt ?? null,
    size: backup.sizeBytes ?? null,
    status: backup.status,
    method: backup.method,
    retention: kept?.buckets ?? [],
    expires_at: backup.status === 'expired' ? (backup.expiredAt ?? null) : (kept?.expiresAt ?? null),
    ...(backup.error && { error: backup.error }),
  };
}
