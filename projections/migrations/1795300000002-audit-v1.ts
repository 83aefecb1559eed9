import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The audit log, version 1: one entry per event of an app or add-on. */
export class AuditV11795300000002 implements MigrationInterface {
  name = 'AuditV11795300000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE audit_v1 (
        position       INTEGER PRIMARY KEY,
        event_id       TEXT NOT NULL,
        at             TEXT NOT NULL,
        actor          TEXT NOT NULL,
        action         TEXT NOT NULL,
        app            TEXT,
        addon_id       TEXT,
        summary        TEXT NOT NULL,
        correlation_id TEXT NOT NULL
      )`);
    await db.query('CREATE INDEX audit_v1_by_app ON audit_v1 (app, position)');
    await db.query('CREATE INDEX audit_v1_by_addon ON audit_v1 (addon_id, position)');
    await db.query('CREATE INDEX audit_v1_by_actor ON audit_v1 (actor, position)');
    await db.query(`
      CREATE TABLE audit_addons_v1 (
        addon_id TEXT PRIMARY KEY,
        app      TEXT NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE audit_v1');
    await db.query('DROP TABLE audit_addons_v1');
  }
}
