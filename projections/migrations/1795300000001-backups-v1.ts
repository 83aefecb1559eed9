import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The backups read model, version 1: one row per backup, and what retention needs of its add-on. */
export class BackupsV11795300000001 implements MigrationInterface {
  name = 'BackupsV11795300000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE backups_v1 (
        backup_id   TEXT PRIMARY KEY,
        addon_id    TEXT NOT NULL,
        app         TEXT NOT NULL,
        name        TEXT NOT NULL,
        method      TEXT NOT NULL,
        status      TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        started_at  TEXT,
        ended_at    TEXT,
        size_bytes  INTEGER,
        checksum    TEXT,
        error       TEXT,
        expired_at  TEXT
      )`);
    await db.query('CREATE INDEX backups_v1_by_addon ON backups_v1 (addon_id, created_at DESC)');
    await db.query(`
      CREATE TABLE backup_addons_v1 (
        addon_id             TEXT PRIMARY KEY,
        app                  TEXT NOT NULL,
        plan_id              TEXT NOT NULL,
        last_paid_class      TEXT,
        sandbox_since        TEXT,
        removed_at           TEXT,
        -- restored when a plan change fails
        prev_last_paid_class TEXT,
        prev_sandbox_since   TEXT
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE backups_v1');
    await db.query('DROP TABLE backup_addons_v1');
  }
}
