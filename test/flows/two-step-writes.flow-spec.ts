import { randomUUID } from 'node:crypto';
import { ADDON } from '../../src/addons/addon.aggregate';
import { APP } from '../../src/apps/app.aggregate';
import { CommandExecutor } from '../../src/shared/cqrs/command-executor';
import { createApp, expectCleanLogAndJobs, provision, runningAddon, SECOND } from './flow-kit';
import { Simulation } from './simulation';

/**
 * Adding and removing an add-on each write two streams, the app's then the add-on's. A
 * request that dies between the two (the process killed) leaves the first write alone;
 * the platform settles it after a grace period, as the request would have: an attachment
 * whose add-on never began is abandoned and released, a detachment whose removal never
 * followed is completed. Found by `npm run chaos`.
 */
/** RUNTIME_SETTLE_AFTER_MS's default. */
const TWO_STEP_GRACE_MS = 30_000;

describe('flow: a request that died between its two writes', () => {
  let sim: Simulation;
  afterEach(() => sim.dispose());

  const context = () => ({ actor: 'owner:alice', correlationId: `req-${randomUUID()}`, causationId: randomUUID() });
  const executor = () => sim.app.get(CommandExecutor);

  it('provisioning: the attachment stays for the grace period, then the add-on is abandoned and the app lets it go; the type is free again', async () => {
    sim = await new Simulation().start();
    await createApp(sim, 'alice', 'shop');
    const addonId = randomUUID();
    // The request's first write; then it dies.
    await executor().execute(APP, 'shop', { type: 'AttachAddon', data: { addonId, providerId: 'redis', at: sim.now() } }, context());
    await sim.advance(TWO_STEP_GRACE_MS - SECOND);
    expect(await sim.types(`addon-${addonId}`)).toEqual([]);
    expect((await sim.types('app-shop')).at(-1)).toBe('AddonAttached');
    const blocked = await sim.call('owner:alice', 'POST', '/v1/apps/shop/addons', { addon_provider_id: 'redis', plan_id: 'redis-starter-1024' });
    expect(blocked.body.error.code).toBe('ADDON.ALREADY_ATTACHED');

    await sim.advance(2 * SECOND);
    expect(await sim.types(`addon-${addonId}`)).toEqual(['AddonProvisioningAbandoned']);
    expect((await sim.types('app-shop')).at(-1)).toBe('AddonDetached');
    const app = await sim.call('owner:alice', 'GET', '/v1/apps/shop');
    expect(app.body.app.addon_ids).toEqual([]);

    // Had the request been slow rather than dead, its add-on could not begin now.
    const late = executor().execute(
      ADDON,
      addonId,
      {
        type: 'ProvisionAddon',
        data: {
          addonId,
          appName: 'shop',
          resourceId: 'shop-1234',
          providerId: 'redis',
          planId: 'redis-starter-1024',
          connection: { scheme: 'redis', user: 'u', host: 'h', port: 1, password: {}, dataKey: {} },
          maintenanceWindow: { weekdayUtc: 1, startingHourUtc: 2 },
          at: sim.now(),
        },
      },
      context(),
    );
    await expect(late).rejects.toMatchObject({ code: 'ADDON.PROVISIONING_ABANDONED' });

    // The app takes a redis add-on again, which provisions as usual.
    const again = await provision(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    await sim.advance(TWO_STEP_GRACE_MS + SECOND);
    expect(await sim.types(`addon-${again.id}`)).toEqual(['AddonProvisioned', 'AddonRunning']);
    await expectCleanLogAndJobs(sim);
  });

  it('removal: the detachment stays for the grace period, then the add-on records its removal and the instance is destroyed', async () => {
    sim = await new Simulation().start();
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    await executor().execute(APP, 'shop', { type: 'DetachAddon', data: { addonId: addon.id, at: sim.now() } }, context());
    await sim.advance(TWO_STEP_GRACE_MS - SECOND);
    expect((await sim.types(`addon-${addon.id}`)).at(-1)).toBe('AddonRunning');

    await sim.advance(2 * SECOND);
    expect((await sim.types(`addon-${addon.id}`)).slice(-1)).toEqual(['AddonDeprovisioned']);
    await sim.advance(30 * SECOND);
    expect((await sim.driver.instance(addon.id))?.status).toBe('deprovisioned');
    await expectCleanLogAndJobs(sim);
  });

  it('a request that completed both writes: the settling finds nothing to do and appends nothing', async () => {
    sim = await new Simulation().start();
    const addon = await runningAddon(sim, { app: 'shop', provider: 'redis', plan: 'redis-starter-1024' });
    const before = { app: await sim.types('app-shop'), addon: await sim.types(`addon-${addon.id}`) };
    await sim.advance(TWO_STEP_GRACE_MS * 2);
    expect({ app: await sim.types('app-shop'), addon: await sim.types(`addon-${addon.id}`) }).toEqual(before);
    await expectCleanLogAndJobs(sim);
  });
});
