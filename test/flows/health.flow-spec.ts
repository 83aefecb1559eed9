import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expectStatus, HOUR, MINUTE, runningAddon } from './flow-kit';
import { Simulation } from './simulation';

/**
 * What operators see of the platform runtime in GET /health: its pending, running and
 * dead jobs, and a 503 when the sagas are parked on an event they cannot handle.
 */
describe('flow: the platform runtime in /health', () => {
  let sim: Simulation;

  afterEach(async () => {
    await sim.dispose();
  });

  const health = () => request(sim.app.getHttpServer()).get('/health');

  it('200 with the jobs waiting; a job that keeps failing is parked as dead and counted, and the rest goes on', async () => {
    sim = await new Simulation().start({ RUNTIME_MAX_ATTEMPTS: '2' });
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    let res = await health();
    expect(res.status).toBe(200);
    // The add-on's two timers: its periodic backup and the daily retention.
    expect(res.body.info.platform).toEqual({ status: 'up', sagas_parked_at: null, pending_jobs: 2, running_jobs: 0, dead_jobs: 0 });

    sim.driver.failNext('deprovision', { times: 2, reason: 'lost contact with the host' });
    expectStatus(await sim.call('owner:alice', 'DELETE', `/v1/apps/shop/addons/${addon.id}`), 200);
    await sim.advance(HOUR);
    res = await health();
    expect(res.status).toBe(200);
    expect(res.body.info.platform).toMatchObject({ status: 'up', dead_jobs: 1 });
    const [dead] = await sim.runtime.dead();
    expect(dead).toMatchObject({ attempts: 2, job: { kind: 'deprovision', addonId: addon.id } });
    expect(dead.lastError).toContain('lost contact with the host');

    // Other flows are not held up by it.
    const other = await runningAddon(sim, { app: 'blog', provider: 'redis', plan: 'redis-starter-1024' });
    expect((await sim.types(`addon-${other.id}`)).slice(0, 2)).toEqual(['AddonProvisioned', 'AddonRunning']);
  });

  it('503 when the sagas are parked on an event they cannot handle, naming its position; nothing after it is acted on', async () => {
    sim = await new Simulation().start();
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    // An event written by something else than our deciders, without the window its saga needs.
    const context = { $correlationId: randomUUID(), $causationId: randomUUID(), actor: 'admin:test', occurredAt: sim.now(), schemaVersion: 1 };
    const { position } = await sim.store.append(
      `addon-${addon.id}`,
      [{ id: randomUUID(), type: 'MaintenanceAnnounced', data: { maintenanceId: 'm-1' }, metadata: context }],
      { expectedRevision: 'stream_exists' },
    );
    expectStatus(await sim.call('owner:alice', 'POST', `/v1/apps/shop/addons/${addon.id}/backups`), 202);
    await sim.advance(10 * MINUTE);

    const res = await health();
    expect(res.status).toBe(503);
    expect(res.body.error.platform).toMatchObject({ status: 'down', sagas_parked_at: position.toString() });
    // The backup asked after the poison event was not taken: the runner stopped there rather than skip it.
    expect((await sim.types(`addon-${addon.id}`)).slice(-2)).toEqual(['MaintenanceAnnounced', 'BackupRequested']);
  });
});
