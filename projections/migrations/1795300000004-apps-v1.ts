import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The apps read model, version 1: which apps exist and who owns each. */
export class AppsV11795300000004 implements MigrationInterface {
  name = 'AppsV11795300000004';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE apps_v1 (
        name       TEXT PRIMARY KEY,
        owner      TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`);
    await db.query('CREATE INDEX apps_v1_by_owner ON apps_v1 (owner, created_at)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE apps_v1');
  }
}
