import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { BackupReplica, REPLICA_SITES } from '../../src/addons/domain/addon.events';
import type { BackupTakenV1Data } from '../../src/addons/domain/addon.upcasters';
import type { NewEvent, StoredEvent } from '../../src/event-store/event-store.port';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';

/**
 * Events as an older build stored them, for the tests that read them back as the current
 * version (test/e2e/upcasting.e2e-spec.ts). Another consumer (the public event feed, say)
 * proves it reads the upcast version with, in its own e2e:
 *
 *   const stored = await appendBackupTakenV1(fixture.dataDir, addonId, backup); // app stopped
 *   // …start the app, read the feed…
 *   expect(feedEvent).toMatchObject({ type: 'BackupTaken', schemaVersion: 2, data: backupTakenV2(addonId, backup) });
 */

/** What the data plane reported of a taken backup: the artifact's size and checksum. */
export interface TakenBackup {
  backupId: string;
  sizeBytes: number;
  checksum: string;
  at: string;
}

/** The replicas of a backup as schema version 1 recorded them: `dc-primary:/<addonId>/<backupId>.dump.gz`. */
export const replicasV1 = (addonId: string, backupId: string): string[] =>
  REPLICA_SITES.map((site) => `${site}:/${addonId}/${backupId}.dump.gz`);

/** The same replicas in schema version 2. */
export const replicasV2 = (addonId: string, backupId: string): BackupReplica[] =>
  REPLICA_SITES.map((site) => ({ site, path: `/${addonId}/${backupId}.dump.gz` }));

/** BackupTaken's data in version 2, as every reader must see the v1 fixture. */
export const backupTakenV2 = (addonId: string, { backupId, sizeBytes, checksum, at }: TakenBackup) => ({
  backupId,
  sizeBytes,
  checksum,
  replicas: replicasV2(addonId, backupId),
  at,
});

/** A BackupTaken exactly as the build before schema version 2 wrote it. */
export function backupTakenV1(addonId: string, { backupId, sizeBytes, checksum, at }: TakenBackup): NewEvent {
  const data: BackupTakenV1Data = { backupId, sizeBytes, checksum, replicas: replicasV1(addonId, backupId), at };
  const correlationId = `old-build-${randomUUID()}`;
  return {
    id: randomUUID(),
    type: 'BackupTaken',
    data: data as unknown as NewEvent['data'],
    metadata: { $correlationId: correlationId, $causationId: correlationId, actor: 'platform:backups', occurredAt: at, schemaVersion: 1 },
  };
}

/**
 * Appends the v1 fixture at the end of the add-on's stream, straight through the raw
 * embedded adapter of `dataDir` (no upcaster, no command): what an old build left on disk.
 * Run it with the app stopped, or beside it (the app sees it within its poll interval).
 * Answers the event as stored.
 */
export async function appendBackupTakenV1(dataDir: string, addonId: string, backup: TakenBackup): Promise<StoredEvent> {
  const raw = await SqliteEventStore.open({ file: join(dataDir, 'events.sqlite') });
  try {
    const stream = `addon-${addonId}`;
    const [last] = await raw.readStream(stream, { direction: 'backwards', maxCount: 1 });
    if (!last) throw new Error(`No stream ${stream} in ${dataDir}`);
    await raw.append(stream, [backupTakenV1(addonId, backup)], { expectedRevision: last.revision });
    const [stored] = await raw.readStream(stream, { direction: 'backwards', maxCount: 1 });
    return stored;
  } finally {
    await raw.close();
  }
}
