import { createHash } from 'node:crypto';
import { CommandBus } from '@nestjs/cqrs';
import request from 'supertest';
import { RunPlatformJobCommand } from '../../src/platform/jobs/run-platform-job.command';
import { derivedUuid } from '../../src/shared/cqrs/event-ids';
import {
  atOf,
  backupFiles,
  backupsOf,
  DAY,
  dataOf,
  eventsAfter,
  existingBackupFiles,
  expectArchiveMatches,
  expectCausedBy,
  expectFromRequest,
  expectCleanLogAndJobs,
  expectStatus,
  HOUR,
  lastRevision,
  MINUTE,
  ofType,
  plus,
  Provisioned,
  requestIdOf,
  runningAddon,
  SECOND,
  typesOf,
} from './flow-kit';
import { Simulation } from './simulation';

/**
 * Backups through the real app: manual ones on request, periodic ones by the scheduler
 * (one per day at the schedule's hour, in its time zone, across DST and restarts), the
 * archives on disk in three replicas, and retention after every finished backup and daily
 * (BackupExpired, then the archives deleted).
 */
describe('flow: backups', () => {
  let sim: Simulation;

  afterEach(async () => {
    await sim.dispose();
  });

  const requestBackup = async (addon: Provisioned) => {
    const res = expectStatus(await sim.call('owner:alice', 'POST', `/v1/apps/${addon.app}/addons/${addon.id}/backups`), 202);
    expect(res.body.backup).toMatchObject({ status: 'scheduled', method: 'manual' });
    expect(res.headers.location).toBe(`/v1/apps/${addon.app}/addons/${addon.id}/backups/${res.body.backup.id}`);
    return res;
  };

  const periodicRequests = async (addon: Provisioned) =>
    ofType(await sim.events(`addon-${addon.id}`), 'BackupRequested').filter((e) => dataOf(e).method === 'periodic');

  /** The UTC days with a periodic backup, and how many each. */
  const perDay = (events: Awaited<ReturnType<typeof periodicRequests>>) => {
    const days: Record<string, number> = {};
    for (const e of events) days[atOf(e).slice(0, 10)] = (days[atOf(e).slice(0, 10)] ?? 0) + 1;
    return days;
  };

  describe('manual', () => {
    beforeEach(async () => {
      sim = await new Simulation().start();
    });

    it('BackupRequested → BackupStarted → BackupTaken (size, sha256 checksum, 3 replicas), the archive on disk in 3 replica dirs', async () => {
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
      const from = await lastRevision(sim, `addon-${addon.id}`);
      const t0 = sim.now();
      const res = await requestBackup(addon);
      const backupId = res.body.backup.id;

      await sim.advance(2 * MINUTE - 1);
      expect(typesOf(await eventsAfter(sim, `addon-${addon.id}`, from))).toEqual(['BackupRequested', 'BackupStarted']);
      expect(existingBackupFiles(sim, addon.id, backupId)).toEqual([]);
      await sim.advance(1);

      const events = await eventsAfter(sim, `addon-${addon.id}`, from);
      expect(typesOf(events)).toEqual(['BackupRequested', 'BackupStarted', 'BackupTaken']);
      const [requested, started, taken] = events;
      expectFromRequest(requested, 'owner:alice', requestIdOf(res));
      const resourceId = (dataOf(events[0]).name as string).split('_')[1];
      expect(dataOf(requested)).toEqual({ backupId, name: `20260105090030_${resourceId}`, method: 'manual', at: t0 });
      expect(resourceId).toMatch(/^shop-\d{4}$/);
      expectCausedBy(started, 'backups', requested);
      expectCausedBy(taken, 'backups', requested);
      expect(atOf(started)).toBe(t0);
      expect(atOf(taken)).toBe(plus(t0, 2 * MINUTE));
      const { sizeBytes, checksum, replicas } = dataOf<{ sizeBytes: number; checksum: string; replicas: unknown }>(taken);
      expect(sizeBytes).toBeGreaterThan(0);
      expect(checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(taken.metadata.schemaVersion).toBe(2);
      expect(replicas).toEqual([
        { site: 'dc-primary', path: `/${addon.id}/${backupId}.dump.gz` },
        { site: 'dc-secondary', path: `/${addon.id}/${backupId}.dump.gz` },
        { site: 'provider-snapshot', path: `/${addon.id}/${backupId}.dump.gz` },
      ]);
      expect(existingBackupFiles(sim, addon.id, backupId)).toEqual(backupFiles(sim, addon.id, backupId));
      expectArchiveMatches(sim, addon.id, backupId, sizeBytes, checksum);

      const [listed] = await backupsOf(sim, addon);
      expect(listed).toMatchObject({
        id: backupId,
        status: 'done',
        method: 'manual',
        created_at: t0,
        started_at: t0,
        ended_at: plus(t0, 2 * MINUTE),
        size: sizeBytes,
        retention: ['manual'],
        expires_at: null,
      });

      // The download link streams exactly those bytes; the request is audited.
      const link = expectStatus(await sim.call('owner:alice', 'GET', `/v1/apps/shop/addons/${addon.id}/backups/${backupId}/archive`), 200);
      const download = await request(sim.app.getHttpServer())
        .get(link.body.download_url)
        .buffer(true)
        .parse((response, callback) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => callback(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(`sha256:${createHash('sha256').update(download.body as Buffer).digest('hex')}`).toBe(checksum);
      expect(typesOf(await eventsAfter(sim, `addon-${addon.id}`, from)).at(-1)).toBe('BackupDownloadRequested');
      await expectCleanLogAndJobs(sim);
    });

    it('a second request while one runs is 409 BACKUP.ALREADY_IN_PROGRESS; a Sandbox is 422', async () => {
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
      await requestBackup(addon);
      await sim.advance(MINUTE);
      const second = await sim.call('owner:alice', 'POST', `/v1/apps/shop/addons/${addon.id}/backups`);
      expect(second.status).toBe(409);
      expect(second.body.error.code).toBe('BACKUP.ALREADY_IN_PROGRESS');
      await sim.advance(MINUTE);
      expect(typesOf(await sim.events(`addon-${addon.id}`))).toEqual([
        'AddonProvisioned',
        'AddonRunning',
        'BackupRequested',
        'BackupStarted',
        'BackupTaken',
      ]);

      const sandbox = await runningAddon(sim, { app: 'lab', provider: 'redis', plan: 'redis-sandbox' });
      const refused = await sim.call('owner:alice', 'POST', `/v1/apps/lab/addons/${sandbox.id}/backups`);
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('BACKUP.NOT_AVAILABLE_ON_SANDBOX');
      // A Sandbox has no timers at all.
      expect(await sim.runtime.find(`periodic-backup:${sandbox.id}`)).toBeNull();
      expect(await sim.runtime.find(`daily-retention:${sandbox.id}`)).toBeNull();
      await expectCleanLogAndJobs(sim);
    });

    it('a final driver failure: BackupRequested → BackupStarted → BackupFailed with the reason, no archive left', async () => {
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
      const from = await lastRevision(sim, `addon-${addon.id}`);
      sim.driver.failNext('takeBackup', { retryable: false, reason: 'the host refused the operation' });
      const res = await requestBackup(addon);
      const backupId = res.body.backup.id;
      await sim.advance(5 * MINUTE);

      const events = await eventsAfter(sim, `addon-${addon.id}`, from);
      expect(typesOf(events)).toEqual(['BackupRequested', 'BackupStarted', 'BackupFailed']);
      expectCausedBy(events[2], 'backups', events[0]);
      expect(dataOf(events[2])).toEqual({ backupId, reason: 'the host refused the operation', at: atOf(events[0]) });
      expect(existingBackupFiles(sim, addon.id, backupId)).toEqual([]);
      const [listed] = await backupsOf(sim, addon);
      expect(listed).toMatchObject({ id: backupId, status: 'error', error: 'the host refused the operation', size: null });
      const link = await sim.call('owner:alice', 'GET', `/v1/apps/shop/addons/${addon.id}/backups/${backupId}/archive`);
      expect(link.status).toBe(422);

      // The next request goes through.
      await requestBackup(addon);
      await sim.advance(5 * MINUTE);
      expect(typesOf(await eventsAfter(sim, `addon-${addon.id}`, from)).slice(3)).toEqual([
        'BackupRequested',
        'BackupStarted',
        'BackupTaken',
      ]);
      await expectCleanLogAndJobs(sim);
    });

    it('retryable failures: retried after 5 s and 10 s, then taken once; on every attempt: BackupFailed at +75 s', async () => {
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-business-1024' });
      let from = await lastRevision(sim, `addon-${addon.id}`);
      sim.driver.failNext('takeBackup', { times: 2, reason: 'host busy' });
      await requestBackup(addon);
      await sim.advance(5 * MINUTE);
      let events = await eventsAfter(sim, `addon-${addon.id}`, from);
      expect(typesOf(events)).toEqual(['BackupRequested', 'BackupStarted', 'BackupTaken']);
      expect(atOf(events[1])).toBe(atOf(events[0]));
      expect(atOf(events[2])).toBe(plus(atOf(events[0]), 15 * SECOND + 2 * MINUTE));

      from = await lastRevision(sim, `addon-${addon.id}`);
      sim.driver.failNext('takeBackup', { times: 5, reason: 'timed out' });
      const res = await requestBackup(addon);
      await sim.advance(5 * MINUTE);
      events = await eventsAfter(sim, `addon-${addon.id}`, from);
      expect(typesOf(events)).toEqual(['BackupRequested', 'BackupStarted', 'BackupFailed']);
      expect(dataOf(events[2])).toEqual({ backupId: res.body.backup.id, reason: 'timed out', at: plus(atOf(events[0]), 75 * SECOND) });
      await expectCleanLogAndJobs(sim);
    });
  });

  describe('periodic', () => {
    it('exactly one per day at the schedule hour (00:00 UTC by default), each taken 2 min later, with a day-derived id', async () => {
      sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
      const provisioned = (await sim.events(`addon-${addon.id}`))[0];
      await sim.advanceTo('2026-01-10T12:00:00.000Z');
      const events = await eventsAfter(sim, `addon-${addon.id}`, 1);
      const days = ['2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09', '2026-01-10'];
      expect(typesOf(events)).toEqual(days.flatMap(() => ['BackupRequested', 'BackupStarted', 'BackupTaken']));
      days.forEach((day, i) => {
        const [requested, started, taken] = events.slice(3 * i, 3 * i + 3);
        const backupId = derivedUuid('periodic-backup', addon.id, day);
        expect(dataOf(requested)).toMatchObject({ backupId, method: 'periodic', at: `${day}T00:00:00.000Z` });
        expect(dataOf(requested).name).toMatch(new RegExp(`^${day.replace(/-/g, '')}000000_shop-\\d{4}$`));
        // The scheduler's timer was set by the job that reacted to AddonRunning.
        expect(requested.metadata).toMatchObject({ actor: 'platform:provisioning', $correlationId: provisioned.metadata.$correlationId });
        expectCausedBy(started, 'backups', requested);
        expect(dataOf(taken)).toMatchObject({ backupId, at: `${day}T00:02:00.000Z` });
        expect(existingBackupFiles(sim, addon.id, backupId)).toHaveLength(6);
      });
      expect(await sim.runtime.find(`periodic-backup:${addon.id}`)).toMatchObject({ dueAt: new Date('2026-01-11T00:00:00.000Z') });
      await expectCleanLogAndJobs(sim);
    });

    it('"20 Europe/Paris": 19:00 UTC in winter, 18:00 UTC from the DST change on 29 March, one per local day, across a restart', async () => {
      sim = await new Simulation('2026-03-25T09:00:00.000Z').start();
      const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-starter-512' });
      const set = expectStatus(
        await sim.call('owner:alice', 'PUT', `/v1/apps/shop/addons/${addon.id}/backup-schedule`, { enabled: true, scheduled_at: '20 Europe/Paris' }),
        200,
      );
      expect(set.body.backup_schedule).toMatchObject({ enabled: true, hour_local: 20, hour_utc: 19, timezone: 'Europe/Paris' });

      await sim.advanceTo('2026-03-28T12:00:00.000Z');
      await sim.restart();
      await sim.advanceTo('2026-03-30T12:00:00.000Z');
      // Down over the evening of the 30th: the run is late, not lost, not doubled.
      await sim.advanceTo('2026-03-30T17:30:00.000Z');
      await sim.restart({ downUntil: '2026-03-30T18:45:00.000Z' });
      await sim.advanceTo('2026-04-02T12:00:00.000Z');

      const requested = await periodicRequests(addon);
      expect(requested.map(atOf)).toEqual([
        '2026-03-25T19:00:00.000Z',
        '2026-03-26T19:00:00.000Z',
        '2026-03-27T19:00:00.000Z',
        '2026-03-28T19:00:00.000Z',
        // Summer time from 29 March: 20:00 in Paris is 18:00 UTC.
        '2026-03-29T18:00:00.000Z',
        '2026-03-30T18:45:00.000Z',
        '2026-03-31T18:00:00.000Z',
        '2026-04-01T18:00:00.000Z',
      ]);
      expect(requested.map((e) => dataOf(e).backupId)).toEqual(
        ['03-25', '03-26', '03-27', '03-28', '03-29', '03-30', '03-31', '04-01'].map((d) => derivedUuid('periodic-backup', addon.id, `2026-${d}`)),
      );
      const all = await sim.events(`addon-${addon.id}`);
      expect(ofType(all, 'BackupTaken')).toHaveLength(8);
      const schedule = expectStatus(await sim.call('owner:alice', 'GET', `/v1/apps/shop/addons/${addon.id}`), 200).body.addon.backup_schedule;
      expect(schedule).toMatchObject({ hour_local: 20, hour_utc: 18 });
      await expectCleanLogAndJobs(sim);
    });

    it('"20 Europe/Paris" back to winter time on 25 October: 18:00 UTC, then 19:00 UTC', async () => {
      sim = await new Simulation('2026-10-22T09:00:00.000Z').start();
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-business-512' });
      expectStatus(
        await sim.call('owner:alice', 'PUT', `/v1/apps/shop/addons/${addon.id}/backup-schedule`, { enabled: true, scheduled_at: '20 Europe/Paris' }),
        200,
      );
      await sim.advanceTo('2026-10-28T12:00:00.000Z');
      expect((await periodicRequests(addon)).map(atOf)).toEqual([
        '2026-10-22T18:00:00.000Z',
        '2026-10-23T18:00:00.000Z',
        '2026-10-24T18:00:00.000Z',
        '2026-10-25T19:00:00.000Z',
        '2026-10-26T19:00:00.000Z',
        '2026-10-27T19:00:00.000Z',
      ]);
      await expectCleanLogAndJobs(sim);
    });

    it('after restarts (one of them down across the backup hour) periodic backups go on: one per day, none doubled, none lost', async () => {
      sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
      await sim.advanceTo('2026-01-07T12:00:00.000Z');
      await sim.restart();
      await sim.advanceTo('2026-01-08T00:00:00.000Z'); // the timer fired, the backup runs…
      await sim.advanceTo('2026-01-08T00:03:00.000Z'); // …and is done
      await sim.restart();
      await sim.advanceTo('2026-01-09T23:30:00.000Z');
      await sim.restart({ downUntil: '2026-01-10T03:00:00.000Z' });
      await sim.advanceTo('2026-01-12T12:00:00.000Z');
      await sim.restart();
      await sim.advanceTo('2026-01-13T12:00:00.000Z');

      const requested = await periodicRequests(addon);
      expect(requested.map(atOf)).toEqual([
        '2026-01-06T00:00:00.000Z',
        '2026-01-07T00:00:00.000Z',
        '2026-01-08T00:00:00.000Z',
        '2026-01-09T00:00:00.000Z',
        '2026-01-10T03:00:00.000Z', // late: the platform was down at 00:00
        '2026-01-11T00:00:00.000Z',
        '2026-01-12T00:00:00.000Z',
        '2026-01-13T00:00:00.000Z',
      ]);
      expect(Object.values(perDay(requested)).every((n) => n === 1)).toBe(true);
      const events = await sim.events(`addon-${addon.id}`);
      expect(ofType(events, 'BackupTaken')).toHaveLength(8);
      expect(ofType(events, 'BackupFailed')).toHaveLength(0);
      await expectCleanLogAndJobs(sim);
    });

    it('two processes on one store (one DATA_DIR): still one periodic backup per day, each requested, started and taken once', async () => {
      sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
      const peer = await sim.addProcess();
      // The second process serves writes too: a manual backup asked there.
      const token = await sim.token('owner', 'alice');
      const manual = await request(peer.getHttpServer())
        .post(`/v1/apps/shop/addons/${addon.id}/backups`)
        .set('Authorization', `Bearer ${token}`);
      expect(manual.status).toBe(202);
      const ran = [sim.app, peer].map((app) => jest.spyOn(app.get(CommandBus), 'execute'));
      await sim.advanceTo('2026-01-12T12:00:00.000Z');
      // Both took their share of the jobs.
      for (const spy of ran) expect(spy.mock.calls.filter(([c]) => c instanceof RunPlatformJobCommand).length).toBeGreaterThan(3);

      const events = await eventsAfter(sim, `addon-${addon.id}`, 1);
      const days = ['06', '07', '08', '09', '10', '11', '12'].map((d) => `2026-01-${d}`);
      expect(typesOf(events)).toEqual(
        [0, ...days].flatMap(() => ['BackupRequested', 'BackupStarted', 'BackupTaken']),
      );
      const requested = await periodicRequests(addon);
      expect(requested.map((e) => [dataOf(e).backupId, atOf(e)])).toEqual(
        days.map((day) => [derivedUuid('periodic-backup', addon.id, day), `${day}T00:00:00.000Z`]),
      );
      for (const type of ['BackupStarted', 'BackupTaken']) {
        const ids = ofType(events, type).map((e) => dataOf(e).backupId);
        expect(new Set(ids).size).toBe(days.length + 1);
      }
      await expectCleanLogAndJobs(sim);
    });

    it('a manual backup running at the schedule hour delays the periodic one (10 min), which still runs once that day', async () => {
      sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
      await sim.advanceTo('2026-01-05T23:59:00.000Z');
      await requestBackup(addon);
      await sim.advanceTo('2026-01-06T12:00:00.000Z');
      const events = await eventsAfter(sim, `addon-${addon.id}`, 1);
      expect(typesOf(events)).toEqual(['BackupRequested', 'BackupStarted', 'BackupTaken', 'BackupRequested', 'BackupStarted', 'BackupTaken']);
      expect(events.map((e) => `${dataOf(e).method ?? ''} ${atOf(e)}`.trim())).toEqual([
        'manual 2026-01-05T23:59:00.000Z',
        '2026-01-05T23:59:00.000Z',
        '2026-01-06T00:01:00.000Z',
        'periodic 2026-01-06T00:10:00.000Z',
        '2026-01-06T00:10:00.000Z',
        '2026-01-06T00:12:00.000Z',
      ]);
      await sim.advanceTo('2026-01-07T12:00:00.000Z');
      expect((await periodicRequests(addon)).map(atOf)).toEqual(['2026-01-06T00:10:00.000Z', '2026-01-07T00:00:00.000Z']);
      await expectCleanLogAndJobs(sim);
    });

    it('moving the schedule later on a day that already had its backup does not take a second one that day', async () => {
      sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
      await sim.advanceTo('2026-01-06T09:00:00.000Z');
      expectStatus(
        await sim.call('owner:alice', 'PUT', `/v1/apps/shop/addons/${addon.id}/backup-schedule`, { enabled: true, scheduled_at: '20:00 UTC' }),
        200,
      );
      await sim.advanceTo('2026-01-08T12:00:00.000Z');
      expect((await periodicRequests(addon)).map(atOf)).toEqual(['2026-01-06T00:00:00.000Z', '2026-01-07T20:00:00.000Z']);
      await expectCleanLogAndJobs(sim);
    });

    it('disabled: no periodic backup; enabled again: they resume', async () => {
      sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
      expectStatus(await sim.call('owner:alice', 'PUT', `/v1/apps/shop/addons/${addon.id}/backup-schedule`, { enabled: false }), 200);
      await sim.advanceTo('2026-01-08T12:00:00.000Z');
      expect(await periodicRequests(addon)).toEqual([]);
      expect(await sim.runtime.find(`periodic-backup:${addon.id}`)).toBeNull();
      expectStatus(await sim.call('owner:alice', 'PUT', `/v1/apps/shop/addons/${addon.id}/backup-schedule`, { enabled: true }), 200);
      await sim.advanceTo('2026-01-10T12:00:00.000Z');
      expect((await periodicRequests(addon)).map(atOf)).toEqual(['2026-01-09T00:00:00.000Z', '2026-01-10T00:00:00.000Z']);
      await expectCleanLogAndJobs(sim);
    });
  });

  describe('retention', () => {
    it('after each taken backup (in the same append) and daily at 00:05 UTC: BackupExpired, then the archive files deleted', async () => {
      // Monday 5 January 2026; periodic backups from Tuesday the 6th at 00:00 UTC.
      sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
      const idOf = (day: string) => derivedUuid('periodic-backup', addon.id, `2026-01-${day}`);

      await sim.advanceTo('2026-01-13T12:00:00.000Z');
      // 8 backups (6th to 13th): the 6th is the week of 4 January's (weekly), the 7th to 13th are the dailies.
      expect(ofType(await sim.events(`addon-${addon.id}`), 'BackupExpired')).toEqual([]);

      await sim.advanceTo('2026-01-14T12:00:00.000Z');
      let events = await sim.events(`addon-${addon.id}`);
      const taken14 = ofType(events, 'BackupTaken').find((e) => dataOf(e).backupId === idOf('14'))!;
      const expired7 = ofType(events, 'BackupExpired');
      expect(expired7.map((e) => dataOf(e))).toEqual([{ backupId: idOf('07'), reason: 'retention', at: '2026-01-14T00:02:00.000Z' }]);
      // Decided with the backup that pushed it out: the next event, in the same append.
      expect(expired7[0].revision).toBe(taken14.revision + 1n);
      expect(expired7[0].position).toBe(taken14.position + 1n);
      expect(expired7[0].metadata.$causationId).toBe(taken14.metadata.$causationId);
      expect(existingBackupFiles(sim, addon.id, idOf('07'))).toEqual([]);
      expect(existingBackupFiles(sim, addon.id, idOf('06'))).toHaveLength(6);

      // From now on no new backup: only the daily run ages them.
      expectStatus(await sim.call('owner:alice', 'PUT', `/v1/apps/shop/addons/${addon.id}/backup-schedule`, { enabled: false }), 200);
      const listed = await backupsOf(sim, addon);
      expect(listed.filter((b) => b.status === 'done').map((b) => `${b.created_at.slice(8, 10)} ${b.retention.join('+')} ${b.expires_at}`)).toEqual([
        '14 daily 2026-01-21T00:00:00.000Z',
        '13 daily 2026-01-20T00:00:00.000Z',
        '12 daily 2026-01-19T00:00:00.000Z',
        '11 daily+weekly 2026-02-08T00:00:00.000Z',
        '10 daily 2026-01-17T00:00:00.000Z',
        '09 daily 2026-01-16T00:00:00.000Z',
        '08 daily 2026-01-15T00:00:00.000Z',
        '06 weekly 2026-02-01T00:00:00.000Z',
      ]);

      await sim.advanceTo('2026-02-10T12:00:00.000Z');
      events = await sim.events(`addon-${addon.id}`);
      expect(ofType(events, 'BackupExpired')).toHaveLength(9);
      const whenExpired = Object.fromEntries(ofType(events, 'BackupExpired').map((e) => [dataOf(e).backupId, atOf(e)]));
      expect(
        ['06', '07', '08', '09', '10', '11', '12', '13', '14'].map((d) => `${d} ${whenExpired[idOf(d)] ?? 'kept'}`),
      ).toEqual([
        '06 2026-02-01T00:05:00.000Z',
        '07 2026-01-14T00:02:00.000Z',
        '08 2026-01-15T00:05:00.000Z',
        '09 2026-01-16T00:05:00.000Z',
        '10 2026-01-17T00:05:00.000Z',
        '11 2026-02-08T00:05:00.000Z',
        '12 2026-01-19T00:05:00.000Z',
        '13 2026-01-20T00:05:00.000Z',
        '14 2026-01-21T00:05:00.000Z',
      ]);
      // The daily run's expiries are the platform's, from the timer.
      for (const e of ofType(events, 'BackupExpired').slice(1)) expect(String(e.metadata.actor)).toMatch(/^platform:/);
      for (const d of ['06', '07', '08', '09', '10', '11', '12', '13', '14']) {
        expect({ day: d, files: existingBackupFiles(sim, addon.id, idOf(d)) }).toEqual({ day: d, files: [] });
      }
      expect((await backupsOf(sim, addon)).every((b) => b.status === 'expired')).toBe(true);
      // Nothing left to age: the daily retention timer is gone too.
      expect(await sim.runtime.counts()).toEqual({ pending: 0, dead: 0 });
      await expectCleanLogAndJobs(sim);
    });

    it('manual backups beyond the newest 10 (Starter) expire as each new one is taken', async () => {
      sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
      expectStatus(await sim.call('owner:alice', 'PUT', `/v1/apps/shop/addons/${addon.id}/backup-schedule`, { enabled: false }), 200);
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        ids.push((await requestBackup(addon)).body.backup.id);
        await sim.advance(HOUR);
      }
      const events = await sim.events(`addon-${addon.id}`);
      const expired = ofType(events, 'BackupExpired');
      expect(expired.map((e) => dataOf(e).backupId)).toEqual([ids[0], ids[1]]);
      // Each when the 11th and 12th were taken.
      const takenAt = Object.fromEntries(ofType(events, 'BackupTaken').map((e) => [dataOf(e).backupId, atOf(e)]));
      expect(expired.map(atOf)).toEqual([takenAt[ids[10]], takenAt[ids[11]]]);
      expect(ids.map((id) => existingBackupFiles(sim, addon.id, id).length)).toEqual([0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6]);
      await expectCleanLogAndJobs(sim);
    });

    it('a failed backup stays listed 7 days, then expires at the daily run (periodic backups off)', async () => {
      sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
      const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
      expectStatus(await sim.call('owner:alice', 'PUT', `/v1/apps/shop/addons/${addon.id}/backup-schedule`, { enabled: false }), 200);
      sim.driver.failNext('takeBackup', { retryable: false, reason: 'the host refused the operation' });
      const backupId = (await requestBackup(addon)).body.backup.id;
      await sim.advanceTo(plus('2026-01-12T09:00:30.000Z', -SECOND));
      expect(ofType(await sim.events(`addon-${addon.id}`), 'BackupExpired')).toEqual([]);
      await sim.advanceTo('2026-01-13T12:00:00.000Z');
      const expired = ofType(await sim.events(`addon-${addon.id}`), 'BackupExpired');
      expect(expired.map((e) => dataOf(e))).toEqual([{ backupId, reason: 'retention', at: '2026-01-13T00:05:00.000Z' }]);
      expect(await sim.runtime.counts()).toEqual({ pending: 0, dead: 0 });
      await sim.advance(3 * DAY);
      await expectCleanLogAndJobs(sim);
    });
  });
});
