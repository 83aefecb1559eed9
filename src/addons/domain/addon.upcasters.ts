import { UpcastError, Upcasters } from '../../shared/domain/upcasting';
import { ADDON_EVENT_SCHEMA_VERSIONS, AddonEvent, BackupReplica, BackupTaken, REPLICA_SITES, ReplicaSite } from './addon.events';

/** `BackupTaken` data as stored at schema version 1: each replica one `<site>:<path>` string. */
export interface BackupTakenV1Data {
  backupId: string;
  sizeBytes: number;
  checksum: string;
  /** `dc-primary:/<addonId>/<backupId>.dump.gz` */
  replicas: string[];
  at: string;
}

/** BackupTaken v1 → v2: `'dc-primary:/a/b.dump.gz'` becomes `{ site: 'dc-primary', path: '/a/b.dump.gz' }`. */
export function backupTakenV1ToV2(data: BackupTakenV1Data): BackupTaken['data'] {
  if (!Array.isArray(data.replicas)) throw new UpcastError('BackupTaken', 1, 'replicas is not a list');
  const { backupId, sizeBytes, checksum, at } = data;
  return { backupId, sizeBytes, checksum, replicas: data.replicas.map(parseReplicaV1), at };
}

function parseReplicaV1(replica: unknown): BackupReplica {
  const colon = typeof replica === 'string' ? replica.indexOf(':') : -1;
  const site = colon > 0 ? (replica as string).slice(0, colon) : '';
  const path = colon > 0 ? (replica as string).slice(colon + 1) : '';
  if (!REPLICA_SITES.includes(site as ReplicaSite) || !path.startsWith('/') || path.length < 2) {
    throw new UpcastError(
      'BackupTaken',
      1,
      `replica ${JSON.stringify(replica)} is not "<site>:<path>" with a site among ${REPLICA_SITES.join(', ')} and a path from /`,
    );
  }
  return { site: site as ReplicaSite, path };
}

/** How add-on events stored at an older schema version are read as the current one. */
export const ADDON_UPCASTERS = new Upcasters<AddonEvent['type']>(ADDON_EVENT_SCHEMA_VERSIONS, {
  BackupTaken: { 1: backupTakenV1ToV2 },
});
