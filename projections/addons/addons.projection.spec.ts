import { randomUUID } from 'node:crypto';
import { addonView } from '../../src/addons/api/addon.view';
import type { AddonEvent } from '../../src/addons/domain/addon.events';
import { evolveAddon, initialAddonState, Addon } from '../../src/addons/domain/addon.state';
import { backupDone, planChangedTo, provisioned, removed, running, LEADER } from '../../src/addons/domain/testing/addon-fixtures';
import { givenEvents, onAddon, ProjectionFixture } from '../testing/projection-spec';
import { findAddon, listAddons } from './addon-list.query';
import { addonsProjection } from './addons.projection';

const AT = new Date('2025-03-05T12:00:00.000Z');

describe('add-ons projection, read through listAddons / findAddon', () => {
  let fixture: ProjectionFixture | undefined;
  afterEach(async () => {
    await fixture?.dispose();
    fixture = undefined;
  });

  const A = randomUUID();
  const B = randomUUID();
  const C = randomUUID();

  /** What a replay of the command side gives: the reference every view must equal. */
  const replayed = (events: AddonEvent[]) => addonView(events.reduce(evolveAddon, initialAddonState()) as Addon, AT);

  it("an app's add-ons in the order they were added, each exactly as a replay of its stream shows it", async () => {
    const a = [...running('postgresql-starter-512', { addonId: A }), ...planChangedTo('postgresql-starter-512', 'postgresql-business-512', '2025-02-01T10:00:00.000Z')];
    // Added after A.
    const b: AddonEvent[] = [
      provisioned('redis-starter-1024', { addonId: B, at: '2025-01-15T00:00:00.000Z' }),
      { type: 'AddonRunning', data: { at: '2025-01-15T00:01:00.000Z' } },
      { type: 'FeatureEnabled', data: { feature: 'force-tls', at: '2025-02-02T10:00:00.000Z' } },
      { type: 'NodeFailureDetected', data: { node: LEADER.name, role: 'leader', at: '2025-02-03T10:00:00.000Z' } },
    ];
    fixture = await givenEvents(addonsProjection, [...onAddon(A, a), ...onAddon(B, b)]);
    const listed = await listAddons(fixture.db.manager, fixture.table('addons'), 'my-app', AT);
    expect(listed).toEqual([replayed(a), replayed(b)]);
    expect(listed.map((x) => [x.id, x.plan.id, x.status])).toEqual([
      [A, 'postgresql-business-512', 'running'],
      [B, 'redis-starter-1024', 'running'],
    ]);
  });

  it('a removed add-on is no longer listed nor found; another app does not find it', async () => {
    fixture = await givenEvents(addonsProjection, [
      ...onAddon(A, running('postgresql-starter-512', { addonId: A })),
      ...onAddon(C, [...running('redis-starter-1024', { addonId: C }), removed('2025-03-01T00:00:00.000Z', null)]),
    ]);
    const table = fixture.table('addons');
    expect((await listAddons(fixture.db.manager, table, 'my-app', AT)).map((x) => x.id)).toEqual([A]);
    expect(await findAddon(fixture.db.manager, table, 'my-app', C, AT)).toBeNull();
    expect(await findAddon(fixture.db.manager, table, 'other-app', A, AT)).toBeNull();
    expect(await findAddon(fixture.db.manager, table, 'my-app', A, AT)).toMatchObject({ id: A, status: 'running' });
  });

  it('stores the same row whether a history comes in one batch or one event at a time (found by npm run chaos)', async () => {
    // Sandbox, then paid (its sandboxSince set to undefined, dropped by the stored JSON), then a Sandbox again.
    const events = onAddon(A, [
      ...running('postgresql-sandbox', { addonId: A }),
      ...planChangedTo('postgresql-sandbox', 'postgresql-starter-512', '2025-02-01T10:00:00.000Z'),
      ...planChangedTo('postgresql-starter-512', 'postgresql-sandbox', '2025-02-10T10:00:00.000Z'),
    ]);
    const stored = async (batchSize: number) => {
      const given = await givenEvents(addonsProjection, events, { batchSize });
      try {
        const rows: Array<{ state: string }> = await given.db.query(`SELECT state FROM ${given.table('addons')}`);
        return rows.map((row) => row.state);
      } finally {
        await given.dispose();
      }
    };
    const [together, apart] = [await stored(50), await stored(1)];
    expect(JSON.parse(together[0])).toMatchObject({ planId: 'postgresql-sandbox', lastPaidClass: 'starter', sandboxSince: '2025-02-10T10:00:00.000Z' });
    expect(apart).toEqual(together);
  });

  it('keeps no backups nor secrets in its rows', async () => {
    fixture = await givenEvents(addonsProjection, onAddon(A, [...running('postgresql-starter-512', { addonId: A }), ...backupDone('b-1', '2025-03-01T00:00:00.000Z')]));
    const rows: Array<{ state: string }> = await fixture.db.query(`SELECT state FROM ${fixture.table('addons')}`);
    expect(JSON.parse(rows[0].state).backups).toEqual([]);
    const view = await findAddon(fixture.db.manager, fixture.table('addons'), 'my-app', A, AT);
    expect(JSON.stringify(view)).not.toMatch(/password|ciphertext|dataKey/);
  });
});
