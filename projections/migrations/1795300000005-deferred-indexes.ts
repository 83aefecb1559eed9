import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version filling from zero drops its tables' secondary indexes and builds them once
 * caught up (one sort instead of a B-tree insert per row): their definitions wait here,
 * in the checkpoint's row, so that a crash mid-build still restores them.
 */
export class DeferredIndexes1795300000005 implements MigrationInterface {
  name = 'DeferredIndexes1795300000005';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE projection_checkpoints ADD COLUMN deferred_indexes TEXT');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE projection_checkpoints DROP COLUMN deferred_indexes');
  }
}
