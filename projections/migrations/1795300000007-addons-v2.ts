import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The add-ons read model, version 2: the same columns as version 1, its state stored with
 * sorted keys (a row folded across batches read as another than a replay's). Built from
 * zero beside version 1, which answers until it is caught up.
 */
export class AddonsV21795300000007 implements MigrationInterface {
  name = 'AddonsV21795300000007';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE addons_v2 (
        addon_id       TEXT PRIMARY KEY,
        app            TEXT NOT NULL,
        provider_id    TEXT NOT NULL,
        plan_id        TEXT NOT NULL,
        version        TEXT NOT NULL,
        status         TEXT NOT NULL,
        provisioned_at TEXT NOT NULL,
        removed_at     TEXT,
        -- the add-on as the command side folds it, without its backups, keys sorted
        state          TEXT NOT NULL
      )`);
    await db.query('CREATE INDEX addons_v2_by_app ON addons_v2 (app, provisioned_at)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE addons_v2');
  }
}
