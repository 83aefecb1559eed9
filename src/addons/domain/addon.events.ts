import { DatabaseType, Downtime, Feature } from '../../catalogue/domain/catalogue';
import { Message } from '../../shared/domain/decider';

/** An encrypted value or a wrapped key: opaque to the domain, JSON of base64 strings. */
export type Opaque = Readonly<Record<string, string>>;

export type NodeRole = 'leader' | 'standby' | 'sentinel' | 'gateway';
export interface AddonNode {
  name: string;
  role: NodeRole;
}

export interface MaintenanceWindow {
  /** 0 = Sunday … 6 = Saturday, UTC. */
  weekdayUtc: number;
  startingHourUtc: number;
  durationHours: number;
}

export interface BackupSchedule {
  enabled: boolean;
  /** Hour of day in `timezone`. */
  hour: number;
  timezone: string;
}

/** How to reach the database. The password is sealed with the add-on's own data key. */
export interface Connection {
  scheme: string;
  user: string;
  host: string;
  port: number;
  password: Opaque;
  /** The add-on's data key, wrapped by the platform's master key. */
  dataKey: Opaque;
}

export type BackupMethod = 'periodic' | 'manual';

/**
 * Where a copy of a backup is kept: the add-on's datacenter, a second one more than 10 km
 * away, the provider's daily snapshot.
 */
export type ReplicaSite = 'dc-primary' | 'dc-secondary' | 'provider-snapshot';
/** Every site, in the order the copies are written and read (the first is read first). */
export const REPLICA_SITES: readonly ReplicaSite[] = ['dc-primary', 'dc-secondary', 'provider-snapshot'];

/** One copy of a backup. `path` is the archive within its site: `/<addonId>/<backupId>.dump.gz`. */
export interface BackupReplica {
  site: ReplicaSite;
  path: string;
}

export type RestoreSource = { backupId: string } | { pointInTime: string };

type At = { at: string };

export type AddonProvisioned = Message<
  'AddonProvisioned',
  {
    addonId: string;
    appName: string;
    resourceId: string;
    providerId: DatabaseType;
    planId: string;
    version: string;
    features: Feature[];
    maintenanceWindow: MaintenanceWindow;
    backupSchedule: BackupSchedule;
    nodes: AddonNode[];
    connection: Connection;
  } & At
>;
export type AddonRunning = Message<'AddonRunning', At>;
/**
 * The request that attached this add-on to its app stopped before the add-on's stream
 * began (the server died between the two writes): the platform claims the stream so that
 * it never begins, and releases the app. Only ever an add-on stream's first event.
 */
export type AddonProvisioningAbandoned = Message<'AddonProvisioningAbandoned', { reason: string } & At>;
export type AddonProvisioningFailed = Message<'AddonProvisioningFailed', { reason: string } & At>;
export type PlanChanged = Message<
  'PlanChanged',
  { fromPlanId: string; toPlanId: string; downtime: Downtime; downgrade: boolean; nodes: AddonNode[] } & At
>;
export type AddonRestarted = Message<
  'AddonRestarted',
  { reason: 'plan-change' | 'upgrade' | 'restore'; downtimeSeconds: number } & At
>;
export type FeatureEnabled = Message<'FeatureEnabled', { feature: Feature } & At>;
export type FeatureDisabled = Message<'FeatureDisabled', { feature: Feature } & At>;
export type MaintenanceWindowSet = Message<'MaintenanceWindowSet', MaintenanceWindow & At>;
export type BackupScheduleSet = Message<'BackupScheduleSet', BackupSchedule & At>;
export type BackupRequested = Message<
  'BackupRequested',
  { backupId: string; name: string; method: BackupMethod } & At
>;
export type BackupStarted = Message<'BackupStarted', { backupId: string } & At>;
/** Schema version 2 (version 1 had each replica as one `<site>:<path>` string: see addon.upcasters.ts). */
export type BackupTaken = Message<
  'BackupTaken',
  { backupId: string; sizeBytes: number; checksum: string; replicas: BackupReplica[] } & At
>;
export type BackupFailed = Message<'BackupFailed', { backupId: string; reason: string } & At>;
export type BackupExpired = Message<'BackupExpired', { backupId: string; reason: 'retention' | 'after-removal' } & At>;
export type BackupDownloadRequested = Message<'BackupDownloadRequested', { backupId: string } & At>;
export type VersionUpgradeStarted = Message<
  'VersionUpgradeStarted',
  { fromVersion: string; toVersion: string; kind: 'major' | 'minor'; downtime: Downtime } & At
>;
export type VersionUpgraded = Message<'VersionUpgraded', { fromVersion: string; toVersion: string } & At>;
export type RestoreStarted = Message<'RestoreStarted', { restoreId: string; source: RestoreSource } & At>;
export type RestoreCompleted = Message<'RestoreCompleted', { restoreId: string } & At>;
export type RestoreFailed = Message<'RestoreFailed', { restoreId: string; reason: string } & At>;
export type NodeFailureDetected = Message<'NodeFailureDetected', { node: string; role: NodeRole } & At>;
export type NodeRecovered = Message<'NodeRecovered', { node: string } & At>;
export type AddonUnavailable = Message<'AddonUnavailable', { reason: string } & At>;
export type AddonRecovered = Message<'AddonRecovered', At>;
export type FailoverTriggered = Message<
  'FailoverTriggered',
  { reason: 'automatic' | 'switchover'; fromNode: string; toNode: string } & At
>;
export type FailoverCompleted = Message<'FailoverCompleted', { leader: string; standby: string } & At>;
/** The standby being promoted went down too: the failover is over, without a new leader. */
export type FailoverFailed = Message<'FailoverFailed', { fromNode: string; toNode: string; reason: string } & At>;
export type AddonDeprovisioned = Message<'AddonDeprovisioned', { manualBackupsKeptUntil: string | null } & At>;
export type PlanChangeFailed = Message<'PlanChangeFailed', { fromPlanId: string; toPlanId: string; reason: string } & At>;
export type VersionUpgradeFailed = Message<
  'VersionUpgradeFailed',
  { fromVersion: string; toVersion: string; reason: string } & At
>;
export type MaintenanceAnnounced = Message<
  'MaintenanceAnnounced',
  { maintenanceId: string; reason: string; startsAt: string; endsAt: string } & At
>;
export type MaintenanceStarted = Message<'MaintenanceStarted', { maintenanceId: string } & At>;
export type MaintenanceCompleted = Message<'MaintenanceCompleted', { maintenanceId: string } & At>;
export type MaintenanceCancelled = Message<'MaintenanceCancelled', { maintenanceId: string; reason: string } & At>;
/** Started, but its work could not be done inside the window: the add-on serves on as it was. */
export type MaintenanceFailed = Message<'MaintenanceFailed', { maintenanceId: string; reason: string } & At>;

export type AddonEvent =
  | AddonProvisioned
  | AddonRunning
  | AddonProvisioningAbandoned
  | AddonProvisioningFailed
  | PlanChanged
  | AddonRestarted
  | FeatureEnabled
  | FeatureDisabled
  | MaintenanceWindowSet
  | BackupScheduleSet
  | BackupRequested
  | BackupStarted
  | BackupTaken
  | BackupFailed
  | BackupExpired
  | BackupDownloadRequested
  | VersionUpgradeStarted
  | VersionUpgraded
  | RestoreStarted
  | RestoreCompleted
  | RestoreFailed
  | NodeFailureDetected
  | NodeRecovered
  | AddonUnavailable
  | AddonRecovered
  | FailoverTriggered
  | FailoverCompleted
  | FailoverFailed
  | AddonDeprovisioned
  | PlanChangeFailed
  | VersionUpgradeFailed
  | MaintenanceAnnounced
  | MaintenanceStarted
  | MaintenanceCompleted
  | MaintenanceCancelled
  | MaintenanceFailed;

/**
 * Version of each event's data shape, the one written now; bumped when a shape changes,
 * with an upcaster from the previous version in addon.upcasters.ts (stored events are
 * read as this version). The names are a public contract.
 */
export const ADDON_EVENT_SCHEMA_VERSIONS: Readonly<Record<AddonEvent['type'], number>> = {
  AddonProvisioned: 1,
  AddonRunning: 1,
  AddonProvisioningAbandoned: 1,
  AddonProvisioningFailed: 1,
  PlanChanged: 1,
  AddonRestarted: 1,
  FeatureEnabled: 1,
  FeatureDisabled: 1,
  MaintenanceWindowSet: 1,
  BackupScheduleSet: 1,
  BackupRequested: 1,
  BackupStarted: 1,
  BackupTaken: 2,
  BackupFailed: 1,
  BackupExpired: 1,
  BackupDownloadRequested: 1,
  VersionUpgradeStarted: 1,
  VersionUpgraded: 1,
  RestoreStarted: 1,
  RestoreCompleted: 1,
  RestoreFailed: 1,
  NodeFailureDetected: 1,
  NodeRecovered: 1,
  AddonUnavailable: 1,
  AddonRecovered: 1,
  FailoverTriggered: 1,
  FailoverCompleted: 1,
  FailoverFailed: 1,
  AddonDeprovisioned: 1,
  PlanChangeFailed: 1,
  VersionUpgradeFailed: 1,
  MaintenanceAnnounced: 1,
  MaintenanceStarted: 1,
  MaintenanceCompleted: 1,
  MaintenanceCancelled: 1,
  MaintenanceFailed: 1,
};
