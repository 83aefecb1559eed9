import { randomUUID } from 'node:crypto';
import { AppFixture } from './app-fixture';
import { Scenario } from './scenario';

/**
 * A poison event parks a projection where operators can see it (/health, the admin list)
 * and decide: retry it after a fix, or skip it. The other projections go on meanwhile.
 */
describe('Parked projections: visible, then retried or skipped', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  let admin: string;
  let alice: string;
  let poisonPosition: string;

  beforeAll(async () => {
    await fixture.start();
    admin = await s.token('admin', 'ops');
    alice = await s.token('owner', 'alice');
    await s.createApp(alice, 'shop');
    // Written by something other than our deciders: a plan the catalogue does not know.
    const id = randomUUID();
    const meta = { $correlationId: randomUUID(), $causationId: randomUUID(), actor: 'admin:import', occurredAt: new Date().toISOString(), schemaVersion: 1 };
    const { position } = await s.store.append(
      `addon-${id}`,
      [{ id: randomUUID(), type: 'AddonProvisioned', data: { addonId: id, appName: 'shop', planId: 'imported-plan', at: meta.occurredAt }, metadata: meta }],
      { expectedRevision: 'no_stream' },
    );
    poisonPosition = position.toString();
  });
  afterAll(() => fixture.dispose());

  const overview = async () => (await s.call(admin, 'GET', '/v1/admin/projections')).body;
  const backups = (body: { projections: Array<{ name: string }> }) => body.projections.find((p) => p.name === 'backups') as Record<string, unknown>;

  it('parks the backups projection at that event, shows it in /health (503) and the admin list; the others go on', async () => {
    let body = await overview();
    for (let i = 0; i < 100 && !backups(body).parked; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      body = await overview();
    }
    expect(backups(body).parked).toEqual({ position: poisonPosition, error: expect.stringContaining('imported-plan') });
    const health = await s.call(null, 'GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body.error.readModels.projections.find((p: { name: string }) => p.name === 'backups').parked.position).toBe(poisonPosition);
    // The audit log still follows the log.
    const audit = await s.call(alice, 'GET', '/v1/apps/shop/events');
    expect(audit.status).toBe(200);
  });

  it('retry fails again while nothing is fixed; skip passes over it, and /health is 200 again', async () => {
    expect((await s.call(alice, 'POST', '/v1/admin/projections/backups/skip')).status).toBe(403);
    const retried = await s.call(admin, 'POST', '/v1/admin/projections/backups/retry');
    expect(retried.status).toBe(200);
    let body = await overview();
    for (let i = 0; i < 100 && !backups(body).parked; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      body = await overview();
    }
    expect(backups(body).parked).toMatchObject({ position: poisonPosition });

    const skipped = await s.call(admin, 'POST', '/v1/admin/projections/backups/skip');
    expect(skipped.status).toBe(200);
    expect(backups(skipped.body).parked).toBeNull();
    expect(BigInt(backups(skipped.body).position as string)).toBeGreaterThanOrEqual(BigInt(poisonPosition));
    // The add-ons read model refused that event too (it has no type): skipped as well, /health is fine again.
    for (const p of (await overview()).projections as Array<{ name: string; parked: unknown }>) {
      if (p.parked) expect((await s.call(admin, 'POST', `/v1/admin/projections/${p.name}/skip`)).status).toBe(200);
    }
    const health = await s.call(null, 'GET', '/health');
    expect(health.status).toBe(200);
    const again = await s.call(admin, 'POST', '/v1/admin/projections/backups/skip');
    expect([again.status, again.body.error.code]).toEqual([409, 'PROJECTION.NOT_PARKED']);
    const unknown = await s.call(admin, 'POST', '/v1/admin/projections/nope/retry');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'PROJECTION.NOT_FOUND']);
  });
});
