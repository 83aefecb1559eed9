import { DatabaseType, Feature, findPlan, ServiceClass } from '../../catalogue/domain/catalogue';
import { assertNever } from '../../shared/domain/decider';
import {
  AddonEvent,
  AddonNode,
  BackupMethod,
  BackupReplica,
  BackupSchedule,
  Connection,
  MaintenanceWindow,
  RestoreSource,
} from './addon.events';

export type BackupStatus = 'scheduled' | 'running' | 'done' | 'error' | 'expired';

export interface BackupRecord {
  id: string;
  name: string;
  method: BackupMethod;
  status: BackupStatus;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  sizeBytes?: number;
  checksum?: string;
  replicas?: BackupReplica[];
  error?: string;
  expiredAt?: string;
}

export type AddonStatus =
  | 'provisioning'
  | 'running'
  | 'changing-plan'
  | 'upgrading'
  | 'restoring'
  | 'failing-over'
  | 'maintenance'
  | 'unavailable'
  | 'provisioning-failed'
  | 'deprovisioned';

export interface AddonFacts {
  id: string;
  appName: string;
  resourceId: string;
  providerId: DatabaseType;
  planId: string;
  version: string;
  features: Feature[];
  maintenanceWindow: MaintenanceWindow;
  backupSchedule: BackupSchedule;
  nodes: AddonNode[];
  /** Nodes monitoring reported down and that have not recovered or been replaced. */
  failedNodes: string[];
  connection: Connection;
  /** In the order they were requested. */
  backups: BackupRecord[];
  provisionedAt: string;
  provisioningError?: string;
  /** The change under way, and what the add-on was before it: a failed change goes back to it. */
  planChange?: {
    fromPlanId: string;
    toPlanId: string;
    fromNodes: AddonNode[];
    fromStatus: AddonStatus;
    fromLastPaidClass?: ServiceClass;
    fromSandboxSince?: string;
  };
  upgrade?: { fromVersion: string; toVersion: string };
  restore?: { restoreId: string; source: RestoreSource };
  failover?: { reason: 'automatic' | 'switchover'; fromNode: string; toNode: string };
  /** The maintenance announced and not yet over. */
  maintenance?: { maintenanceId: string; reason: string; startsAt: string; endsAt: string; started: boolean };
  /** The class of the last paid plan, and since when the add-on is on a Sandbox: its backups then age as after a removal. */
  lastPaidClass?: ServiceClass;
  sandboxSince?: string;
  deprovisionedAt?: string;
}

/** `abandoned`: the stream was claimed by `AddonProvisioningAbandoned` and never begins. */
export type AddonState = { status: 'none'; abandoned?: true } | ({ status: AddonStatus } & AddonFacts);
export type Addon = Extract<AddonState, { status: AddonStatus }>;

export const initialAddonState = (): AddonState => ({ status: 'none' });

export function evolveAddon(state: AddonState, event: AddonEvent): AddonState {
  if (event.type === 'AddonProvisioned') {
    const { addonId, at, ...facts } = event.data;
    const cls = findPlan(facts.planId)?.class;
    return {
      status: 'provisioning',
      id: addonId,
      ...facts,
      failedNodes: [],
      backups: [],
      provisionedAt: at,
      ...(cls === 'sandbox' ? { sandboxSince: at } : { lastPaidClass: cls }),
    };
  }
  if (event.type === 'AddonProvisioningAbandoned') return state.status === 'none' ? { status: 'none', abandoned: true } : state;
  if (state.status === 'none') return state;
  const addon = state;
  switch (event.type) {
    case 'AddonRunning':
      return { ...addon, status: 'running' };
    case 'AddonProvisioningFailed':
      return { ...addon, status: 'provisioning-failed', provisioningError: event.data.reason };
    case 'PlanChanged': {
      const { fromPlanId, toPlanId, nodes, at } = event.data;
      const cls = findPlan(toPlanId)?.class;
      const paid = cls && cls !== 'sandbox';
      return {
        ...addon,
        status: 'changing-plan',
        planId: toPlanId,
        nodes,
        planChange: {
          fromPlanId,
          toPlanId,
          fromNodes: addon.nodes,
          fromStatus: addon.status,
          fromLastPaidClass: addon.lastPaidClass,
          fromSandboxSince: addon.sandboxSince,
        },
        lastPaidClass: paid ? cls : addon.lastPaidClass,
        sandboxSince: paid ? undefined : (addon.sandboxSince ?? at),
      };
    }
    case 'AddonRestarted':
      // Restarted on a new host: the nodes monitoring saw down are gone with the old one.
      return { ...addon, status: 'running', planChange: undefined, failedNodes: [] };
    case 'FeatureEnabled':
      return { ...addon, features: [...addon.features, event.data.feature] };
    case 'FeatureDisabled':
      return { ...addon, features: addon.features.filter((f) => f !== event.data.feature) };
    case 'MaintenanceWindowSet': {
      const { weekdayUtc, startingHourUtc, durationHours } = event.data;
      return { ...addon, maintenanceWindow: { weekdayUtc, startingHourUtc, durationHours } };
    }
    case 'BackupScheduleSet': {
      const { enabled, hour, timezone } = event.data;
      return { ...addon, backupSchedule: { enabled, hour, timezone } };
    }
    case 'BackupRequested': {
      const { backupId, name, method, at } = event.data;
      return {
        ...addon,
        backups: [...addon.backups, { id: backupId, name, method, status: 'scheduled', createdAt: at }],
      };
    }
    case 'BackupStarted':
      return withBackup(addon, event.data.backupId, { status: 'running', startedAt: event.data.at });
    case 'BackupTaken': {
      const { backupId, sizeBytes, checksum, replicas, at } = event.data;
      return withBackup(addon, backupId, { status: 'done', endedAt: at, sizeBytes, checksum, replicas });
    }
    case 'BackupFailed':
      return withBackup(addon, event.data.backupId, { status: 'error', endedAt: event.data.at, error: event.data.reason });
    case 'BackupExpired':
      // Its archive is gone: only what names it and ages it stays (long-lived add-ons hold thousands).
      return withBackup(addon, event.data.backupId, ({ id, name, method, createdAt, startedAt, endedAt }) => ({
        id,
        name,
        method,
        status: 'expired',
        createdAt,
        ...(startedAt !== undefined && { startedAt }),
        ...(endedAt !== undefined && { endedAt }),
        expiredAt: event.data.at,
      }));
    case 'BackupDownloadRequested':
      return addon;
    case 'VersionUpgradeStarted':
      return {
        ...addon,
        status: 'upgrading',
        upgrade: { fromVersion: event.data.fromVersion, toVersion: event.data.toVersion },
      };
    case 'VersionUpgraded':
      return { ...addon, status: 'running', version: event.data.toVersion, upgrade: undefined };
    case 'RestoreStarted':
      return { ...addon, status: 'restoring', restore: { restoreId: event.data.restoreId, source: event.data.source } };
    case 'RestoreCompleted':
    case 'RestoreFailed':
      return { ...addon, status: 'running', restore: undefined };
    case 'NodeFailureDetected':
      return { ...addon, failedNodes: [...addon.failedNodes, event.data.node] };
    case 'NodeRecovered':
      return { ...addon, failedNodes: addon.failedNodes.filter((n) => n !== event.data.node) };
    case 'AddonUnavailable':
      return { ...addon, status: 'unavailable' };
    case 'AddonRecovered':
      return { ...addon, status: 'running' };
    case 'FailoverTriggered': {
      const { reason, fromNode, toNode } = event.data;
      return { ...addon, status: 'failing-over', failover: { reason, fromNode, toNode } };
    }
    case 'FailoverCompleted': {
      const { leader, standby } = event.data;
      // The standby became leader; a standby was rebuilt; the replaced leader left the cluster.
      const others = addon.nodes.filter((n) => n.role !== 'leader' && n.role !== 'standby');
      const replaced = addon.failover?.fromNode;
      return {
        ...addon,
        status: 'running',
        nodes: [{ name: leader, role: 'leader' }, { name: standby, role: 'standby' }, ...others],
        failedNodes: addon.failedNodes.filter((n) => n !== replaced && n !== leader && n !== standby),
        failover: undefined,
      };
    }
    case 'FailoverFailed':
      return { ...addon, status: 'running', failover: undefined };
    case 'AddonDeprovisioned':
      return { ...addon, status: 'deprovisioned', deprovisionedAt: event.data.at, maintenance: undefined };
    case 'PlanChangeFailed': {
      // Still on the old host with the old plan, as it was before the change: an add-on
      // whose node was down is down again, and its backups age as they did.
      const back = addon.planChange;
      if (!back) {
        const cls = findPlan(event.data.fromPlanId)?.class;
        return {
          ...addon,
          status: 'running',
          planId: event.data.fromPlanId,
          ...(cls && cls !== 'sandbox' ? { lastPaidClass: cls, sandboxSince: undefined } : {}),
        };
      }
      return {
        ...addon,
        status: back.fromStatus,
        planId: back.fromPlanId,
        nodes: back.fromNodes,
        planChange: undefined,
        lastPaidClass: back.fromLastPaidClass,
        sandboxSince: back.fromSandboxSince,
      };
    }
    case 'VersionUpgradeFailed':
      return { ...addon, status: 'running', upgrade: undefined };
    case 'MaintenanceAnnounced': {
      const { maintenanceId, reason, startsAt, endsAt } = event.data;
      return { ...addon, maintenance: { maintenanceId, reason, startsAt, endsAt, started: false } };
    }
    case 'MaintenanceStarted':
      return { ...addon, status: 'maintenance', maintenance: addon.maintenance && { ...addon.maintenance, started: true } };
    case 'MaintenanceCompleted':
      return { ...addon, status: 'running', maintenance: undefined };
    case 'MaintenanceCancelled':
      return { ...addon, maintenance: undefined };
    case 'MaintenanceFailed':
      return { ...addon, status: 'running', maintenance: undefined };
    default:
      return assertNever(event, 'add-on event');
  }
}

/**
 * The add-on with one backup changed (the latest by that id, looked for from the end, where
 * the recent ones are): a copy of the list with one slot replaced, not a pass over each
 * record. `change` is a patch, or a function of the record.
 */
function withBackup(addon: Addon, backupId: string, change: Partial<BackupRecord> | ((backup: BackupRecord) => BackupRecord)): Addon {
  const index = addon.backups.findLastIndex((b) => b.id === backupId);
  if (index < 0) return addon;
  const backups = addon.backups.slice();
  const backup = backups[index];
  backups[index] = typeof change === 'function' ? change(backup) : { ...backup, ...change };
  return { ...addon, backups };
}
