import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The add-ons read model and the availability read model, version 1. */
export class AddonsAvailabilityV11795300000003 implements MigrationInterface {
  name = 'AddonsAvailabilityV11795300000003';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE addons_v1 (
        addon_id       TEXT PRIMARY KEY,
        app            TEXT NOT NULL,
        provider_id    TEXT NOT NULL,
        plan_id        TEXT NOT NULL,
        version        TEXT NOT NULL,
        status         TEXT NOT NULL,
        provisioned_at TEXT NOT NULL,
        removed_at     TEXT,
        -- the add-on as the command side folds it, without its backups (they have their own read model)
        state          TEXT NOT NULL
      )`);
    await db.query('CREATE INDEX addons_v1_by_app ON addons_v1 (app, provisioned_at)');
    await db.query(`
      CREATE TABLE availability_v1 (
        addon_id         TEXT NOT NULL,
        month            TEXT NOT NULL,
        downtime_seconds REAL NOT NULL,
        incidents        INTEGER NOT NULL,
        PRIMARY KEY (addon_id, month)
      )`);
    await db.query(`
      CREATE TABLE availability_addons_v1 (
        addon_id   TEXT PRIMARY KEY,
        app        TEXT NOT NULL,
        plan_id    TEXT NOT NULL,
        -- start of the unplanned unavailability under way, if any, and the node whose failure started it
        down_since TEXT,
        down_node  TEXT
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['addons_v1', 'availability_v1', 'availability_addons_v1']) await db.query(`DROP TABLE ${table}`);
  }
}
