import { givenEvents, onApp, ProjectionFixture } from '../testing/projection-spec';
import { appsProjection, listAppNames } from './apps.projection';

describe('apps projection, read through listAppNames', () => {
  let fixture: ProjectionFixture | undefined;
  afterEach(async () => {
    await fixture?.dispose();
    fixture = undefined;
  });

  const created = (name: string, owner: string, at: string) => onApp(name, [{ type: 'AppCreated', data: { name, owner, at } }]);

  it('every app in creation order for support; an owner sees only theirs', async () => {
    fixture = await givenEvents(appsProjection, [
      ...created('shop', 'alice', '2025-01-01T00:00:00.000Z'),
      ...created('blog', 'bob', '2025-01-02T00:00:00.000Z'),
      ...created('api', 'alice', '2025-01-03T00:00:00.000Z'),
      ...onApp('shop', [{ type: 'AddonAttached', data: { addonId: 'a-1', providerId: 'redis', at: '2025-01-04T00:00:00.000Z' } }]),
    ]);
    const table = fixture.table('apps');
    expect(await listAppNames(fixture.db.manager, table)).toEqual(['shop', 'blog', 'api']);
    expect(await listAppNames(fixture.db.manager, table, 'alice')).toEqual(['shop', 'api']);
    expect(await listAppNames(fixture.db.manager, table, 'carol')).toEqual([]);
  });
});
