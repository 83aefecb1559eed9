import type { Readable } from 'node:stream';
import type { DatabaseType, Downtime } from '../../catalogue/domain/catalogue';
import type { AddonNode, BackupReplica } from '../../addons/domain/addon.events';

/** What the data plane needs to know of an add-on instance. */
export interface InstanceSpec {
  addonId: string;
  resourceId: string;
  providerId: DatabaseType;
  planId: string;
  version: string;
  nodes: AddonNode[];
}

export interface BackupArtifact {
  sizeBytes: number;
  /** `sha256:<hex>` of the archive's bytes. */
  checksum: string;
  /** Where its three copies are: the add-on's datacenter, a second one > 10 km away, the provider's daily snapshot. */
  replicas: BackupReplica[];
}

export interface OpenedBackup {
  stream: Readable;
  sizeBytes: number;
  checksum: string;
  fileName: string;
}

/**
 * A failure of the data plane. `retryable` ones (a host busy, a timeout) are tried again
 * with backoff; the others are final and recorded as the flow's failure, with `reason`.
 */
export class DriverError extends Error {
  constructor(
    readonly operation: string,
    readonly reason: string,
    readonly retryable: boolean,
  ) {
    super(`${operation} failed: ${reason}`);
    this.name = 'DriverError';
  }
}

/**
 * The data plane: what really happens to database instances. Every operation is
 * idempotent for the same add-on and operation id (a flow resumed after a crash calls it
 * again), and takes the platform's time (latency measured on the injected clock).
 */
export abstract class PlatformDriver {
  /** Creates the instance and its nodes. */
  abstract provision(spec: InstanceSpec): Promise<void>;
  /** Stops the instance and starts it again on a new host with the new plan. */
  abstract changePlan(
    spec: InstanceSpec,
    change: { fromPlanId: string; toPlanId: string; downtime: Downtime },
  ): Promise<{ downtimeSeconds: number }>;
  /** Dumps the database into an archive stored in three replicas. */
  abstract takeBackup(spec: InstanceSpec, backup: { backupId: string; name: string; createdAt: string }): Promise<BackupArtifact>;
  /** Deletes every replica of a backup; deleting one already gone is fine. */
  abstract deleteBackup(addonId: string, backupId: string): Promise<void>;
  /** The archive's bytes, or null when it is gone. */
  abstract openBackup(addonId: string, backupId: string): Promise<OpenedBackup | null>;
  /** Promotes the standby to leader and rebuilds a new standby; answers the new standby's name. */
  abstract promoteStandby(spec: InstanceSpec, failover: { fromNode: string; toNode: string }): Promise<{ standby: string }>;
  abstract upgrade(
    spec: InstanceSpec,
    upgrade: { fromVersion: string; toVersion: string; downtime: Downtime },
  ): Promise<{ downtimeSeconds: number }>;
  /** Restores from a backup's archive, or (PostgreSQL) to a point in time. */
  abstract restore(spec: InstanceSpec, source: { backupId: string } | { pointInTime: string }): Promise<void>;
  /** The platform's own work on the instance (patches), inside its maintenance window. */
  abstract maintain(spec: InstanceSpec, maintenanceId: string): Promise<void>;
  /** Destroys the instance; its backups stay. */
  abstract deprovision(addonId: string): Promise<void>;
}
