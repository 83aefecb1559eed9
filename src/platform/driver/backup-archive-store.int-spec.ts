import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DATABASE_TYPES } from '../../catalogue/domain/catalogue';
import { BackupArchiveStore, BackupManifest, REPLICAS, sha256Checksum } from './backup-archive-store';
import { DriverError } from './platform-driver.port';
import { DumpInput, pseudoDump, pseudoDumpArchive } from './pseudo-dump';

const input: DumpInput = {
  addonId: '6f1c2b9e-4d3a-4c55-9a0e-0b7d5f2e8a11',
  resourceId: 'my-app-3030',
  providerId: 'mysql',
  version: '8.0.40',
  backupId: 'b1',
  name: '20250303100000_my-app-3030',
  createdAt: '2025-03-03T10:00:00.000Z',
};

describe('BackupArchiveStore', () => {
  let root: string;
  let store: BackupArchiveStore;
  const file = (replica: string, name: string) => join(root, replica, input.addonId, name);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'archives-'));
    store = new BackupArchiveStore(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('leaves no temporary file behind', async () => {
    await store.take(input);
    for (const replica of REPLICAS) {
      expect(readdirSync(join(root, replica, input.addonId)).sort()).toEqual(['b1.dump.gz', 'b1.manifest.json']);
    }
  });

  it('dumps anew when a crash left archives but no manifest (nothing was recorded yet)', async () => {
    const first = await store.take(input);
    for (const replica of REPLICAS) unlinkSync(file(replica, 'b1.manifest.json'));
    writeFileSync(file('dc-primary', 'b1.dump.gz'), 'half a dump');
    expect(await store.take(input)).toEqual(first);
    expect(sha256Checksum(readFileSync(file('dc-primary', 'b1.dump.gz')))).toBe(first.checksum);
  });

  it('rebuilds every lost copy from the manifest, to the same bytes', async () => {
    const first = await store.take(input);
    for (const replica of REPLICAS) unlinkSync(file(replica, 'b1.dump.gz'));
    expect(await store.verify(input.addonId, 'b1')).toBe('missing');
    // Even asked with another version: the manifest's inputs decide.
    expect(await store.take({ ...input, version: '8.4.4' })).toEqual(first);
    expect(await store.verify(input.addonId, 'b1')).toBe('ok');
  });

  it('refuses to answer a different dump for a recorded backup', async () => {
    await store.take(input);
    const manifestFile = file('dc-primary', 'b1.manifest.json');
    const manifest: BackupManifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    for (const replica of REPLICAS) {
      unlinkSync(file(replica, 'b1.dump.gz'));
      writeFileSync(file(replica, 'b1.manifest.json'), JSON.stringify({ ...manifest, checksum: `sha256:${'0'.repeat(64)}` }));
    }
    const error = await store.take(input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect(error).toMatchObject({ operation: 'takeBackup', retryable: false });
  });

  it('tells a damaged archive from a missing one', async () => {
    await store.take(input);
    for (const replica of REPLICAS) writeFileSync(file(replica, 'b1.dump.gz'), 'bit rot');
    expect(await store.verify(input.addonId, 'b1')).toBe('damaged');
    expect(await store.verify(input.addonId, 'b2')).toBe('missing');
  });

  it('removes the add-on folder with its last backup', async () => {
    await store.take(input);
    expect(await store.delete(input.addonId, 'b1')).toBe(true);
    expect(await store.delete(input.addonId, 'b1')).toBe(false);
    for (const replica of REPLICAS) expect(existsSync(join(root, replica, input.addonId))).toBe(false);
  });
});

describe('pseudo dumps', () => {
  it.each(DATABASE_TYPES)('%s: the same input gives the same gzip bytes, which unzip to the dump', (providerId) => {
    const dump = { ...input, providerId };
    const archive = pseudoDumpArchive(dump);
    expect(pseudoDumpArchive(dump).equals(archive)).toBe(true);
    expect(gunzipSync(archive).toString('utf8')).toBe(pseudoDump(dump));
    expect(pseudoDump(dump)).toContain(`simulated ${providerId} 8.0.40 dump`);
  });

  it('changes with the backup, its time, the add-on and the version', () => {
    const base = pseudoDump(input);
    for (const change of [{ backupId: 'b2' }, { createdAt: '2025-03-04T10:00:00.000Z' }, { addonId: 'other' }, { version: '8.4.4' }]) {
      expect(pseudoDump({ ...input, ...change })).not.toBe(base);
    }
  });
});
