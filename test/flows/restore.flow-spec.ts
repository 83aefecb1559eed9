import { rmSync } from 'node:fs';
import {
  atOf,
  backupFiles,
  dataOf,
  eventsAfter,
  expectCausedBy,
  expectFromRequest,
  expectCleanLogAndJobs,
  expectStatus,
  getAddon,
  lastRevision,
  MINUTE,
  plus,
  Provisioned,
  requestIdOf,
  runningAddon,
  SECOND,
  typesOf,
} from './flow-kit';
import { Simulation } from './simulation';

/**
 * Restore: RestoreStarted (the owner) → the data plane restores (3 min) → RestoreCompleted;
 * from a done backup, or on PostgreSQL to a point in time inside the recovery window. A
 * final failure (or an archive that is gone) is RestoreFailed with the reason.
 */
describe('flow: restore', () => {
  let sim: Simulation;

  beforeEach(async () => {
    sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
  });

  afterEach(async () => {
    await sim.dispose();
  });

  const backup = async (addon: Provisioned): Promise<string> => {
    const id = expectStatus(await sim.call('owner:alice', 'POST', `/v1/apps/${addon.app}/addons/${addon.id}/backups`), 202).body.backup.id;
    await sim.advance(2 * MINUTE);
    return id;
  };

  const restore = (addon: Provisioned, body: object) => sim.call('owner:alice', 'POST', `/v1/apps/${addon.app}/addons/${addon.id}/restore`, body);

  it('from a done backup: RestoreStarted → RestoreCompleted 3 min later', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'mysql', plan: 'mysql-starter-512' });
    const backupId = await backup(addon);
    const from = await lastRevision(sim, `addon-${addon.id}`);
    const res = expectStatus(await restore(addon, { backup_id: backupId }), 202);
    expect(res.body.addon.status).toBe('restoring');
    const restoreId = res.body.restore.id;
    await sim.advance(3 * MINUTE - 1);
    expect((await getAddon(sim, addon)).status).toBe('restoring');
    await sim.advance(1);

    const events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['RestoreStarted', 'RestoreCompleted']);
    expectFromRequest(events[0], 'owner:alice', requestIdOf(res));
    expect(dataOf(events[0])).toMatchObject({ restoreId, source: { backupId } });
    expectCausedBy(events[1], 'restore', events[0]);
    expect(dataOf(events[1])).toEqual({ restoreId, at: plus(atOf(events[0]), 3 * MINUTE) });
    expect((await getAddon(sim, addon)).status).toBe('running');
    expect((await sim.driver.instance(addon.id))?.lastRestore).toEqual({ source: `backup:${backupId}`, at: atOf(events[1]) });
    await expectCleanLogAndJobs(sim);
  });

  it('PostgreSQL point in time inside the recovery window: RestoreStarted → RestoreCompleted; outside it: refused, nothing written', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-business-512' });
    // No backup yet: no window.
    let refused = await restore(addon, { restore_time: '2026-01-05T09:00:10Z' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('RESTORE.OUTSIDE_RECOVERY_WINDOW');

    await sim.advanceTo('2026-01-07T12:00:00.000Z'); // periodic backups on the 6th and 7th at 00:00
    const from = await lastRevision(sim, `addon-${addon.id}`);
    refused = await restore(addon, { restore_time: '2026-01-05T23:59:59Z' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('RESTORE.OUTSIDE_RECOVERY_WINDOW');
    refused = await restore(addon, { restore_time: '2026-01-07T12:00:01Z' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('RESTORE.IN_THE_FUTURE');
    expect(await lastRevision(sim, `addon-${addon.id}`)).toBe(from);

    const res = expectStatus(await restore(addon, { restore_time: '2026-01-06T15:30:00Z' }), 202);
    await sim.advance(5 * MINUTE);
    const events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['RestoreStarted', 'RestoreCompleted']);
    expectFromRequest(events[0], 'owner:alice', requestIdOf(res));
    expect(dataOf(events[0])).toMatchObject({ restoreId: res.body.restore.id, source: { pointInTime: '2026-01-06T15:30:00Z' } });
    expectCausedBy(events[1], 'restore', events[0]);
    expect((await sim.driver.instance(addon.id))?.lastRestore?.source).toBe('pitr:2026-01-06T15:30:00Z');
    await expectCleanLogAndJobs(sim);
  });

  it('point in time is PostgreSQL only (422 on Redis)', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    await backup(addon);
    const refused = await restore(addon, { restore_time: '2026-01-05T09:01:00Z' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('RESTORE.POINT_IN_TIME_NOT_SUPPORTED');
    await expectCleanLogAndJobs(sim);
  });

  it('a final driver failure: RestoreStarted → RestoreFailed with the reason; the add-on is running again', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-starter-512' });
    const backupId = await backup(addon);
    const from = await lastRevision(sim, `addon-${addon.id}`);
    sim.driver.failNext('restore', { retryable: false, reason: 'the host refused the operation' });
    const res = expectStatus(await restore(addon, { backup_id: backupId }), 202);
    await sim.advance(5 * MINUTE);
    const events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['RestoreStarted', 'RestoreFailed']);
    expectCausedBy(events[1], 'restore', events[0]);
    expect(dataOf(events[1])).toEqual({ restoreId: res.body.restore.id, reason: 'the host refused the operation', at: atOf(events[0]) });
    expect((await getAddon(sim, addon)).status).toBe('running');
    await expectCleanLogAndJobs(sim);
  });

  it('retryable failures on every attempt: RestoreFailed at the fifth attempt (+75 s)', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-starter-512' });
    const backupId = await backup(addon);
    const from = await lastRevision(sim, `addon-${addon.id}`);
    sim.driver.failNext('restore', { times: 5, reason: 'host busy' });
    expectStatus(await restore(addon, { backup_id: backupId }), 202);
    await sim.advance(5 * MINUTE);
    const events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['RestoreStarted', 'RestoreFailed']);
    expect(dataOf(events[1])).toMatchObject({ reason: 'host busy', at: plus(atOf(events[0]), 75 * SECOND) });
    await expectCleanLogAndJobs(sim);
  });

  it('the archive gone from every replica: RestoreFailed says so', async () => {
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-starter-512' });
    const backupId = await backup(addon);
    for (const file of backupFiles(sim, addon.id, backupId).filter((f) => f.endsWith('.dump.gz'))) rmSync(file);
    const from = await lastRevision(sim, `addon-${addon.id}`);
    expectStatus(await restore(addon, { backup_id: backupId }), 202);
    await sim.advance(5 * MINUTE);
    const events = await eventsAfter(sim, `addon-${addon.id}`, from);
    expect(typesOf(events)).toEqual(['RestoreStarted', 'RestoreFailed']);
    expect(dataOf(events[1]).reason).toMatch(new RegExp(`backup ${backupId}`));
    await expectCleanLogAndJobs(sim);
  });
});
