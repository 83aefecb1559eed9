import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Where each projection version stands: its checkpoint, whether queries read it, and where it is parked. */
export class ProjectionCheckpoints1795300000000 implements MigrationInterface {
  name = 'ProjectionCheckpoints1795300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE projection_checkpoints (
        name            TEXT NOT NULL,
        version         INTEGER NOT NULL,
        -- building: filling from zero; active: what queries read; retired: replaced by a newer version
        status          TEXT NOT NULL CHECK (status IN ('building', 'active', 'retired')),
        position        TEXT,
        parked_position TEXT,
        parked_error    TEXT,
        updated_at      TEXT NOT NULL,
        PRIMARY KEY (name, version)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE projection_checkpoints');
  }
}
