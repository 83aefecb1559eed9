import { DATABASE_TYPES, ServiceClass } from '../../catalogue/domain/catalogue';
import { AddonCommand } from './addon.commands';
import { AddonEvent, BackupMethod } from './addon.events';
import {
  backupDone,
  backupFailed,
  backupRequested,
  given,
  LEADER,
  manualBackups,
  NOW,
  PLAN_OF,
  planChangedTo,
  provisioned,
  removed,
  replicasOf,
  running,
} from './testing/addon-fixtures';

const request = (backupId: string, method: BackupMethod = 'manual', at = NOW): AddonCommand => ({
  type: 'RequestBackup',
  data: { backupId, method, at },
});
const complete = (backupId: string, at = NOW): AddonCommand => ({
  type: 'CompleteBackup',
  data: { backupId, sizeBytes: 2_048, checksum: 'sha256:beef', replicas: replicasOf(backupId), at },
});
const taken = (backupId: string, at = NOW): AddonEvent => ({
  type: 'BackupTaken',
  data: { backupId, sizeBytes: 2_048, checksum: 'sha256:beef', replicas: replicasOf(backupId), at },
});
const expired = (backupId: string, at: string, reason: 'retention' | 'after-removal' = 'retention'): AddonEvent => ({
  type: 'BackupExpired',
  data: { backupId, reason, at },
});
const applyRetention = (at: string): AddonCommand => ({ type: 'ApplyRetention', data: { at } });
const download = (backupId: string): AddonCommand => ({ type: 'RequestBackupDownload', data: { backupId, at: NOW } });
const restore = (source: { backupId: string } | { pointInTime: string }): AddonCommand => ({
  type: 'StartRestore',
  data: { restoreId: 'r1', source, at: NOW },
});

describe('Backups', () => {
  describe('"Only paid plans (Starter, Business) have backups; a request on a Sandbox add-on is refused with a clear error"', () => {
    it.each<BackupMethod>(['manual', 'periodic'])('a %s backup of a Sandbox: BACKUP.NOT_AVAILABLE_ON_SANDBOX', (method) => {
      const error = given(...running(PLAN_OF.sandbox)).when(request('b1', method)).thenFails('BACKUP.NOT_AVAILABLE_ON_SANDBOX');
      expect(error.message).toBe('Sandbox plans have no backups. Change to a Starter or Business plan to get them.');
    });

    it.each<[ServiceClass, BackupMethod]>([
      ['starter', 'manual'],
      ['starter', 'periodic'],
      ['business', 'manual'],
      ['business', 'periodic'],
    ])('%s: a %s backup is requested', (cls, method) => {
      given(...running(PLAN_OF[cls]))
        .when(request('b1', method))
        .then({ type: 'BackupRequested', data: { backupId: 'b1', name: '20250305120000_my-app-3030', method, at: NOW } });
    });

    it('a Sandbox cannot set a backup schedule either', () => {
      given(...running(PLAN_OF.sandbox))
        .when({ type: 'SetBackupSchedule', data: { enabled: true, hour: 3, timezone: 'UTC', at: NOW } })
        .thenFails('BACKUP.NOT_AVAILABLE_ON_SANDBOX');
    });

    it('a Sandbox cannot restore', () => {
      given(...running(PLAN_OF.sandbox)).when(restore({ backupId: 'b1' })).thenFails('BACKUP.NOT_AVAILABLE_ON_SANDBOX');
    });
  });

  describe('requesting a backup', () => {
    it('"name: <UTC timestamp yyyyMMddHHmmss>_<resource id>"', () => {
      given(...running(PLAN_OF.starter))
        .when(request('b1', 'manual', '2023-12-07T00:06:08.412Z'))
        .thenMatches({ type: 'BackupRequested', data: { name: '20231207000608_my-app-3030' } });
    });

    it('"the request answers at once with the backup in scheduled status"', () => {
      const state = given(...running(PLAN_OF.starter), backupRequested('b1', NOW)).state;
      expect(state).toMatchObject({
        backups: [{ id: 'b1', name: '20250305120000_my-app-3030', method: 'manual', status: 'scheduled', createdAt: NOW }],
      });
    });

    it('the same backup id again (a retried request) changes nothing', () => {
      given(...running(PLAN_OF.starter), backupRequested('b1', NOW)).when(request('b1')).thenNothing();
    });

    it.each([
      ['scheduled', [backupRequested('b1', NOW)]],
      ['running', [backupRequested('b1', NOW), { type: 'BackupStarted', data: { backupId: 'b1', at: NOW } } as AddonEvent]],
    ])('while another one is %s: BACKUP.ALREADY_IN_PROGRESS, naming it', (status, events) => {
      const error = given(...running(PLAN_OF.starter), ...events)
        .when(request('b2'))
        .thenFails('BACKUP.ALREADY_IN_PROGRESS', { backupId: 'b1' });
      expect(error.message).toBe(`Backup 20250305120000_my-app-3030 is still ${status}. Wait for it to finish.`);
    });

    it('once the previous one finished, done or failed, another one can be requested', () => {
      given(...running(PLAN_OF.starter), ...backupDone('b1', '2025-03-04T12:00:00.000Z'))
        .when(request('b2'))
        .thenMatches({ type: 'BackupRequested', data: { backupId: 'b2' } });
      given(...running(PLAN_OF.starter), ...backupFailed('b1', '2025-03-04T12:00:00.000Z'))
        .when(request('b2'))
        .thenMatches({ type: 'BackupRequested', data: { backupId: 'b2' } });
    });

    it('a periodic backup while scheduled backups are disabled: BACKUP.SCHEDULE_DISABLED; a manual one is still fine', () => {
      const disabled: AddonEvent = { type: 'BackupScheduleSet', data: { enabled: false, hour: 0, timezone: 'UTC', at: NOW } };
      given(...running(PLAN_OF.starter), disabled).when(request('b1', 'periodic')).thenFails('BACKUP.SCHEDULE_DISABLED');
      given(...running(PLAN_OF.starter), disabled).when(request('b1', 'manual')).thenMatches({ type: 'BackupRequested' });
    });

    it.each<[string, AddonEvent[], string]>([
      ['still provisioning', [provisioned(PLAN_OF.starter)], 'ADDON.NOT_RUNNING'],
      [
        'unavailable',
        [
          ...running(PLAN_OF.starter),
          { type: 'NodeFailureDetected', data: { node: LEADER.name, role: 'leader', at: NOW } },
          { type: 'AddonUnavailable', data: { reason: 'node down', at: NOW } },
        ],
        'ADDON.NOT_RUNNING',
      ],
      ['changing plan', [...running(PLAN_OF.starter), planChangedTo(PLAN_OF.starter, PLAN_OF.business, NOW)[0]], 'ADDON.OPERATION_IN_PROGRESS'],
      ['removed', [...running(PLAN_OF.starter), removed(NOW, null)], 'ADDON.NOT_FOUND'],
    ])('not while the add-on is %s: %s', (_, events, code) => {
      given(...events).when(request('b1')).thenFails(code);
    });
  });

  describe('"status (scheduled, running, done, error)": success or failure is an event', () => {
    const requested = [...running(PLAN_OF.business), backupRequested('b1', NOW)];
    const started: AddonEvent = { type: 'BackupStarted', data: { backupId: 'b1', at: NOW } };

    it('scheduled → running', () => {
      given(...requested).when({ type: 'StartBackup', data: { backupId: 'b1', at: NOW } }).then(started);
    });

    it('a repeated start changes nothing', () => {
      given(...requested, started).when({ type: 'StartBackup', data: { backupId: 'b1', at: NOW } }).thenNothing();
    });

    it('running → done, "stored in three replicas"', () => {
      given(...requested, started).when(complete('b1')).then(taken('b1'));
    });

    it('scheduled → done records the start it skipped', () => {
      given(...requested).when(complete('b1')).then(started, taken('b1'));
    });

    it('running → error, with the reason', () => {
      given(...requested, started)
        .when({ type: 'FailBackup', data: { backupId: 'b1', reason: 'disk full', at: NOW } })
        .then({ type: 'BackupFailed', data: { backupId: 'b1', reason: 'disk full', at: NOW } });
    });

    it('a repeated report of the same outcome changes nothing', () => {
      given(...running(PLAN_OF.business), ...backupDone('b1', NOW)).when(complete('b1')).thenNothing();
      given(...running(PLAN_OF.business), ...backupFailed('b1', NOW))
        .when({ type: 'FailBackup', data: { backupId: 'b1', reason: 'disk full', at: NOW } })
        .thenNothing();
    });

    it('a finished backup cannot take the other outcome: BACKUP.NOT_RUNNING', () => {
      given(...running(PLAN_OF.business), ...backupFailed('b1', NOW)).when(complete('b1')).thenFails('BACKUP.NOT_RUNNING');
      given(...running(PLAN_OF.business), ...backupDone('b1', NOW))
        .when({ type: 'FailBackup', data: { backupId: 'b1', reason: 'late', at: NOW } })
        .thenFails('BACKUP.NOT_RUNNING');
    });

    it('an unknown backup: BACKUP.NOT_FOUND', () => {
      given(...running(PLAN_OF.business)).when(complete('nope')).thenFails('BACKUP.NOT_FOUND');
    });

    it('"a backup has an id, a name, creation, start and end times, size, status, method"', () => {
      const state = given(
        ...running(PLAN_OF.business),
        backupRequested('b1', '2025-03-05T01:00:00.000Z', 'periodic'),
        { type: 'BackupStarted', data: { backupId: 'b1', at: '2025-03-05T01:02:00.000Z' } },
        taken('b1', '2025-03-05T01:09:00.000Z'),
      ).state;
      expect(state).toMatchObject({
        backups: [
          {
            id: 'b1',
            name: '20250305010000_my-app-3030',
            method: 'periodic',
            status: 'done',
            createdAt: '2025-03-05T01:00:00.000Z',
            startedAt: '2025-03-05T01:02:00.000Z',
            endedAt: '2025-03-05T01:09:00.000Z',
            sizeBytes: 2_048,
            replicas: [
              { site: 'dc-primary', path: '/ad-0f1ab3e1/b1.dump.gz' },
              { site: 'dc-secondary', path: '/ad-0f1ab3e1/b1.dump.gz' },
              { site: 'provider-snapshot', path: '/ad-0f1ab3e1/b1.dump.gz' },
            ],
          },
        ],
      });
    });
  });

  describe('an expired backup, its archive deleted', () => {
    const history = [
      ...running(PLAN_OF.business),
      backupRequested('b1', '2025-03-05T01:00:00.000Z', 'periodic'),
      { type: 'BackupStarted', data: { backupId: 'b1', at: '2025-03-05T01:02:00.000Z' } } as AddonEvent,
      taken('b1', '2025-03-05T01:09:00.000Z'),
      expired('b1', '2025-03-13T00:10:00.000Z'),
    ];

    it('keeps only what names and ages it: no size, checksum or replicas of an archive that is gone', () => {
      const { state } = given(...history);
      expect(state.status !== 'none' && state.backups).toEqual([
        {
          id: 'b1',
          name: '20250305010000_my-app-3030',
          method: 'periodic',
          status: 'expired',
          createdAt: '2025-03-05T01:00:00.000Z',
          startedAt: '2025-03-05T01:02:00.000Z',
          endedAt: '2025-03-05T01:09:00.000Z',
          expiredAt: '2025-03-13T00:10:00.000Z',
        },
      ]);
    });

    it('is still refused by name for a download (BACKUP.EXPIRED), and its id asked again still changes nothing', () => {
      const error = given(...history).when(download('b1')).thenFails('BACKUP.EXPIRED');
      expect(error.message).toContain('20250305010000_my-app-3030');
      given(...history).when(request('b1', 'periodic')).thenNothing();
    });
  });

  describe('"Retention is evaluated after every finished backup"', () => {
    describe.each<[ServiceClass, number]>([
      ['starter', 10],
      ['business', 50],
    ])('%s keeps the newest %d manual backups', (cls, count) => {
      it(`the ${count}th finishing keeps them all`, () => {
        given(...running(PLAN_OF[cls]), ...manualBackups(count - 1), backupRequested('new', NOW))
          .when(complete('new'))
          .then({ type: 'BackupStarted', data: { backupId: 'new', at: NOW } }, taken('new'));
      });

      it(`"a new one beyond ${count} deletes the oldest"`, () => {
        given(...running(PLAN_OF[cls]), ...manualBackups(count), backupRequested('new', NOW))
          .when(complete('new'))
          .then({ type: 'BackupStarted', data: { backupId: 'new', at: NOW } }, taken('new'), expired('m1', NOW));
      });
    });

    it('a failed backup is followed by retention too: a failed attempt older than 7 days goes', () => {
      given(...running(PLAN_OF.starter), ...backupFailed('old', '2025-02-20T12:00:00.000Z'), backupRequested('b1', NOW))
        .when({ type: 'FailBackup', data: { backupId: 'b1', reason: 'disk full', at: NOW } })
        .then({ type: 'BackupFailed', data: { backupId: 'b1', reason: 'disk full', at: NOW } }, expired('old', NOW));
    });
  });

  describe('ApplyRetention (daily): grandfather-father-son with the counts of the class', () => {
    // Periodic backups at 00:00 UTC, evaluated on Wednesday 4 June 2025.
    const JUNE_4 = '2025-06-04T12:00:00.000Z';
    const periodic = ['2025-03-02', '2025-04-27', '2025-05-25', '2025-05-27', '2025-06-01', '2025-06-03'].flatMap((day) =>
      backupDone(`p ${day}`, `${day}T00:00:00.000Z`, 'periodic'),
    );

    it.each<[ServiceClass, string, string[]]>([
      [
        'starter',
        '7 daily, 4 weekly, 0 monthly',
        ['p 2025-03-02' /* no monthly */, 'p 2025-04-27' /* 6 weeks back */, 'p 2025-05-27' /* 8 days back, not its week's */],
      ],
      ['business', '7 daily, 8 weekly, 12 monthly', ['p 2025-05-27' /* 8 days back, neither its week's nor its month's */]],
    ])('%s (%s) expires %j', (cls, _counts, expiries) => {
      given(...running(PLAN_OF[cls]), ...periodic)
        .when(applyRetention(JUNE_4))
        .then(...expiries.map((id) => expired(id, JUNE_4)));
    });

    it('a second evaluation changes nothing', () => {
      given(...running(PLAN_OF.business), ...periodic, expired('p 2025-05-27', JUNE_4))
        .when(applyRetention(JUNE_4))
        .thenNothing();
    });

    it('backups not finished yet are left alone', () => {
      given(...running(PLAN_OF.starter), backupRequested('b1', '2025-01-01T00:00:00.000Z', 'periodic'))
        .when(applyRetention(JUNE_4))
        .thenNothing();
    });

    it('a Sandbox that never was on a paid plan has nothing to expire', () => {
      given(...running(PLAN_OF.sandbox)).when(applyRetention(JUNE_4)).thenNothing();
    });
  });

  describe('"Its backups are NOT deleted at once: scheduled ones expire by the retention policy; manual ones are kept 1 month (Starter) or 1 year (Business) after removal"', () => {
    const REMOVED_AT = '2025-01-31T16:00:00.000Z';
    const backups = [
      ...manualBackups(1, '2025-01-10T08:00:00.000Z'),
      ...backupDone('p', '2025-01-30T00:00:00.000Z', 'periodic'),
    ];

    describe.each<[ServiceClass, string, string]>([
      ['starter', '2025-02-28T16:00:00.000Z', '2025-02-28T15:59:59.000Z'],
      ['business', '2026-01-31T16:00:00.000Z', '2026-01-31T15:59:59.000Z'],
    ])('%s, removed on 31 January 2025 at 16:00', (cls, keptUntil, justBefore) => {
      const gone = [...running(PLAN_OF[cls]), ...backups, removed(REMOVED_AT, keptUntil)];

      it('periodic backups run out by their own rules; the manual one is still kept just before its date', () => {
        given(...gone).when(applyRetention(justBefore)).then(expired('p', justBefore));
      });

      it(`the manual one expires at ${keptUntil}`, () => {
        given(...gone, expired('p', justBefore))
          .when(applyRetention(keptUntil))
          .then(expired('m1', keptUntil, 'after-removal'));
      });

      it('a kept backup can still be downloaded after removal', () => {
        given(...gone).when(download('m1')).then({ type: 'BackupDownloadRequested', data: { backupId: 'm1', at: NOW } });
      });
    });

    describe('(design) after a downgrade to Sandbox, the backups age as after a removal, with the counts of the last paid class', () => {
      it('Starter → Sandbox on 31 January: the manual backup goes 1 month later', () => {
        const onSandbox = [...running(PLAN_OF.starter), ...backups, ...planChangedTo(PLAN_OF.starter, PLAN_OF.sandbox, REMOVED_AT)];
        given(...onSandbox).when(applyRetention('2025-02-28T15:59:59.000Z')).then(expired('p', '2025-02-28T15:59:59.000Z'));
        given(...onSandbox, expired('p', '2025-02-28T15:59:59.000Z'))
          .when(applyRetention('2025-02-28T16:00:00.000Z'))
          .then(expired('m1', '2025-02-28T16:00:00.000Z', 'after-removal'));
      });

      it('Business → Sandbox: the manual backup is still there 11 months later', () => {
        const onSandbox = [
          ...running(PLAN_OF.business),
          ...manualBackups(1, '2025-01-10T08:00:00.000Z'),
          ...planChangedTo(PLAN_OF.business, PLAN_OF.sandbox, REMOVED_AT),
        ];
        given(...onSandbox).when(applyRetention('2025-12-31T16:00:00.000Z')).thenNothing();
        given(...onSandbox)
          .when(applyRetention('2026-01-31T16:00:00.000Z'))
          .then(expired('m1', '2026-01-31T16:00:00.000Z', 'after-removal'));
      });

      it('back on a paid plan before then, the manual backup is kept by the count rule again', () => {
        given(
          ...running(PLAN_OF.starter),
          ...backups,
          ...planChangedTo(PLAN_OF.starter, PLAN_OF.sandbox, REMOVED_AT),
          ...planChangedTo(PLAN_OF.sandbox, PLAN_OF.starter, '2025-02-10T10:00:00.000Z'),
        )
          .when(applyRetention('2025-03-31T16:00:00.000Z'))
          .then(expired('p', '2025-03-31T16:00:00.000Z'));
      });

      it('a Sandbox add-on\'s old backups can still be downloaded', () => {
        given(...running(PLAN_OF.starter), ...backups, ...planChangedTo(PLAN_OF.starter, PLAN_OF.sandbox, REMOVED_AT))
          .when(download('m1'))
          .then({ type: 'BackupDownloadRequested', data: { backupId: 'm1', at: NOW } });
      });

      it('removed later, the manual backups still kept stay 1 month after the removal', () => {
        given(
          ...running(PLAN_OF.starter),
          ...backups,
          ...planChangedTo(PLAN_OF.starter, PLAN_OF.sandbox, REMOVED_AT),
          removed('2025-02-20T10:00:00.000Z', '2025-03-20T10:00:00.000Z'),
        )
          .when(applyRetention('2025-03-01T00:00:00.000Z'))
          .then(expired('p', '2025-03-01T00:00:00.000Z'));
      });
    });
  });

  describe('"downloaded through a short-lived link, for every database type (the download is audited)"', () => {
    it.each(DATABASE_TYPES)('%s: a done backup: BackupDownloadRequested', (type) => {
      given(...running(`${type}-starter-512`), ...backupDone('b1', NOW))
        .when(download('b1'))
        .then({ type: 'BackupDownloadRequested', data: { backupId: 'b1', at: NOW } });
    });

    it('every download is recorded, a repeated one too', () => {
      given(...running(PLAN_OF.starter), ...backupDone('b1', NOW), { type: 'BackupDownloadRequested', data: { backupId: 'b1', at: NOW } })
        .when(download('b1'))
        .then({ type: 'BackupDownloadRequested', data: { backupId: 'b1', at: NOW } });
    });

    it('an expired backup: BACKUP.EXPIRED', () => {
      const error = given(...running(PLAN_OF.starter), ...backupDone('b1', '2025-01-10T08:00:00.000Z'), expired('b1', NOW))
        .when(download('b1'))
        .thenFails('BACKUP.EXPIRED');
      expect(error.message).toBe('Backup 20250110080000_my-app-3030 expired under the retention policy and was deleted.');
    });

    it.each([
      ['scheduled', [backupRequested('b1', NOW)]],
      ['running', [backupRequested('b1', NOW), { type: 'BackupStarted', data: { backupId: 'b1', at: NOW } } as AddonEvent]],
    ])('a %s backup: BACKUP.NOT_READY', (status, events) => {
      const error = given(...running(PLAN_OF.starter), ...events).when(download('b1')).thenFails('BACKUP.NOT_READY');
      expect(error.message).toBe(`Backup 20250305120000_my-app-3030 is still ${status}. Try again when it is done.`);
    });

    it('a failed backup: BACKUP.FAILED', () => {
      given(...running(PLAN_OF.starter), ...backupFailed('b1', NOW)).when(download('b1')).thenFails('BACKUP.FAILED');
    });

    it('an unknown backup: BACKUP.NOT_FOUND', () => {
      given(...running(PLAN_OF.starter)).when(download('b1')).thenFails('BACKUP.NOT_FOUND');
    });
  });

  describe('backup schedule: "the hour is configurable, in UTC or with an explicit timezone"', () => {
    const set = (hour: number, timezone: string, enabled = true): AddonCommand => ({
      type: 'SetBackupSchedule',
      data: { enabled, hour, timezone, at: NOW },
    });

    it('--schedule-at "4:00 UTC"', () => {
      given(...running(PLAN_OF.starter), { type: 'MaintenanceWindowSet', data: { weekdayUtc: 3, startingHourUtc: 12, durationHours: 8, at: NOW } })
        .when(set(4, 'UTC'))
        .then({ type: 'BackupScheduleSet', data: { enabled: true, hour: 4, timezone: 'UTC', at: NOW } });
    });

    it('--schedule-at "20 Europe/Paris"', () => {
      given(...running(PLAN_OF.business))
        .when(set(20, 'Europe/Paris'))
        .then({ type: 'BackupScheduleSet', data: { enabled: true, hour: 20, timezone: 'Europe/Paris', at: NOW } });
    });

    it('the schedule it has already: nothing changes', () => {
      given(...running(PLAN_OF.starter)).when(set(0, 'UTC')).thenNothing();
    });

    it.each([24, -1, 1.5])('hour %d: SCHEDULE.INVALID_TIME', (hour) => {
      given(...running(PLAN_OF.starter)).when(set(hour, 'UTC')).thenFails('SCHEDULE.INVALID_TIME');
    });

    it('an unknown time zone: SCHEDULE.UNKNOWN_TIMEZONE, echoing at most 64 characters of it', () => {
      const zone = `Mars/${'Olympus'.repeat(20)}`;
      const error = given(...running(PLAN_OF.starter))
        .when(set(4, zone))
        .thenFails('SCHEDULE.UNKNOWN_TIMEZONE', { timezone: zone.slice(0, 64) });
      expect(error.message).not.toContain('Mars');
      expect(error.message).toContain('Europe/Paris');
    });
  });

  describe('Restore', () => {
    const withBackups = (planId: string) => [
      ...running(planId),
      ...backupDone('b1', '2025-03-01T00:00:00.000Z', 'periodic'),
      ...backupDone('b2', '2025-03-02T00:00:00.000Z', 'periodic'),
    ];

    it('from a done backup: RestoreStarted', () => {
      given(...withBackups(PLAN_OF.starter))
        .when(restore({ backupId: 'b2' }))
        .then({ type: 'RestoreStarted', data: { restoreId: 'r1', source: { backupId: 'b2' }, at: NOW } });
    });

    it('from a backup that is not done: the backup download errors apply', () => {
      given(...withBackups(PLAN_OF.starter), expired('b1', NOW)).when(restore({ backupId: 'b1' })).thenFails('BACKUP.EXPIRED');
      given(...running(PLAN_OF.starter), backupRequested('b1', NOW)).when(restore({ backupId: 'b1' })).thenFails('BACKUP.NOT_READY');
      given(...running(PLAN_OF.starter), ...backupFailed('b1', NOW)).when(restore({ backupId: 'b1' })).thenFails('BACKUP.FAILED');
      given(...running(PLAN_OF.starter)).when(restore({ backupId: 'b1' })).thenFails('BACKUP.NOT_FOUND');
    });

    describe('"PostgreSQL only: point-in-time restore to any moment inside the recovery window"', () => {
      it.each(['postgresql-starter-1024', 'postgresql-business-1024'])('%s: a moment after the oldest backup kept', (planId) => {
        given(...withBackups(planId))
          .when(restore({ pointInTime: '2025-03-04T10:30:00.000Z' }))
          .then({ type: 'RestoreStarted', data: { restoreId: 'r1', source: { pointInTime: '2025-03-04T10:30:00.000Z' }, at: NOW } });
      });

      it('before the oldest backup kept: RESTORE.OUTSIDE_RECOVERY_WINDOW, with the window', () => {
        const error = given(...withBackups(PLAN_OF.starter))
          .when(restore({ pointInTime: '2025-02-28T23:59:59.000Z' }))
          .thenFails('RESTORE.OUTSIDE_RECOVERY_WINDOW', { windowStart: '2025-03-01T00:00:00.000Z', windowEnd: NOW });
        expect(error.message).toBe('The recovery window starts at 2025-03-01T00:00:00.000Z (the oldest backup kept).');
      });

      it('an expired backup no longer opens the window', () => {
        given(...withBackups(PLAN_OF.starter), expired('b1', NOW))
          .when(restore({ pointInTime: '2025-03-01T12:00:00.000Z' }))
          .thenFails('RESTORE.OUTSIDE_RECOVERY_WINDOW', { windowStart: '2025-03-02T00:00:00.000Z' });
      });

      it('with no backup yet: RESTORE.OUTSIDE_RECOVERY_WINDOW', () => {
        const error = given(...running(PLAN_OF.starter))
          .when(restore({ pointInTime: '2025-03-04T10:30:00.000Z' }))
          .thenFails('RESTORE.OUTSIDE_RECOVERY_WINDOW', { windowStart: null });
        expect(error.message).toBe('There is no backup yet to restore from.');
      });

      it('in the future: RESTORE.IN_THE_FUTURE', () => {
        given(...withBackups(PLAN_OF.starter)).when(restore({ pointInTime: '2025-03-05T12:00:01.000Z' })).thenFails('RESTORE.IN_THE_FUTURE');
      });

      it('not a time: RESTORE.INVALID_TIME, echoing at most 40 characters', () => {
        const error = given(...withBackups(PLAN_OF.starter))
          .when(restore({ pointInTime: `yesterday ${'!'.repeat(100)}` }))
          .thenFails('RESTORE.INVALID_TIME', { restoreTime: `yesterday ${'!'.repeat(30)}` });
        expect(error.message).not.toContain('yesterday');
      });

      it.each(DATABASE_TYPES.filter((t) => t !== 'postgresql'))('%s: RESTORE.POINT_IN_TIME_NOT_SUPPORTED', (type) => {
        given(...withBackups(`${type}-business-1024`))
          .when(restore({ pointInTime: '2025-03-04T10:30:00.000Z' }))
          .thenFails('RESTORE.POINT_IN_TIME_NOT_SUPPORTED');
      });
    });

    describe('completion', () => {
      const restoring = [...withBackups(PLAN_OF.starter), { type: 'RestoreStarted', data: { restoreId: 'r1', source: { backupId: 'b2' }, at: NOW } } as AddonEvent];

      it('done: RestoreCompleted, and the add-on runs again', () => {
        given(...restoring)
          .when({ type: 'CompleteRestore', data: { restoreId: 'r1', at: NOW } })
          .then({ type: 'RestoreCompleted', data: { restoreId: 'r1', at: NOW } });
      });

      it('failed: RestoreFailed, with the reason', () => {
        given(...restoring)
          .when({ type: 'FailRestore', data: { restoreId: 'r1', reason: 'corrupt archive', at: NOW } })
          .then({ type: 'RestoreFailed', data: { restoreId: 'r1', reason: 'corrupt archive', at: NOW } });
      });

      it('a report about another restore, or a repeated one, changes nothing', () => {
        given(...restoring).when({ type: 'CompleteRestore', data: { restoreId: 'r0', at: NOW } }).thenNothing();
        given(...restoring, { type: 'RestoreCompleted', data: { restoreId: 'r1', at: NOW } })
          .when({ type: 'CompleteRestore', data: { restoreId: 'r1', at: NOW } })
          .thenNothing();
      });

      it.each<AddonCommand>([restore({ backupId: 'b1' }), request('b3'), { type: 'ChangePlan', data: { planId: PLAN_OF.business, at: NOW } }])(
        'while restoring, $type: ADDON.OPERATION_IN_PROGRESS',
        (command) => {
          given(...restoring).when(command).thenFails('ADDON.OPERATION_IN_PROGRESS', { status: 'restoring' });
        },
      );
    });
  });
});
