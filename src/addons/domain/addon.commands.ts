import { Message } from '../../shared/domain/decider';
import { BackupMethod, BackupReplica, Connection, RestoreSource } from './addon.events';

type At = { at: string };

/** Claims an add-on stream that never began (its request died after attaching it): a no-op once it began. */
export type AbandonProvisioning = Message<'AbandonProvisioning', { reason: string } & At>;
export type ProvisionAddon = Message<
  'ProvisionAddon',
  {
    addonId: string;
    appName: string;
    resourceId: string;
    /** As asked: checked against the catalogue by the decider. */
    providerId: string;
    planId: string;
    version?: string;
    connection: Connection;
    /** The default slot, drawn by the caller (randomness is an input). */
    maintenanceWindow: { weekdayUtc: number; startingHourUtc: number };
  } & At
>;
export type CompleteProvisioning = Message<'CompleteProvisioning', At>;
export type FailProvisioning = Message<'FailProvisioning', { reason: string } & At>;
export type ChangePlan = Message<'ChangePlan', { planId: string } & At>;
export type RecordRestart = Message<'RecordRestart', { downtimeSeconds: number } & At>;
export type EnableFeature = Message<'EnableFeature', { feature: string } & At>;
export type DisableFeature = Message<'DisableFeature', { feature: string } & At>;
export type SetMaintenanceWindow = Message<'SetMaintenanceWindow', { weekdayUtc: number; startingHourUtc: number } & At>;
export type SetBackupSchedule = Message<'SetBackupSchedule', { enabled: boolean; hour: number; timezone: string } & At>;
export type RequestBackup = Message<'RequestBackup', { backupId: string; method: BackupMethod } & At>;
export type StartBackup = Message<'StartBackup', { backupId: string } & At>;
export type CompleteBackup = Message<
  'CompleteBackup',
  { backupId: string; sizeBytes: number; checksum: string; replicas: BackupReplica[] } & At
>;
export type FailBackup = Message<'FailBackup', { backupId: string; reason: string } & At>;
export type ApplyRetention = Message<'ApplyRetention', At>;
export type RequestBackupDownload = Message<'RequestBackupDownload', { backupId: string } & At>;
export type StartUpgrade = Message<'StartUpgrade', { toVersion?: string } & At>;
export type CompleteUpgrade = Message<'CompleteUpgrade', At>;
export type StartRestore = Message<'StartRestore', { restoreId: string; source: RestoreSource } & At>;
export type CompleteRestore = Message<'CompleteRestore', { restoreId: string } & At>;
export type FailRestore = Message<'FailRestore', { restoreId: string; reason: string } & At>;
export type ReportNodeFailure = Message<'ReportNodeFailure', { node: string } & At>;
export type ReportNodeRecovery = Message<'ReportNodeRecovery', { node: string } & At>;
export type TriggerFailover = Message<'TriggerFailover', { reason: 'automatic' | 'switchover' } & At>;
export type CompleteFailover = Message<'CompleteFailover', { standby: string } & At>;
export type DeprovisionAddon = Message<'DeprovisionAddon', At>;
export type FailPlanChange = Message<'FailPlanChange', { reason: string } & At>;
export type FailUpgrade = Message<'FailUpgrade', { reason: string } & At>;
export type ScheduleMaintenance = Message<'ScheduleMaintenance', { maintenanceId: string; reason: string } & At>;
export type StartMaintenance = Message<'StartMaintenance', { maintenanceId: string } & At>;
export type CompleteMaintenance = Message<'CompleteMaintenance', { maintenanceId: string } & At>;
export type CancelMaintenance = Message<'CancelMaintenance', { maintenanceId: string; reason: string } & At>;
export type FailMaintenance = Message<'FailMaintenance', { maintenanceId: string; reason: string } & At>;

export type AddonCommand =
  | ProvisionAddon
  | AbandonProvisioning
  | CompleteProvisioning
  | FailProvisioning
  | ChangePlan
  | RecordRestart
  | EnableFeature
  | DisableFeature
  | SetMaintenanceWindow
  | SetBackupSchedule
  | RequestBackup
  | StartBackup
  | CompleteBackup
  | FailBackup
  | ApplyRetention
  | RequestBackupDownload
  | StartUpgrade
  | CompleteUpgrade
  | StartRestore
  | CompleteRestore
  | FailRestore
  | ReportNodeFailure
  | ReportNodeRecovery
  | TriggerFailover
  | CompleteFailover
  | DeprovisionAddon
  | FailPlanChange
  | FailUpgrade
  | ScheduleMaintenance
  | StartMaintenance
  | CompleteMaintenance
  | CancelMaintenance
  | FailMaintenance;
