import { randomUUID } from 'node:crypto';
import type { AddonEvent } from '../../src/addons/domain/addon.events';
import {
  backupDone,
  backupFailed,
  backupRequested,
  manualBackups,
  planChangedTo,
  removed,
  running,
} from '../../src/addons/domain/testing/addon-fixtures';
import { givenEvents, onAddon, ProjectionFixture } from '../testing/projection-spec';
import { listBackups } from './backup-list.query';
import { backupsProjection } from './backups.projection';

const STARTER = 'postgresql-starter-512';
const BUSINESS = 'postgresql-business-512';
const SANDBOX = 'postgresql-sandbox';

describe('backups projection, read through listBackups', () => {
  let fixture: ProjectionFixture | undefined;
  afterEach(async () => {
    await fixture?.dispose();
    fixture = undefined;
  });

  /** The backups a user sees of add-on `addonId` at `at`, after the given add-on events. */
  async function backupsOf(history: Record<string, AddonEvent[]>, addonId: string, at: string) {
    fixture = await givenEvents(
      backupsProjection,
      Object.entries(history).flatMap(([id, events]) => onAddon(id, events)),
    );
    const tables = { backups: fixture.table('backups'), addons: fixture.table('backup_addons') };
    return listBackups(fixture.db.manager, tables, addonId, new Date(at));
  }

  const ADDON = randomUUID();
  const starter = (...events: AddonEvent[]) => ({ [ADDON]: [...running(STARTER, { addonId: ADDON }), ...events] });
  const business = (...events: AddonEvent[]) => ({ [ADDON]: [...running(BUSINESS, { addonId: ADDON }), ...events] });
  const ids = (list: Array<{ id: string }> | null) => list?.map((b) => b.id);

  it('lists the backups newest first, each through its lifecycle', async () => {
    const list = await backupsOf(
      starter(
        ...backupDone('done', '2025-03-01T08:00:00.000Z'),
        ...backupFailed('failed', '2025-03-02T08:00:00.000Z'),
        backupRequested('running', '2025-03-03T08:00:00.000Z'),
        { type: 'BackupStarted', data: { backupId: 'running', at: '2025-03-03T08:00:05.000Z' } },
        backupRequested('scheduled', '2025-03-04T08:00:00.000Z'),
      ),
      ADDON,
      '2025-03-05T12:00:00.000Z',
    );

    expect(ids(list)).toEqual(['scheduled', 'running', 'failed', 'done']);
    expect(list).toEqual([
      expect.objectContaining({ id: 'scheduled', status: 'scheduled', method: 'manual', started_at: null, ended_at: null, size: null }),
      expect.objectContaining({ id: 'running', status: 'running', started_at: '2025-03-03T08:00:05.000Z', ended_at: null, size: null }),
      expect.objectContaining({
        id: 'failed',
        status: 'error',
        error: 'disk full',
        started_at: '2025-03-02T08:00:00.000Z',
        ended_at: '2025-03-02T08:00:00.000Z',
        size: null,
      }),
      expect.objectContaining({
        id: 'done',
        name: '20250301080000_my-app-3030',
        status: 'done',
        created_at: '2025-03-01T08:00:00.000Z',
        started_at: '2025-03-01T08:00:00.000Z',
        ended_at: '2025-03-01T08:00:00.000Z',
        size: 146_432,
      }),
    ]);
    expect(list!.find((b) => b.id === 'done')).not.toHaveProperty('error');
  });

  it('shows an unfinished backup with no retention, a failed one visible for a week, a done manual one kept', async () => {
    const list = await backupsOf(
      starter(
        ...backupDone('done', '2025-03-01T08:00:00.000Z'),
        ...backupFailed('failed', '2025-03-02T08:00:00.000Z'),
        backupRequested('scheduled', '2025-03-04T08:00:00.000Z'),
      ),
      ADDON,
      '2025-03-05T12:00:00.000Z',
    );
    expect(list!.map(({ id, retention, expires_at }) => ({ id, retention, expires_at }))).toEqual([
      { id: 'scheduled', retention: [], expires_at: null },
      { id: 'failed', retention: [], expires_at: '2025-03-09T08:00:00.000Z' },
      { id: 'done', retention: ['manual'], expires_at: null },
    ]);
  });

  it('shows an expired backup as expired, with when it expired', async () => {
    const list = await backupsOf(
      starter(...backupDone('old', '2025-01-01T00:00:00.000Z', 'periodic'), {
        type: 'BackupExpired',
        data: { backupId: 'old', reason: 'retention', at: '2025-02-01T00:00:00.000Z' },
      }),
      ADDON,
      '2025-03-05T12:00:00.000Z',
    );
    expect(list).toEqual([
      expect.objectContaining({ id: 'old', status: 'expired', method: 'periodic', retention: [], expires_at: '2025-02-01T00:00:00.000Z', size: 146_432 }),
    ]);
  });

  it('Starter: of 12 manual backups the 10 newest are kept, the 2 oldest are not', async () => {
    const list = await backupsOf(starter(...manualBackups(12)), ADDON, '2025-02-01T00:00:00.000Z');
    expect(ids(list)).toEqual(['m12', 'm11', 'm10', 'm9', 'm8', 'm7', 'm6', 'm5', 'm4', 'm3', 'm2', 'm1']);
    const kept = list!.filter((b) => b.retention.includes('manual'));
    expect(ids(kept)).toEqual(['m12', 'm11', 'm10', 'm9', 'm8', 'm7', 'm6', 'm5', 'm4', 'm3']);
    expect(kept.every((b) => b.expires_at === null)).toBe(true);
    expect(list!.slice(10).map(({ id, status, retention }) => ({ id, status, retention }))).toEqual([
      { id: 'm2', status: 'done', retention: [] },
      { id: 'm1', status: 'done', retention: [] },
    ]);
  });

  it('Business: keeps all 12 manual backups (up to 50)', async () => {
    const list = await backupsOf(business(...manualBackups(12)), ADDON, '2025-02-01T00:00:00.000Z');
    expect(list).toHaveLength(12);
    expect(list!.every((b) => b.retention.join() === 'manual' && b.expires_at === null)).toBe(true);
  });

  /** A periodic backup each day at 00:30 UTC from Saturday 1 February to Wednesday 5 March 2025. */
  const dailyBackups = (): AddonEvent[] =>
    Array.from({ length: 33 }, (_, i) => {
      const at = new Date(Date.UTC(2025, 1, 1 + i, 0, 30)).toISOString();
      return backupDone(`p-${at.slice(0, 10)}`, at, 'periodic');
    }).flat();
  const NOW = '2025-03-05T12:00:00.000Z';
  const retentionOf = (list: Awaited<ReturnType<typeof backupsOf>>, id: string) => {
    const b = list!.find((x) => x.id === id)!;
    return { retention: b.retention, expires_at: b.expires_at };
  };

  it('Starter: periodic backups kept 7 days and 4 weeks (Sunday), no monthly', async () => {
    const list = await backupsOf(starter(...dailyBackups()), ADDON, NOW);
    expect(retentionOf(list, 'p-2025-03-05')).toEqual({ retention: ['daily'], expires_at: '2025-03-12T00:00:00.000Z' });
    // Sunday 2 March: this week's weekly backup as well.
    expect(retentionOf(list, 'p-2025-03-02')).toEqual({ retention: ['daily', 'weekly'], expires_at: '2025-03-30T00:00:00.000Z' });
    expect(retentionOf(list, 'p-2025-02-09')).toEqual({ retention: ['weekly'], expires_at: '2025-03-09T00:00:00.000Z' });
    // Sunday 2 February is 5 weeks back: out of a Starter's 4 weeks.
    expect(retentionOf(list, 'p-2025-02-02')).toEqual({ retention: [], expires_at: null });
    expect(retentionOf(list, 'p-2025-02-11')).toEqual({ retention: [], expires_at: null });
  });

  it('Business: periodic backups kept 7 days, 8 weeks and 12 months (first Sunday of the month)', async () => {
    const list = await backupsOf(business(...dailyBackups()), ADDON, NOW);
    expect(retentionOf(list, 'p-2025-03-02')).toEqual({
      retention: ['daily', 'weekly', 'monthly'],
      expires_at: '2026-03-01T00:00:00.000Z',
    });
    expect(retentionOf(list, 'p-2025-02-02')).toEqual({ retention: ['weekly', 'monthly'], expires_at: '2026-02-01T00:00:00.000Z' });
    // Saturday 1 February: the earliest of the week starting Sunday 26 January.
    expect(retentionOf(list, 'p-2025-02-01')).toEqual({ retention: ['weekly'], expires_at: '2025-03-23T00:00:00.000Z' });
    expect(retentionOf(list, 'p-2025-02-11')).toEqual({ retention: [], expires_at: null });
  });

  it('after removal: the backups are still listed, every manual one kept until removal + 1 month (Starter)', async () => {
    const list = await backupsOf(
      starter(...manualBackups(12), removed('2025-02-10T10:00:00.000Z', '2025-03-10T10:00:00.000Z')),
      ADDON,
      '2025-02-20T00:00:00.000Z',
    );
    expect(list).toHaveLength(12);
    expect(list!.every((b) => b.retention.join() === 'manual' && b.expires_at === '2025-03-10T10:00:00.000Z')).toBe(true);
  });

  it('after removal: manual backups of a Business add-on kept until removal + 12 months', async () => {
    const list = await backupsOf(
      business(...manualBackups(3), removed('2025-02-10T10:00:00.000Z', '2026-02-10T10:00:00.000Z')),
      ADDON,
      '2025-06-01T00:00:00.000Z',
    );
    expect(list!.map(({ id, retention, expires_at }) => ({ id, retention, expires_at }))).toEqual([
      { id: 'm3', retention: ['manual'], expires_at: '2026-02-10T10:00:00.000Z' },
      { id: 'm2', retention: ['manual'], expires_at: '2026-02-10T10:00:00.000Z' },
      { id: 'm1', retention: ['manual'], expires_at: '2026-02-10T10:00:00.000Z' },
    ]);
  });

  it('a removed add-on whose backups expired still lists them, as expired', async () => {
    const list = await backupsOf(
      starter(
        ...manualBackups(2),
        removed('2025-02-10T10:00:00.000Z', '2025-03-10T10:00:00.000Z'),
        { type: 'BackupExpired', data: { backupId: 'm1', reason: 'after-removal', at: '2025-03-10T10:00:00.000Z' } },
        { type: 'BackupExpired', data: { backupId: 'm2', reason: 'after-removal', at: '2025-03-10T10:00:00.000Z' } },
      ),
      ADDON,
      '2025-04-01T00:00:00.000Z',
    );
    expect(list!.map(({ id, status, expires_at }) => ({ id, status, expires_at }))).toEqual([
      { id: 'm2', status: 'expired', expires_at: '2025-03-10T10:00:00.000Z' },
      { id: 'm1', status: 'expired', expires_at: '2025-03-10T10:00:00.000Z' },
    ]);
  });

  it('on a Sandbox after a paid plan: manual backups age as after a removal, by the last paid class', async () => {
    const list = await backupsOf(
      starter(...manualBackups(12), ...planChangedTo(STARTER, SANDBOX, '2025-02-10T10:00:00.000Z')),
      ADDON,
      '2025-02-20T00:00:00.000Z',
    );
    expect(list).toHaveLength(12);
    expect(list!.every((b) => b.retention.join() === 'manual' && b.expires_at === '2025-03-10T10:00:00.000Z')).toBe(true);
  });

  it('a failed plan change to Sandbox: back on Starter, manual backups kept by count again', async () => {
    const list = await backupsOf(
      starter(...manualBackups(12), planChangedTo(STARTER, SANDBOX, '2025-02-10T10:00:00.000Z')[0], {
        type: 'PlanChangeFailed',
        data: { fromPlanId: STARTER, toPlanId: SANDBOX, reason: 'no capacity', at: '2025-02-10T10:05:00.000Z' },
      }),
      ADDON,
      '2025-02-20T00:00:00.000Z',
    );
    expect(ids(list!.filter((b) => b.retention.includes('manual')))).toHaveLength(10);
    expect(list!.every((b) => b.expires_at === null)).toBe(true);
  });

  it('a failed plan change to Business: back on Starter, only 10 manual backups kept', async () => {
    const during = await backupsOf(
      starter(...manualBackups(12), planChangedTo(STARTER, BUSINESS, '2025-02-10T10:00:00.000Z')[0]),
      ADDON,
      '2025-02-20T00:00:00.000Z',
    );
    expect(during!.filter((b) => b.retention.includes('manual'))).toHaveLength(12);
    await fixture!.dispose();

    const after = await backupsOf(
      starter(...manualBackups(12), planChangedTo(STARTER, BUSINESS, '2025-02-10T10:00:00.000Z')[0], {
        type: 'PlanChangeFailed',
        data: { fromPlanId: STARTER, toPlanId: BUSINESS, reason: 'no capacity', at: '2025-02-10T10:05:00.000Z' },
      }),
      ADDON,
      '2025-02-20T00:00:00.000Z',
    );
    expect(ids(after!.filter((b) => b.retention.includes('manual')))).toEqual(['m12', 'm11', 'm10', 'm9', 'm8', 'm7', 'm6', 'm5', 'm4', 'm3']);
  });

  it("keeps each add-on's backups apart", async () => {
    const other = randomUUID();
    const list = await backupsOf(
      { ...starter(...backupDone('mine', '2025-03-01T08:00:00.000Z')), [other]: [...running(STARTER, { addonId: other }), ...backupDone('theirs', '2025-03-01T09:00:00.000Z')] },
      ADDON,
      NOW,
    );
    expect(ids(list)).toEqual(['mine']);
  });

  it('an add-on the read model does not know gives null', async () => {
    expect(await backupsOf(starter(...manualBackups(1)), randomUUID(), NOW)).toBeNull();
  });
});
