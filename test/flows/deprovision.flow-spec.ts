import { derivedUuid } from '../../src/shared/cqrs/event-ids';
import {
  atOf,
  backupsOf,
  dataOf,
  eventsAfter,
  existingBackupFiles,
  expectFromRequest,
  expectCleanLogAndJobs,
  expectStatus,
  lastRevision,
  ofType,
  Provisioned,
  requestIdOf,
  runningAddon,
  SECOND,
  typesOf,
  variables,
} from './flow-kit';
import { Simulation } from './simulation';

/**
 * Removal: the app loses the add-on's variables and the attachment, the add-on records
 * AddonDeprovisioned, the data plane destroys the instance. Its backups stay and age by
 * the after-removal rules: periodic ones by the retention buckets, manual ones kept 1 month
 * (Starter) or 12 months (Business) after the removal; then their archives are deleted.
 */
describe('flow: deprovision', () => {
  let sim: Simulation;

  afterEach(async () => {
    await sim.dispose();
  });

  const remove = async (addon: Provisioned) => {
    const res = expectStatus(await sim.call('owner:alice', 'DELETE', `/v1/apps/${addon.app}/addons/${addon.id}`), 200);
    expect(res.body.addon.status).toBe('deprovisioned');
    return res;
  };

  it('Starter: variables unset and detached, AddonDeprovisioned, instance destroyed; no more backups; all backups age out, manual ones 1 month after removal', async () => {
    sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    const manual: string[] = [];
    for (const at of ['2026-01-06T12:00:00.000Z', '2026-01-08T12:00:00.000Z']) {
      await sim.advanceTo(at);
      manual.push(expectStatus(await sim.call('owner:alice', 'POST', `/v1/apps/shop/addons/${addon.id}/backups`), 202).body.backup.id);
    }
    // Removed on Saturday 10 January at 00:05 UTC, after that day's backup and retention run.
    await sim.advanceTo('2026-01-10T00:05:00.000Z');
    const periodic = ['06', '07', '08', '09', '10'].map((d) => derivedUuid('periodic-backup', addon.id, `2026-01-${d}`));
    expect(ofType(await sim.events(`addon-${addon.id}`), 'BackupTaken').map((e) => dataOf(e).backupId).sort()).toEqual(
      [...periodic, ...manual].sort(),
    );
    const addonFrom = await lastRevision(sim, `addon-${addon.id}`);
    const appFrom = await lastRevision(sim, 'app-shop');

    const res = await remove(addon);
    const requestId = requestIdOf(res);
    const app = await eventsAfter(sim, 'app-shop', appFrom);
    expect(typesOf(app)).toEqual(['AppVariablesUnset', 'AddonDetached']);
    expect(dataOf(app[0])).toEqual({ names: ['SCALINGO_REDIS_URL', 'REDIS_URL'], at: '2026-01-10T00:05:00.000Z' });
    expect(dataOf(app[1])).toEqual({ addonId: addon.id, at: '2026-01-10T00:05:00.000Z' });
    app.forEach((e) => expectFromRequest(e, 'owner:alice', requestId));
    const removal = await eventsAfter(sim, `addon-${addon.id}`, addonFrom);
    expect(typesOf(removal)).toEqual(['AddonDeprovisioned']);
    expectFromRequest(removal[0], 'owner:alice', requestId);
    expect(dataOf(removal[0])).toEqual({ manualBackupsKeptUntil: '2026-02-10T00:05:00.000Z', at: '2026-01-10T00:05:00.000Z' });
    expect(await variables(sim, 'shop')).toEqual({});
    expect((await sim.call('owner:alice', 'GET', `/v1/apps/shop/addons/${addon.id}`)).status).toBe(404);

    await sim.advance(10 * SECOND);
    expect((await sim.driver.instance(addon.id))?.status).toBe('deprovisioned');
    expect(await sim.runtime.find(`periodic-backup:${addon.id}`)).toBeNull();

    // Backups are still listed, with when they go.
    const listed = await backupsOf(sim, addon);
    expect(listed.filter((b) => b.method === 'manual').map((b) => [b.status, b.retention, b.expires_at])).toEqual([
      ['done', ['manual'], '2026-02-10T00:05:00.000Z'],
      ['done', ['manual'], '2026-02-10T00:05:00.000Z'],
    ]);

    // The manual ones are still there the instant before; gone at the daily run that reaches the date.
    await sim.advanceTo('2026-02-10T00:04:59.999Z');
    for (const id of manual) expect(existingBackupFiles(sim, addon.id, id)).toHaveLength(6);
    await sim.advanceTo('2026-03-01T12:00:00.000Z');

    const after = await eventsAfter(sim, `addon-${addon.id}`, addonFrom);
    // Nothing but expiries after the removal: no periodic backup any more.
    expect([...new Set(typesOf(after))]).toEqual(['AddonDeprovisioned', 'BackupExpired']);
    const expiredAt = Object.fromEntries(ofType(after, 'BackupExpired').map((e) => [dataOf(e).backupId, `${atOf(e)} ${dataOf(e).reason}`]));
    expect([...periodic, ...manual].map((id) => expiredAt[id])).toEqual([
      '2026-02-01T00:05:00.000Z retention', // Tuesday 6th: the weekly of the week of 4 January, kept 4 weeks
      '2026-01-14T00:05:00.000Z retention', // dailies: 7 days
      '2026-01-15T00:05:00.000Z retention',
      '2026-01-16T00:05:00.000Z retention',
      '2026-01-17T00:05:00.000Z retention',
      '2026-02-10T00:05:00.000Z after-removal', // exactly one month after the removal
      '2026-02-10T00:05:00.000Z after-removal',
    ]);
    for (const id of [...periodic, ...manual]) expect({ id, files: existingBackupFiles(sim, addon.id, id) }).toEqual({ id, files: [] });
    expect((await backupsOf(sim, addon)).map((b) => b.status)).toEqual(Array(7).fill('expired'));
    // Nothing left to age: no timer left.
    expect(await sim.runtime.counts()).toEqual({ pending: 0, dead: 0 });
    await expectCleanLogAndJobs(sim);
  });

  it('Business: manual backups are kept 12 months after the removal', async () => {
    sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
    const addon = await runningAddon(sim, { app: 'shop', provider: 'postgresql', plan: 'postgresql-business-512' });
    const backupId = expectStatus(await sim.call('owner:alice', 'POST', `/v1/apps/shop/addons/${addon.id}/backups`), 202).body.backup.id;
    await sim.advanceTo('2026-01-05T12:00:00.000Z');
    await remove(addon);
    const [removal] = ofType(await sim.events(`addon-${addon.id}`), 'AddonDeprovisioned');
    expect(dataOf(removal)).toEqual({ manualBackupsKeptUntil: '2027-01-05T12:00:00.000Z', at: '2026-01-05T12:00:00.000Z' });
    await sim.advanceTo('2026-07-01T00:00:00.000Z');
    expect((await backupsOf(sim, addon)).map((b) => [b.id, b.status, b.expires_at])).toEqual([
      [backupId, 'done', '2027-01-05T12:00:00.000Z'],
    ]);
    expect(existingBackupFiles(sim, addon.id, backupId)).toHaveLength(6);
    expect(ofType(await sim.events(`addon-${addon.id}`), 'BackupRequested')).toHaveLength(1);
    await expectCleanLogAndJobs(sim);
  });

  // The removal's deprovision finds no instance yet; the provision job destroys what it then creates.
  it('removed while provisioning: the instance the data plane was creating ends up destroyed', async () => {
    sim = await new Simulation('2026-01-05T09:00:00.000Z').start();
    expectStatus(await sim.call('owner:alice', 'POST', '/v1/apps', { name: 'shop' }), 201);
    const res = expectStatus(
      await sim.call('owner:alice', 'POST', '/v1/apps/shop/addons', { addon_provider_id: 'redis', plan_id: 'redis-starter-1024' }),
      201,
    );
    const id = res.body.addon.id;
    await sim.advance(10 * SECOND);
    expectStatus(await sim.call('owner:alice', 'DELETE', `/v1/apps/shop/addons/${id}`), 200);
    await sim.advance(5 * 60 * SECOND);
    expect(await sim.types(`addon-${id}`)).toEqual(['AddonProvisioned', 'AddonDeprovisioned']);
    expect(await variables(sim, 'shop')).toEqual({});
    const instance = await sim.driver.instance(id);
    expect(['deprovisioned', 'never created']).toContain(instance?.status ?? 'never created');
    await expectCleanLogAndJobs(sim);
  });
});
