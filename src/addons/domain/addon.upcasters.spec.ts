import { ADDON_EVENT_SCHEMA_VERSIONS, BackupTaken } from './addon.events';
import { ADDON_UPCASTERS, BackupTakenV1Data } from './addon.upcasters';

const ADDON = 'c3f1b0de-8a51-4f5e-9a43-2f7f0c1d9e11';
const BACKUP = '0b7e2a44-1f0e-4c55-9d0b-3f6a9c2e8d10';
const ARCHIVE = `/${ADDON}/${BACKUP}.dump.gz`;

/** BackupTaken as the data plane recorded it before version 2. */
const v1: BackupTakenV1Data = {
  backupId: BACKUP,
  sizeBytes: 146_432,
  checksum: 'sha256:0f1a',
  replicas: [`dc-primary:${ARCHIVE}`, `dc-secondary:${ARCHIVE}`, `provider-snapshot:${ARCHIVE}`],
  at: '2026-01-05T09:02:00.000Z',
};
const v2: BackupTaken['data'] = {
  backupId: BACKUP,
  sizeBytes: 146_432,
  checksum: 'sha256:0f1a',
  replicas: [
    { site: 'dc-primary', path: ARCHIVE },
    { site: 'dc-secondary', path: ARCHIVE },
    { site: 'provider-snapshot', path: ARCHIVE },
  ],
  at: '2026-01-05T09:02:00.000Z',
};

describe('Add-on event upcasters', () => {
  it('BackupTaken is at version 2', () => {
    expect(ADDON_EVENT_SCHEMA_VERSIONS.BackupTaken).toBe(2);
    expect(ADDON_UPCASTERS.currentVersion('BackupTaken')).toBe(2);
  });

  it('BackupTaken v1 → v2: each "<site>:<path>" replica becomes { site, path }, the rest as it was', () => {
    expect(ADDON_UPCASTERS.upcast('BackupTaken', 1, v1)).toEqual({ version: 2, data: v2 });
  });

  it('BackupTaken v2 is read as stored', () => {
    expect(ADDON_UPCASTERS.upcast('BackupTaken', 2, v2).data).toBe(v2);
  });

  it('a version newer than this build knows is refused, naming the type and the version', () => {
    expect(() => ADDON_UPCASTERS.upcast('BackupTaken', 3, v2)).toThrow(
      'Cannot read BackupTaken stored at schema version 3: this build knows versions up to 2',
    );
    expect(() => ADDON_UPCASTERS.upcast('AddonRunning', 2, { at: v1.at })).toThrow('Cannot read AddonRunning stored at schema version 2');
  });

  it.each([
    ['no site', ARCHIVE],
    ['an unknown site', `dc1:${ARCHIVE}`],
    ['an empty path', 'dc-primary:'],
    ['a relative path', 'dc-primary:c3f1/b.dump.gz'],
    ['a structured one', { site: 'dc-primary', path: ARCHIVE }],
  ])('a v1 replica that does not parse (%s) is a bug: refused, naming BackupTaken version 1', (_, replica) => {
    const data = { ...v1, replicas: [`dc-primary:${ARCHIVE}`, replica] };
    expect(() => ADDON_UPCASTERS.upcast('BackupTaken', 1, data)).toThrow(
      `Cannot read BackupTaken stored at schema version 1: replica ${JSON.stringify(replica)} is not "<site>:<path>"`,
    );
  });

  it('events whose shape never changed are read as stored', () => {
    const running = { at: v1.at };
    expect(ADDON_UPCASTERS.upcast('AddonRunning', 1, running)).toEqual({ version: 1, data: running });
  });
});
