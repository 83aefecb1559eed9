import { createHash } from 'node:crypto';
import { open, readFile, rmdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BackupReplica, REPLICA_SITES, ReplicaSite } from '../../addons/domain/addon.events';
import type { DatabaseType } from '../../catalogue/domain/catalogue';
import { readJsonOrNull, removeFile, writeFileAtomic } from './atomic-file';
import { BackupArtifact, DriverError } from './platform-driver.port';
import { DumpInput, pseudoDumpArchive } from './pseudo-dump';

/**
 * Where the three copies of a backup live (DOMAIN.md): the add-on's datacenter, a second
 * one more than 10 km away, and the provider's daily snapshot. The first is read first.
 */
export const REPLICAS = REPLICA_SITES;
export type Replica = ReplicaSite;

/** What is kept beside each copy of an archive; identical in every replica. */
export interface BackupManifest {
  format: 1;
  backup_id: string;
  addon_id: string;
  resource_id: string;
  name: string;
  type: DatabaseType;
  version: string;
  created_at: string;
  /** Bytes of the `.dump.gz`. */
  size: number;
  /** `sha256:<hex>` of the `.dump.gz` bytes. */
  checksum: string;
}

/** A verified archive, open for reading. */
export interface OpenedArchive {
  stream: Readable;
  manifest: BackupManifest;
  replica: Replica;
}

/** Ids become path segments: only these characters, so no id can climb out of the store. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

export const sha256Checksum = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * The backup archives of the simulated data plane, as real files under `root`
 * (`DATA_DIR/backups`): `<replica>/<addonId>/<backupId>.dump.gz` and
 * `<replica>/<addonId>/<backupId>.manifest.json`. Every file is written atomically; the
 * manifests are written after every archive and removed before them, so a manifest means
 * the archive was complete.
 */
export class BackupArchiveStore {
  constructor(readonly root: string) {}

  /** Where the copies of a backup are, as recorded on the backup: `{ site: 'dc-primary', path: '/<addonId>/<backupId>.dump.gz' }`. */
  locations(addonId: string, backupId: string): BackupReplica[] {
    checkIds(addonId, backupId);
    return REPLICAS.map((site) => ({ site, path: `/${addonId}/${backupId}.dump.gz` }));
  }

  /**
   * Takes the dump of `input` and stores it in the three replicas; idempotent. A backup
   * whose manifest exists is never dumped anew with other inputs: a missing or damaged copy
   * is restored from a good one (or rebuilt from the manifest's own inputs, which must give
   * the recorded checksum), and the recorded artifact is answered.
   */
  async take(input: DumpInput): Promise<BackupArtifact> {
    checkIds(input.addonId, input.backupId);
    const manifest = await this.manifest(input.addonId, input.backupId);
    if (manifest) return this.repair(manifest);
    const bytes = pseudoDumpArchive(input);
    const fresh: BackupManifest = {
      format: 1,
      backup_id: input.backupId,
      addon_id: input.addonId,
      resource_id: input.resourceId,
      name: input.name,
      type: input.providerId,
      version: input.version,
      created_at: input.createdAt,
      size: bytes.length,
      checksum: sha256Checksum(bytes),
    };
    await this.writeAll(fresh, bytes, [...REPLICAS]);
    return this.artifactOf(fresh);
  }

  /** The manifest of a backup from the first replica that has one; null when none has. */
  async manifest(addonId: string, backupId: string): Promise<BackupManifest | null> {
    if (!isSafe(addonId) || !isSafe(backupId)) return null;
    for (const replica of REPLICAS) {
      const manifest = await readJsonOrNull<BackupManifest>(this.manifestFile(replica, addonId, backupId)).catch(() => null);
      if (manifest && manifest.backup_id === backupId && manifest.addon_id === addonId) return manifest;
    }
    return null;
  }

  /**
   * The archive from the first replica whose bytes match the manifest's checksum, opened
   * on that very file (a later rename cannot swap what is streamed). Null when the backup
   * has no manifest or no copy left; a DriverError when every copy left is damaged.
   */
  async open(addonId: string, backupId: string): Promise<OpenedArchive | null> {
    const manifest = await this.manifest(addonId, backupId);
    if (!manifest) return null;
    let damaged = 0;
    for (const replica of REPLICAS) {
      const handle = await open(this.archiveFile(replica, addonId, backupId), 'r').catch(() => null);
      if (!handle) continue;
      let keep = false;
      try {
        if ((await checksumOf(handle)) === manifest.checksum) {
          keep = true;
          return { stream: handle.createReadStream({ start: 0, autoClose: true }), manifest, replica };
        }
        damaged++;
      } finally {
        if (!keep) await handle.close();
      }
    }
    if (damaged > 0) {
      throw new DriverError('openBackup', `every copy of backup ${backupId} fails its checksum`, false);
    }
    return null;
  }

  /** Whether a good copy of the backup exists: `ok`, `missing` (no manifest or no copy) or `damaged`. */
  async verify(addonId: string, backupId: string): Promise<'ok' | 'missing' | 'damaged'> {
    try {
      const opened = await this.open(addonId, backupId);
      if (!opened) return 'missing';
      opened.stream.destroy();
      return 'ok';
    } catch (error) {
      if (error instanceof DriverError) return 'damaged';
      throw error;
    }
  }

  /** Removes every copy (manifests first); answers whether anything was there. */
  async delete(addonId: string, backupId: string): Promise<boolean> {
    if (!isSafe(addonId) || !isSafe(backupId)) return false;
    let found = false;
    for (const replica of REPLICAS) found = (await removeFile(this.manifestFile(replica, addonId, backupId))) || found;
    for (const replica of REPLICAS) {
      found = (await removeFile(this.archiveFile(replica, addonId, backupId))) || found;
      // The add-on's folder goes with its last backup; ENOTEMPTY/ENOENT just mean not yet.
      await rmdir(join(this.root, replica, addonId)).catch(() => undefined);
    }
    return found;
  }

  archiveFile(replica: Replica, addonId: string, backupId: string): string {
    return join(this.root, replica, addonId, `${backupId}.dump.gz`);
  }

  manifestFile(replica: Replica, addonId: string, backupId: string): string {
    return join(this.root, replica, addonId, `${backupId}.manifest.json`);
  }

  private async repair(manifest: BackupManifest): Promise<BackupArtifact> {
    const { addon_id: addonId, backup_id: backupId } = manifest;
    let good: Buffer | null = null;
    const broken: Replica[] = [];
    for (const replica of REPLICAS) {
      const bytes = await readFile(this.archiveFile(replica, addonId, backupId)).catch(() => null);
      const manifestThere = await readJsonOrNull(this.manifestFile(replica, addonId, backupId)).catch(() => null);
      if (bytes && sha256Checksum(bytes) === manifest.checksum) {
        good ??= bytes;
        if (!manifestThere) broken.push(replica);
      } else {
        broken.push(replica);
      }
    }
    if (!good) {
      good = pseudoDumpArchive({
        addonId,
        backupId,
        resourceId: manifest.resource_id,
        providerId: manifest.type,
        version: manifest.version,
        name: manifest.name,
        createdAt: manifest.created_at,
      });
      if (sha256Checksum(good) !== manifest.checksum) {
        throw new DriverError('takeBackup', `every copy of backup ${backupId} is lost and cannot be rebuilt identically`, false);
      }
    }
    if (broken.length > 0) await this.writeAll(manifest, good, broken);
    return this.artifactOf(manifest);
  }

  private async writeAll(manifest: BackupManifest, bytes: Buffer, replicas: Replica[]): Promise<void> {
    const { addon_id: addonId, backup_id: backupId } = manifest;
    for (const replica of replicas) await writeFileAtomic(this.archiveFile(replica, addonId, backupId), bytes);
    const json = `${JSON.stringify(manifest, null, 2)}\n`;
    for (const replica of replicas) await writeFileAtomic(this.manifestFile(replica, addonId, backupId), json);
  }

  private artifactOf(manifest: BackupManifest): BackupArtifact {
    return {
      sizeBytes: manifest.size,
      checksum: manifest.checksum,
      replicas: this.locations(manifest.addon_id, manifest.backup_id),
    };
  }
}

function isSafe(id: string): boolean {
  return typeof id === 'string' && SAFE_ID.test(id);
}

function checkIds(addonId: string, backupId: string): void {
  if (!isSafe(addonId) || !isSafe(backupId)) {
    throw new DriverError('takeBackup', 'add-on and backup ids are 1 to 128 of A-Z a-z 0-9 _ -', false);
  }
}

async function checksumOf(handle: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (let position = 0; ; ) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return `sha256:${hash.digest('hex')}`;
}
