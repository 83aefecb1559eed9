import { utcHoursOverYear } from '../../backups/domain/backup-schedule';
import { applyRetention } from '../../backups/domain/retention-policy';
import {
  CLASS_POLICIES,
  ClassPolicy,
  compareVersions,
  DatabaseType,
  Feature,
  findPlan,
  isDatabaseType,
  isFeature,
  majorOf,
  nextVersion,
  Plan,
  planChangeDowntime,
  PROVIDERS,
} from '../../catalogue/domain/catalogue';
import { assertNever, Decider } from '../../shared/domain/decider';
import { DomainError } from '../../shared/domain/domain-error';
import { isKnownZone } from '../../shared/domain/time-zones';
import { addMonths, compactUtc, toMillis } from '../../shared/domain/time';
import { AddonCommand } from './addon.commands';
import { AddonEvent, AddonNode, BackupSchedule, MaintenanceWindow } from './addon.events';
import { Addon, AddonState, BackupRecord, evolveAddon, initialAddonState } from './addon.state';

export const MAINTENANCE_WINDOW_HOURS = 8;
/** Periodic backups run at 00:00 UTC by default: 01:00 CET, as the platform does. */
export const DEFAULT_BACKUP_SCHEDULE: BackupSchedule = { enabled: true, hour: 0, timezone: 'UTC' };

/**
 * The rules of an add-on (DOMAIN.md): its lifecycle, plan, version, features, maintenance
 * window, backups and their retention, restores, node failures and failover. Time and ids
 * come in with the commands.
 */
export const addonDecider: Decider<AddonState, AddonCommand, AddonEvent> = {
  initialState: initialAddonState,
  evolve: evolveAddon,
  decide(command, state) {
    if (command.type === 'ProvisionAddon') return provision(command.data, state);
    if (command.type === 'AbandonProvisioning') {
      return state.status === 'none' && !state.abandoned ? [{ type: 'AddonProvisioningAbandoned', data: command.data }] : [];
    }
    const addon = existing(state);
    const at = command.data.at;
    switch (command.type) {
      case 'CompleteProvisioning':
        if (addon.status === 'running') return [];
        requireStatus(addon, 'provisioning', 'ADDON.NOT_PROVISIONING', 'This add-on is not being provisioned.');
        return [{ type: 'AddonRunning', data: { at } }];

      case 'FailProvisioning':
        if (addon.status === 'provisioning-failed') return [];
        requireStatus(addon, 'provisioning', 'ADDON.NOT_PROVISIONING', 'This add-on is not being provisioned.');
        return [{ type: 'AddonProvisioningFailed', data: { reason: command.data.reason, at } }];

      case 'ChangePlan':
        return changePlan(active(addon), command.data.planId, at);

      case 'RecordRestart':
        if (addon.status !== 'changing-plan') return [];
        return [
          { type: 'AddonRestarted', data: { reason: 'plan-change', downtimeSeconds: command.data.downtimeSeconds, at } },
        ];

      case 'EnableFeature':
      case 'DisableFeature': {
        const live = requireRunning(active(addon));
        const feature = featureOf(live, command.data.feature);
        const enabled = live.features.includes(feature);
        if (command.type === 'EnableFeature') return enabled ? [] : [{ type: 'FeatureEnabled', data: { feature, at } }];
        return enabled ? [{ type: 'FeatureDisabled', data: { feature, at } }] : [];
      }

      case 'SetMaintenanceWindow': {
        const live = configurable(addon);
        const window = maintenanceWindow(command.data.weekdayUtc, command.data.startingHourUtc);
        if (sameWindow(live.maintenanceWindow, window)) return [];
        const clash = scheduleClash(live.backupSchedule, window, at);
        if (live.backupSchedule.enabled && policyOf(live).scheduledBackups && clash.length > 0) {
          throw new DomainError(
            'MAINTENANCE.CONFLICTS_WITH_BACKUP_SCHEDULE',
            `This window covers the daily backup hour (${utcHours(clash)}). ` +
              'Pick another window, or move the backup schedule first.',
            { hoursUtc: clash },
          );
        }
        return [{ type: 'MaintenanceWindowSet', data: { ...window, at } }];
      }

      case 'SetBackupSchedule': {
        const live = configurable(addon);
        requirePaid(live);
        const { enabled, hour, timezone } = command.data;
        if (!Number.isInteger(hour) || hour < 0 || hour > 23) {
          throw new DomainError('SCHEDULE.INVALID_TIME', 'The backup hour is a whole hour from 0 to 23.');
        }
        if (typeof timezone !== 'string' || !isKnownZone(timezone)) {
          throw new DomainError(
            'SCHEDULE.UNKNOWN_TIMEZONE',
            'Unknown time zone. Use an IANA time zone name such as UTC, Europe/Paris or America/New_York.',
            { timezone: String(timezone).slice(0, 64) },
          );
        }
        const schedule = { enabled, hour, timezone };
        if (JSON.stringify(schedule) === JSON.stringify(live.backupSchedule)) return [];
        const clash = scheduleClash(schedule, live.maintenanceWindow, at);
        if (enabled && clash.length > 0) {
          throw new DomainError(
            'BACKUP.SCHEDULE_IN_MAINTENANCE_WINDOW',
            `Backups at ${utcHours(clash)} would fall inside the maintenance window ` +
              `(${describeWindow(live.maintenanceWindow)}). Pick an hour outside it.`,
            { hoursUtc: clash },
          );
        }
        return [{ type: 'BackupScheduleSet', data: { ...schedule, at } }];
      }

      case 'RequestBackup':
        return requestBackup(addon, command.data.backupId, command.data.method, at);

      case 'StartBackup': {
        const backup = backupOf(addon, command.data.backupId);
        return backup.status === 'scheduled' ? [{ type: 'BackupStarted', data: { backupId: backup.id, at } }] : [];
      }

      case 'CompleteBackup': {
        const backup = backupOf(addon, command.data.backupId);
        if (backup.status === 'done') return [];
        if (backup.status !== 'running' && backup.status !== 'scheduled') {
          throw new DomainError('BACKUP.NOT_RUNNING', `Backup ${backup.id} is ${backup.status}; it cannot finish now.`);
        }
        const { sizeBytes, checksum, replicas } = command.data;
        const started: AddonEvent[] =
          backup.status === 'scheduled' ? [{ type: 'BackupStarted', data: { backupId: backup.id, at } }] : [];
        const taken: AddonEvent = { type: 'BackupTaken', data: { backupId: backup.id, sizeBytes, checksum, replicas, at } };
        return withRetention(addon, [...started, taken], at);
      }

      case 'FailBackup': {
        const backup = backupOf(addon, command.data.backupId);
        if (backup.status === 'error') return [];
        if (backup.status !== 'running' && backup.status !== 'scheduled') {
          throw new DomainError('BACKUP.NOT_RUNNING', `Backup ${backup.id} is ${backup.status}; it cannot fail now.`);
        }
        const failed: AddonEvent = { type: 'BackupFailed', data: { backupId: backup.id, reason: command.data.reason, at } };
        return withRetention(addon, [failed], at);
      }

      case 'ApplyRetention':
        return retention(addon, at);

      case 'RequestBackupDownload': {
        const backup = backupOf(addon, command.data.backupId);
        requireDone(backup);
        return [{ type: 'BackupDownloadRequested', data: { backupId: backup.id, at } }];
      }

      case 'StartUpgrade':
        return startUpgrade(requireRunning(active(addon)), command.data.toVersion, at);

      case 'CompleteUpgrade':
        if (addon.status !== 'upgrading' || !addon.upgrade) return [];
        return [{ type: 'VersionUpgraded', data: { ...addon.upgrade, at } }];

      case 'StartRestore':
        return startRestore(requireRunning(active(addon)), command.data.restoreId, command.data.source, at);

      case 'CompleteRestore':
        if (addon.restore?.restoreId !== command.data.restoreId) return [];
        return [{ type: 'RestoreCompleted', data: { restoreId: command.data.restoreId, at } }];

      case 'FailRestore':
        if (addon.restore?.restoreId !== command.data.restoreId) return [];
        return [{ type: 'RestoreFailed', data: { ...command.data, at } }];

      case 'ReportNodeFailure':
        return nodeFailure(active(addon), command.data.node, at);

      case 'ReportNodeRecovery': {
        const live = active(addon);
        const node = nodeOf(live, command.data.node);
        if (!live.failedNodes.includes(node.name)) return [];
        const events: AddonEvent[] = [{ type: 'NodeRecovered', data: { node: node.name, at } }];
        const failed = live.failedNodes.filter((n) => n !== node.name);
        if (live.status === 'unavailable' && serves(live, failed)) events.push({ type: 'AddonRecovered', data: { at } });
        return events;
      }

      case 'TriggerFailover':
        return triggerFailover(active(addon), command.data.reason, at);

      case 'CompleteFailover': {
        if (addon.status !== 'failing-over' || !addon.failover) return [];
        return [{ type: 'FailoverCompleted', data: { leader: addon.failover.toNode, standby: command.data.standby, at } }];
      }

      case 'DeprovisionAddon': {
        if (addon.status === 'deprovisioned') return [];
        const live = addon;
        const months = (live.lastPaidClass && CLASS_POLICIES[live.lastPaidClass].retention.manualMonthsAfterRemoval) || 0;
        const keptUntil = months > 0 ? addMonths(at, months) : null;
        return [{ type: 'AddonDeprovisioned', data: { manualBackupsKeptUntil: keptUntil, at } }];
      }

      case 'FailPlanChange':
        if (addon.status !== 'changing-plan' || !addon.planChange) return [];
        return [
          {
            type: 'PlanChangeFailed',
            data: { fromPlanId: addon.planChange.fromPlanId, toPlanId: addon.planChange.toPlanId, reason: command.data.reason, at },
          },
        ];

      case 'FailUpgrade':
        if (addon.status !== 'upgrading' || !addon.upgrade) return [];
        return [{ type: 'VersionUpgradeFailed', data: { ...addon.upgrade, reason: command.data.reason, at } }];

      case 'ScheduleMaintenance':
        return scheduleMaintenance(active(addon), command.data.maintenanceId, command.data.reason, at);

      case 'StartMaintenance': {
        const maintenance = addon.maintenance;
        if (!maintenance || maintenance.maintenanceId !== command.data.maintenanceId || maintenance.started) return [];
        const now = toMillis(at);
        if (now < toMillis(maintenance.startsAt) || now >= toMillis(maintenance.endsAt)) {
          throw new DomainError(
            'MAINTENANCE.OUTSIDE_WINDOW',
            `This maintenance runs from ${maintenance.startsAt} to ${maintenance.endsAt}, as announced.`,
            { startsAt: maintenance.startsAt, endsAt: maintenance.endsAt },
          );
        }
        requireRunning(active(addon));
        return [{ type: 'MaintenanceStarted', data: { maintenanceId: maintenance.maintenanceId, at } }];
      }

      case 'CompleteMaintenance': {
        const maintenance = addon.maintenance;
        if (!maintenance || maintenance.maintenanceId !== command.data.maintenanceId || !maintenance.started) return [];
        return [{ type: 'MaintenanceCompleted', data: { maintenanceId: maintenance.maintenanceId, at } }];
      }

      case 'CancelMaintenance': {
        const maintenance = addon.maintenance;
        if (!maintenance || maintenance.maintenanceId !== command.data.maintenanceId || maintenance.started) return [];
        return [{ type: 'MaintenanceCancelled', data: { maintenanceId: maintenance.maintenanceId, reason: command.data.reason, at } }];
      }

      case 'FailMaintenance': {
        const maintenance = addon.maintenance;
        if (!maintenance || maintenance.maintenanceId !== command.data.maintenanceId || !maintenance.started) return [];
        return [{ type: 'MaintenanceFailed', data: { maintenanceId: maintenance.maintenanceId, reason: command.data.reason, at } }];
      }

      default:
        return assertNever(command, 'add-on command');
    }
  },
};

// ----- provisioning and plans -----

function provision(data: Extract<AddonCommand, { type: 'ProvisionAddon' }>['data'], state: AddonState): AddonEvent[] {
  if (state.status !== 'none') {
    throw new DomainError('ADDON.ALREADY_EXISTS', `Add-on ${data.addonId} already exists.`);
  }
  if (state.abandoned) {
    throw new DomainError('ADDON.PROVISIONING_ABANDONED', 'This provisioning took too long to begin and was abandoned; the app is free for another.');
  }
  const providerId = data.providerId;
  if (!isDatabaseType(providerId)) {
    throw new DomainError('PROVIDER.UNKNOWN', 'Unknown add-on provider: see GET /v1/addon-providers for the list.', {
      addonProviderId: String(providerId).slice(0, 64),
    });
  }
  const plan = planFor(providerId, data.planId);
  const version = data.version ?? PROVIDERS[providerId].versions.at(-1)!;
  if (!PROVIDERS[providerId].versions.includes(version)) {
    throw new DomainError(
      'VERSION.UNKNOWN',
      `${PROVIDERS[providerId].name} ${String(version).slice(0, 32)} is not offered. Offered: ${PROVIDERS[providerId].versions.join(', ')}.`,
    );
  }
  const window = maintenanceWindow(data.maintenanceWindow.weekdayUtc, data.maintenanceWindow.startingHourUtc);
  const clash = CLASS_POLICIES[plan.class].scheduledBackups ? scheduleClash(DEFAULT_BACKUP_SCHEDULE, window, data.at) : [];
  if (clash.length > 0) {
    throw new DomainError(
      'MAINTENANCE.CONFLICTS_WITH_BACKUP_SCHEDULE',
      `The maintenance window covers the default daily backup hour (${utcHours(clash)}). Draw another window.`,
      { hoursUtc: clash },
    );
  }
  return [
    {
      type: 'AddonProvisioned',
      data: {
        addonId: data.addonId,
        appName: data.appName,
        resourceId: data.resourceId,
        providerId,
        planId: plan.id,
        version,
        features: [...PROVIDERS[providerId].defaultFeatures],
        maintenanceWindow: window,
        backupSchedule: DEFAULT_BACKUP_SCHEDULE,
        nodes: nodesFor(data.resourceId, plan, []),
        connection: data.connection,
        at: data.at,
      },
    },
  ];
}

function changePlan(addon: Addon, planId: string, at: string): AddonEvent[] {
  // "At any time": a plan change redeploys on a new host, which is also how an add-on
  // whose node is down can get back up without waiting for that host.
  const live = addon.status === 'unavailable' ? addon : requireRunning(addon);
  const from = findPlan(live.planId)!;
  const to = planFor(live.providerId, planId);
  if (to.id === from.id) {
    throw new DomainError('PLAN.UNCHANGED', `The add-on is already on ${to.id}.`);
  }
  // A Sandbox has no scheduled backups, so its window was set freely: the daily backup
  // starts with the paid plan, and may not start inside the window.
  if (!CLASS_POLICIES[from.class].scheduledBackups && CLASS_POLICIES[to.class].scheduledBackups && live.backupSchedule.enabled) {
    const clash = scheduleClash(live.backupSchedule, live.maintenanceWindow, at);
    if (clash.length > 0) {
      throw new DomainError(
        'MAINTENANCE.CONFLICTS_WITH_BACKUP_SCHEDULE',
        `On ${to.id} daily backups run at ${utcHours(clash)}, inside the maintenance window ` +
          `(${describeWindow(live.maintenanceWindow)}). Move the maintenance window first, then change the plan.`,
        { hoursUtc: clash },
      );
    }
  }
  return [
    {
      type: 'PlanChanged',
      data: {
        fromPlanId: from.id,
        toPlanId: to.id,
        downtime: planChangeDowntime(from, to),
        downgrade: to.memoryMb < from.memoryMb,
        nodes: nodesFor(live.resourceId, to, live.nodes),
        at,
      },
    },
  ];
}

function planFor(providerId: DatabaseType, planId: string): Plan {
  const plan = findPlan(planId);
  if (!plan) {
    throw new DomainError('PLAN.UNKNOWN', `Unknown plan: see GET /v1/addon-providers for the plans of ${providerId}.`, {
      planId: String(planId).slice(0, 64),
    });
  }
  if (plan.type !== providerId) {
    throw new DomainError('PLAN.TYPE_MISMATCH', `Plan ${plan.id} is for ${plan.type}, not ${providerId}.`, {
      planId: plan.id,
    });
  }
  return plan;
}

/**
 * The nodes of a plan: one database node, or a leader and a hot standby; Redis Business
 * adds 3 sentinels and 2 HAProxy gateways. The current leader keeps its name.
 */
export function nodesFor(resourceId: string, plan: Plan, current: readonly AddonNode[]): AddonNode[] {
  const policy = CLASS_POLICIES[plan.class];
  const used = current.map((n) => /-db-(\d+)$/.exec(n.name)).filter(Boolean).map((m) => Number(m![1]));
  let next = Math.max(0, ...used) + 1;
  const leader = current.find((n) => n.role === 'leader')?.name ?? `${resourceId}-db-${next++}`;
  const nodes: AddonNode[] = [{ name: leader, role: 'leader' }];
  if (policy.databaseNodes === 2) {
    nodes.push({ name: current.find((n) => n.role === 'standby')?.name ?? `${resourceId}-db-${next++}`, role: 'standby' });
    if (plan.type === 'redis') {
      for (let i = 1; i <= 3; i++) nodes.push({ name: `${resourceId}-sentinel-${i}`, role: 'sentinel' });
      for (let i = 1; i <= 2; i++) nodes.push({ name: `${resourceId}-gateway-${i}`, role: 'gateway' });
    }
  }
  return nodes;
}

// ----- maintenance -----

/** A maintenance is announced this long before it starts, at least. */
export const MAINTENANCE_NOTICE_HOURS = 24;
const HOUR_MS = 3_600_000;

/**
 * Announces a maintenance in the first occurrence of the add-on's weekly window that
 * starts at least 24 hours from now; it starts and completes inside that window.
 */
function scheduleMaintenance(addon: Addon, maintenanceId: string, reason: string, at: string): AddonEvent[] {
  const pending = addon.maintenance;
  if (pending?.maintenanceId === maintenanceId) return [];
  // One announced that could not start before its window ended never will (StartMaintenance
  // is refused outside the window): it is called off rather than left to block every later one.
  const lapsed = pending !== undefined && !pending.started && toMillis(at) >= toMillis(pending.endsAt);
  if (pending && !lapsed) {
    throw new DomainError(
      'MAINTENANCE.ALREADY_SCHEDULED',
      `A maintenance is already announced from ${pending.startsAt}; announce another after it.`,
      { maintenanceId: pending.maintenanceId },
    );
  }
  const calledOff: AddonEvent[] = lapsed
    ? [
        {
          type: 'MaintenanceCancelled',
          data: { maintenanceId: pending.maintenanceId, reason: 'its window ended before it could start', at },
        },
      ]
    : [];
  if (addon.status === 'provisioning' || addon.status === 'provisioning-failed') {
    throw new DomainError('ADDON.NOT_RUNNING', 'The add-on is not running; there is nothing to maintain yet.');
  }
  const start = nextWindowStart(addon.maintenanceWindow, toMillis(at) + MAINTENANCE_NOTICE_HOURS * HOUR_MS);
  const end = start + addon.maintenanceWindow.durationHours * HOUR_MS;
  return [
    ...calledOff,
    {
      type: 'MaintenanceAnnounced',
      data: {
        maintenanceId,
        reason,
        startsAt: new Date(start).toISOString(),
        endsAt: new Date(end).toISOString(),
        at,
      },
    },
  ];
}

/** The first start of the weekly window at or after `notBefore` (ms). */
export function nextWindowStart(window: MaintenanceWindow, notBefore: number): number {
  const day = new Date(notBefore);
  const first = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), window.startingHourUtc);
  for (let i = 0; i <= 14; i++) {
    const candidate = first + i * 24 * HOUR_MS;
    if (new Date(candidate).getUTCDay() === window.weekdayUtc && candidate >= notBefore) return candidate;
  }
  throw new Error('No window start within two weeks');
}

// ----- versions -----

function startUpgrade(addon: Addon, requested: string | undefined, at: string): AddonEvent[] {
  const provider = PROVIDERS[addon.providerId];
  const current = addon.version;
  const target = requested ?? nextVersion(addon.providerId, current);
  if (!target) throw new DomainError('VERSION.UP_TO_DATE', `${provider.name} ${current} is the newest version offered.`);
  if (!provider.versions.includes(target)) {
    throw new DomainError(
      'VERSION.UNKNOWN',
      `${provider.name} ${target.slice(0, 32)} is not offered. Offered: ${provider.versions.join(', ')}.`,
    );
  }
  if (compareVersions(target, current) <= 0) {
    throw new DomainError(
      'VERSION.NOT_NEWER',
      `The add-on runs ${current}; it can only move to a newer version, never back.`,
    );
  }
  const kind = majorOf(target) === majorOf(current) ? 'minor' : 'major';
  if (kind === 'major') {
    const newestOfMajor = provider.versions.filter((v) => majorOf(v) === majorOf(current)).at(-1)!;
    if (newestOfMajor !== current) {
      throw new DomainError(
        'VERSION.NOT_ON_LATEST_MINOR',
        `Upgrade to ${newestOfMajor} first: the next major is reached from the newest version of the current one.`,
        { nextVersion: newestOfMajor },
      );
    }
    const nextMajor = provider.versions.map(majorOf).find((m) => m > majorOf(current));
    if (majorOf(target) !== nextMajor) {
      throw new DomainError(
        'VERSION.MAJOR_SKIPPED',
        `Upgrade to version ${nextMajor} first: majors are upgraded one at a time.`,
        { nextVersion: nextVersion(addon.providerId, current) },
      );
    }
  }
  const policy = policyOf(addon);
  const downtime = kind === 'major' ? policy.majorUpgrade : policy.minorUpgrade;
  return [{ type: 'VersionUpgradeStarted', data: { fromVersion: current, toVersion: target, kind, downtime, at } }];
}

// ----- features, window, schedule -----

function featureOf(addon: Addon, name: string): Feature {
  if (!isFeature(name)) {
    throw new DomainError('FEATURE.UNKNOWN', 'Unknown feature. Features: force-tls, internet-access, redis-rdb, redis-aof, redis-cache.');
  }
  if (!PROVIDERS[addon.providerId].features.includes(name)) {
    throw new DomainError('FEATURE.NOT_AVAILABLE', `${name} is not available on ${PROVIDERS[addon.providerId].name}.`, {
      feature: name,
    });
  }
  return name;
}

function maintenanceWindow(weekdayUtc: number, startingHourUtc: number): MaintenanceWindow {
  if (!Number.isInteger(weekdayUtc) || weekdayUtc < 0 || weekdayUtc > 6) {
    throw new DomainError('MAINTENANCE.INVALID_WINDOW', 'weekday_utc is 0 (Sunday) to 6 (Saturday).');
  }
  if (!Number.isInteger(startingHourUtc) || startingHourUtc < 0 || startingHourUtc > 23) {
    throw new DomainError('MAINTENANCE.INVALID_WINDOW', 'starting_hour_utc is a whole hour from 0 to 23.');
  }
  return { weekdayUtc, startingHourUtc, durationHours: MAINTENANCE_WINDOW_HOURS };
}

const sameWindow = (a: MaintenanceWindow, b: MaintenanceWindow) =>
  a.weekdayUtc === b.weekdayUtc && a.startingHourUtc === b.startingHourUtc && a.durationHours === b.durationHours;

/**
 * UTC hours at which a daily backup would run inside the weekly window. The backup runs
 * every day, so it runs on the window's day(s) too: any of its UTC hours (they move with
 * DST in a zone) within the window's hours clashes.
 */
function scheduleClash(schedule: BackupSchedule, window: MaintenanceWindow, at: string): number[] {
  const windowHours = new Set(Array.from({ length: window.durationHours }, (_, i) => (window.startingHourUtc + i) % 24));
  const year = new Date(toMillis(at)).getUTCFullYear();
  return utcHoursOverYear({ hour: schedule.hour, timezone: schedule.timezone }, year).filter((h) => windowHours.has(h));
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const weekdayName = (day: number) => WEEKDAYS[day] ?? String(day);
const describeWindow = (w: MaintenanceWindow) =>
  `${weekdayName(w.weekdayUtc)} from ${w.startingHourUtc}:00 UTC for ${w.durationHours} h`;
/** [23, 0] → "23:00 and 0:00 UTC". */
const utcHours = (hours: readonly number[]) => `${hours.map((h) => `${h}:00`).join(' and ')} UTC`;

// ----- backups -----

function requestBackup(addon: Addon, backupId: string, method: 'periodic' | 'manual', at: string): AddonEvent[] {
  if (addon.backups.some((b) => b.id === backupId)) return [];
  const live = requireRunning(requirePaid(active(addon)));
  if (method === 'periodic' && !live.backupSchedule.enabled) {
    throw new DomainError('BACKUP.SCHEDULE_DISABLED', 'Periodic backups are disabled for this add-on.');
  }
  const inFlight = live.backups.find((b) => b.status === 'scheduled' || b.status === 'running');
  if (inFlight) {
    throw new DomainError(
      'BACKUP.ALREADY_IN_PROGRESS',
      `Backup ${inFlight.name} is still ${inFlight.status}. Wait for it to finish.`,
      { backupId: inFlight.id },
    );
  }
  return [{ type: 'BackupRequested', data: { backupId, name: `${compactUtc(at)}_${live.resourceId}`, method, at } }];
}

function retention(addon: Addon, at: string): AddonEvent[] {
  const policy = addon.lastPaidClass ? CLASS_POLICIES[addon.lastPaidClass] : undefined;
  if (!policy) return [];
  // Removed, or moved to a Sandbox (which has no backups): existing backups age as after a removal.
  const removedAt = addon.deprovisionedAt ?? addon.sandboxSince ?? null;
  const { expire } = applyRetention({
    backups: addon.backups.map(({ id, method, status, createdAt }) => ({ id, method, status, createdAt })),
    now: at,
    retention: policy.retention,
    removedAt,
  });
  const methodOf = new Map(addon.backups.map((b) => [b.id, b.method]));
  return expire.map((backupId) => ({
    type: 'BackupExpired' as const,
    data: {
      backupId,
      reason: removedAt && methodOf.get(backupId) === 'manual' ? ('after-removal' as const) : ('retention' as const),
      at,
    },
  }));
}

/** `events`, then the expiries retention decides once they are applied: it runs after every finished backup. */
function withRetention(addon: Addon, events: AddonEvent[], at: string): AddonEvent[] {
  const after = existing(events.reduce<AddonState>(evolveAddon, addon));
  return [...events, ...retention(after, at)];
}

function backupOf(addon: Addon, backupId: string): BackupRecord {
  const backup = addon.backups.find((b) => b.id === backupId);
  if (!backup) throw new DomainError('BACKUP.NOT_FOUND', 'No such backup for this add-on.');
  return backup;
}

function requireDone(backup: BackupRecord): BackupRecord {
  switch (backup.status) {
    case 'done':
      return backup;
    case 'expired':
      throw new DomainError('BACKUP.EXPIRED', `Backup ${backup.name} expired under the retention policy and was deleted.`);
    case 'error':
      throw new DomainError('BACKUP.FAILED', `Backup ${backup.name} failed; there is nothing to use.`);
    case 'scheduled':
    case 'running':
      throw new DomainError('BACKUP.NOT_READY', `Backup ${backup.name} is still ${backup.status}. Try again when it is done.`);
    default:
      return assertNever(backup.status, 'backup status');
  }
}

function startRestore(
  addon: Addon,
  restoreId: string,
  source: { backupId: string } | { pointInTime: string },
  at: string,
): AddonEvent[] {
  requirePaid(addon);
  if ('backupId' in source) {
    requireDone(backupOf(addon, source.backupId));
  } else {
    const provider = PROVIDERS[addon.providerId];
    if (!provider.continuousBackup) {
      throw new DomainError(
        'RESTORE.POINT_IN_TIME_NOT_SUPPORTED',
        `${provider.name} restores from a backup only: point-in-time restore is for PostgreSQL.`,
      );
    }
    const target = typeof source.pointInTime === 'string' ? Date.parse(source.pointInTime) : Number.NaN;
    if (Number.isNaN(target)) {
      throw new DomainError('RESTORE.INVALID_TIME', 'The restore time is an ISO-8601 instant, such as 2025-03-01T12:30:00Z.', {
        restoreTime: String(source.pointInTime).slice(0, 40),
      });
    }
    if (target > toMillis(at)) throw new DomainError('RESTORE.IN_THE_FUTURE', 'The restore time is in the future.');
    const kept = addon.backups.filter((b) => b.status === 'done').map((b) => toMillis(b.createdAt));
    const windowStart = kept.length > 0 ? Math.min(...kept) : undefined;
    if (windowStart === undefined || target < windowStart) {
      throw new DomainError(
        'RESTORE.OUTSIDE_RECOVERY_WINDOW',
        windowStart === undefined
          ? 'There is no backup yet to restore from.'
          : `The recovery window starts at ${new Date(windowStart).toISOString()} (the oldest backup kept).`,
        { windowStart: windowStart === undefined ? null : new Date(windowStart).toISOString(), windowEnd: at },
      );
    }
  }
  return [{ type: 'RestoreStarted', data: { restoreId, source, at } }];
}

// ----- nodes and failover -----

function nodeOf(addon: Addon, name: string): AddonNode {
  const node = addon.nodes.find((n) => n.name === name);
  if (!node) {
    throw new DomainError('NODE.UNKNOWN', `Add-on ${addon.resourceId} has no node named like that.`, {
      nodes: addon.nodes.map((n) => n.name),
    });
  }
  return node;
}

/**
 * Whether the add-on serves with these nodes down: its leader is up, or (Business) a healthy
 * standby takes over within the failover delay. A Business add-on whose leader and standby
 * are both down is as unavailable as a Starter whose node is.
 */
function serves(addon: Addon, failedNodes: readonly string[]): boolean {
  const up = (role: AddonNode['role']) => addon.nodes.some((n) => n.role === role && !failedNodes.includes(n.name));
  return up('leader') || (policyOf(addon).nodeFailure === 'automatic-failover' && up('standby'));
}

function nodeFailure(addon: Addon, name: string, at: string): AddonEvent[] {
  if (addon.status === 'provisioning' || addon.status === 'provisioning-failed') {
    throw new DomainError('ADDON.NOT_RUNNING', 'This add-on is not running yet.');
  }
  if (
    addon.status === 'changing-plan' ||
    addon.status === 'upgrading' ||
    addon.status === 'restoring' ||
    addon.status === 'maintenance'
  ) {
    // The platform is stopping and restarting nodes itself; its own flow reports failures.
    throw new DomainError('ADDON.OPERATION_IN_PROGRESS', `The add-on is ${doing(addon.status)}; its nodes are expected to restart.`);
  }
  const node = nodeOf(addon, name);
  if (addon.failedNodes.includes(node.name)) return [];
  const events: AddonEvent[] = [{ type: 'NodeFailureDetected', data: { node: node.name, role: node.role, at } }];
  const failed = [...addon.failedNodes, node.name];
  let status = addon.status;
  if (addon.status === 'failing-over' && addon.failover?.toNode === node.name) {
    // The node being promoted is down: it cannot become the leader.
    const { fromNode, toNode } = addon.failover;
    events.push({ type: 'FailoverFailed', data: { fromNode, toNode, reason: `node ${toNode} went down during the failover`, at } });
    status = 'running';
  }
  if (status === 'running' && !serves(addon, failed)) {
    const down = addon.nodes.filter((n) => (n.role === 'leader' || n.role === 'standby') && failed.includes(n.name));
    const reason =
      down.length > 1 ? `nodes ${down.map((n) => n.name).join(' and ')} are down` : `node ${node.name} is down`;
    events.push({ type: 'AddonUnavailable', data: { reason, at } });
  }
  return events;
}

function triggerFailover(addon: Addon, reason: 'automatic' | 'switchover', at: string): AddonEvent[] {
  if (policyOf(addon).nodeFailure !== 'automatic-failover') {
    throw new DomainError(
      'FAILOVER.NOT_AVAILABLE',
      'Only Business plans have a hot standby to fail over to. Change to a Business plan first.',
    );
  }
  if (addon.status === 'failing-over') {
    throw new DomainError('ADDON.OPERATION_IN_PROGRESS', 'A failover is already in progress.');
  }
  const live = requireRunning(addon);
  const leader = live.nodes.find((n) => n.role === 'leader')!;
  const standby = live.nodes.find((n) => n.role === 'standby')!;
  if (live.failedNodes.includes(standby.name)) {
    throw new DomainError('FAILOVER.NO_HEALTHY_STANDBY', 'The standby is down: there is nothing healthy to fail over to.');
  }
  const leaderDown = live.failedNodes.includes(leader.name);
  if (reason === 'automatic' && !leaderDown) {
    throw new DomainError('FAILOVER.NOT_NEEDED', 'The leader is up: an automatic failover is not needed.');
  }
  return [{ type: 'FailoverTriggered', data: { reason, fromNode: leader.name, toNode: standby.name, at } }];
}

// ----- guards -----

function existing(state: AddonState): Addon {
  if (state.status === 'none') throw new DomainError('ADDON.NOT_FOUND', 'No such add-on.');
  return state;
}

function active(addon: Addon): Addon {
  if (addon.status === 'deprovisioned') throw new DomainError('ADDON.NOT_FOUND', 'This add-on was removed.');
  return addon;
}

/** Settings (window, schedule) can change unless the add-on is gone or failed to start. */
function configurable(addon: Addon): Addon {
  const live = active(addon);
  if (live.status === 'provisioning-failed') {
    throw new DomainError('ADDON.NOT_RUNNING', 'This add-on failed to provision; remove it and add it again.');
  }
  return live;
}

function requireStatus(addon: Addon, status: Addon['status'], code: string, message: string): void {
  if (addon.status !== status) throw new DomainError(code, message, { status: addon.status });
}

const IN_PROGRESS: ReadonlySet<Addon['status']> = new Set([
  'changing-plan',
  'upgrading',
  'restoring',
  'failing-over',
  'maintenance',
]);

/** "The add-on is …": changing plan, upgrading, restoring, failing over, in maintenance. */
const doing = (status: Addon['status']): string => (status === 'maintenance' ? 'in maintenance' : status.replace(/-/g, ' '));

function requireRunning(addon: Addon): Addon {
  if (addon.status === 'running') return addon;
  if (IN_PROGRESS.has(addon.status)) {
    throw new DomainError(
      'ADDON.OPERATION_IN_PROGRESS',
      `The add-on is ${doing(addon.status)}. Try again when it is done.`,
      { status: addon.status },
    );
  }
  const why: Record<string, string> = {
    provisioning: 'The add-on is still being provisioned.',
    unavailable: 'The add-on is unavailable until its node recovers.',
    'provisioning-failed': 'This add-on failed to provision; remove it and add it again.',
  };
  throw new DomainError('ADDON.NOT_RUNNING', why[addon.status] ?? 'The add-on is not running.', { status: addon.status });
}

function requirePaid(addon: Addon): Addon {
  if (findPlan(addon.planId)?.class === 'sandbox') {
    throw new DomainError(
      'BACKUP.NOT_AVAILABLE_ON_SANDBOX',
      'Sandbox plans have no backups. Change to a Starter or Business plan to get them.',
    );
  }
  return addon;
}

function policyOf(addon: Addon): ClassPolicy {
  return CLASS_POLICIES[findPlan(addon.planId)!.class];
}
