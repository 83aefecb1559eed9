import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The webhooks read model, version 1: the webhooks that exist, and whose they are (never their secret). */
export class WebhooksV11795300000006 implements MigrationInterface {
  name = 'WebhooksV11795300000006';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhooks_v1 (
        webhook_id    TEXT PRIMARY KEY,
        owner_role    TEXT NOT NULL,
        owner_subject TEXT NOT NULL,
        app           TEXT,
        url           TEXT NOT NULL,
        event_types   TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        deleted_at    TEXT
      )`);
    await db.query('CREATE INDEX webhooks_v1_by_owner ON webhooks_v1 (owner_subject, created_at)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE webhooks_v1');
  }
}
