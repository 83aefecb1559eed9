import type { AppCreated } from '../../src/apps/domain/app.events';
import type { StoredEvent } from '../../src/event-store/event-store.port';
import type { Projection, ProjectionTx } from '../projection';

/** Which apps exist and who owns each: what `GET /v1/apps` lists. */
export const appsProjection: Projection = {
  name: 'apps',
  version: 1,
  tables: ['apps'],
  handles: ['AppCreated'],
  async apply(event: StoredEvent, tx: ProjectionTx): Promise<void> {
    const { name, owner, at } = event.data as AppCreated['data'];
    await tx.manager.query(`INSERT INTO ${tx.table('apps')} (name, owner, created_at) VALUES (?, ?, ?)`, [name, owner, at]);
  },
};

/** App names in creation order, an owner's only when `owner` is given. */
export async function listAppNames(db: ProjectionTx['manager'], table: string, owner?: string): Promise<string[]> {
  const rows: Array<{ name: string }> = owner === undefined
    ? await db.query(`SELECT name FROM ${table} ORDER BY created_at, name`)
    : await db.query(`SELECT name FROM ${table} WHERE owner = ? ORDER BY created_at, name`, [owner]);
  return rows.map((r) => r.name);
}
