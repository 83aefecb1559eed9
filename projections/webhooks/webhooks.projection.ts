import type { StoredEvent } from '../../src/event-store/event-store.port';
import type { WebhookCreated, WebhookDeleted, WebhookEvent } from '../../src/webhooks/domain/webhook.events';
import type { Projection, ProjectionTx } from '../projection';

/** The webhooks that exist and whose they are, for `GET /v1/webhooks`. Their secrets stay in their streams, sealed. */
export const webhooksProjection: Projection = {
  name: 'webhooks',
  version: 1,
  tables: ['webhooks'],
  handles: ['WebhookCreated', 'WebhookDeleted'] satisfies Array<WebhookEvent['type']>,
  async apply(event: StoredEvent, tx: ProjectionTx): Promise<void> {
    const table = tx.table('webhooks');
    const webhookId = event.stream.slice('webhook-'.length);
    if (event.type === 'WebhookCreated') {
      const { owner, app, url, eventTypes, at } = event.data as unknown as WebhookCreated['data'];
      await tx.manager.query(
        `INSERT OR IGNORE INTO ${table} (webhook_id, owner_role, owner_subject, app, url, event_types, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [webhookId, owner.role, owner.subject, app, url, JSON.stringify(eventTypes), at],
      );
    } else {
      const { at } = event.data as unknown as WebhookDeleted['data'];
      await tx.manager.query(`UPDATE ${table} SET deleted_at = ? WHERE webhook_id = ?`, [at, webhookId]);
    }
  },
};

export interface WebhookRow {
  webhook_id: string;
  owner_role: 'owner' | 'admin';
  owner_subject: string;
  app: string | null;
  url: string;
  event_types: string;
  created_at: string;
  deleted_at: string | null;
}

/** The webhooks not deleted, newest first; an owner's own only when `owner` is given. */
export async function listWebhooks(db: ProjectionTx['manager'], table: string, owner?: string): Promise<WebhookRow[]> {
  return owner === undefined
    ? db.query(`SELECT * FROM ${table} WHERE deleted_at IS NULL ORDER BY created_at DESC, webhook_id`)
    : db.query(`SELECT * FROM ${table} WHERE deleted_at IS NULL AND owner_role = 'owner' AND owner_subject = ? ORDER BY created_at DESC, webhook_id`, [owner]);
}
