import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { SagaRunner } from '../../src/platform/runtime/saga-runner';
import { parsePrometheus, valueOf } from '../support/prometheus';
import { expectStatus, HOUR, MINUTE, runningAddon } from './flow-kit';
import { Simulation } from './simulation';

/**
 * What operators see of the platform runtime in GET /health (and /metrics): its pending,
 * running and dead jobs, how far the sagas are behind the log, and a 503 when the sagas
 * are parked on an event they cannot handle.
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
    // The add-on's two timers: its periodic backup and the daily retention; the sagas have seen every event.
    const [last] = await sim.store.readAll({ direction: 'backwards', maxCount: 1, filter: { streamPrefixes: ['addon-', 'app-'] } });
    expect(res.body.info.platform).toEqual({
      status: 'up',
      sagas_parked_at: null,
      pending_jobs: 2,
      running_jobs: 0,
      dead_jobs: 0,
      sagas_checkpoint: last.position.toString(),
      sagas_lag: '0',
    });

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

  it('shows how far the sagas are behind the log, in /health and /metrics; lagging alone keeps readiness at 200', async () => {
    sim = await new Simulation().start();
    await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    const runner = sim.app.get(SagaRunner);
    const metrics = async () => {
      const res = await sim.call('platform:prometheus', 'GET', '/metrics');
      expectStatus(res, 200);
      return parsePrometheus(res.text);
    };
    expect(await runner.caughtUp()).toBe(true);
    expect(valueOf(await metrics(), 'db_addons_saga_lag_positions')).toBe(0);

    // Two writes the sagas have not seen yet (nothing runs them until the simulation settles).
    const checkpoint = BigInt((await health()).body.info.platform.sagas_checkpoint);
    expectStatus(await sim.call('owner:alice', 'POST', '/v1/apps', { name: 'blog' }), 201);
    expectStatus(await sim.call('owner:alice', 'POST', '/v1/apps', { name: 'docs' }), 201);
    const head = (await sim.store.headPosition())!;
    let res = await health();
    expect(res.status).toBe(200);
    expect(res.body.info.platform).toMatchObject({ status: 'up', sagas_checkpoint: checkpoint.toString(), sagas_lag: (head - checkpoint).toString() });
    expect(head - checkpoint).toBeGreaterThanOrEqual(2n);
    expect(await runner.caughtUp()).toBe(false);
    const behind = await metrics();
    expect(valueOf(behind, 'db_addons_saga_lag_positions')).toBe(Number(head - checkpoint));
    expect(valueOf(behind, 'db_addons_saga_backlog', { state: 'pending' })).toBe(res.body.info.platform.pending_jobs);

    await sim.settle();
    res = await health();
    expect(res.body.info.platform).toMatchObject({ sagas_checkpoint: head.toString(), sagas_lag: '0' });
    expect(await runner.caughtUp()).toBe(true);
    expect(valueOf(await metrics(), 'db_addons_saga_lag_positions')).toBe(0);
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
    // Parked right before the poison event: behind by it and everything after.
    expect(BigInt(res.body.error.platform.sagas_lag)).toBeGreaterThanOrEqual(1n);
    expect(BigInt(res.body.error.platform.sagas_checkpoint)).toBe(position - 1n);
    // The backup asked after the poison event was not taken: the runner stopped there rather than skip it.
    expect((await sim.types(`addon-${addon.id}`)).slice(-2)).toEqual(['MaintenanceAnnounced', 'BackupRequested']);
  });
});
