import { Field, Float, ID, ObjectType } from '@nestjs/graphql';
import type { backupView } from '../addons/api/addon.view';

/** A backup, as `GET …/addons/:id/backups` lists it. */
@ObjectType('Backup')
export class BackupModel {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  createdAt!: string;

  @Field(() => String, { nullable: true })
  startedAt!: string | null;

  @Field(() => String, { nullable: true })
  endedAt!: string | null;

  @Field(() => Float, { nullable: true, description: 'Bytes (a Float: sizes outgrow a 32-bit Int).' })
  size!: number | null;

  @Field()
  status!: string;

  @Field({ description: 'scheduled or manual.' })
  method!: string;

  @Field(() => [String], { description: 'The buckets keeping it: daily, weekly, monthly, manual.' })
  retention!: string[];

  @Field(() => String, { nullable: true })
  expiresAt!: string | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  static from(view: ReturnType<typeof backupView>): BackupModel {
    return {
      id: view.id,
      name: view.name,
      createdAt: view.created_at,
      startedAt: view.started_at,
      endedAt: view.ended_at,
      size: view.size,
      status: view.status,
      method: view.method,
      retention: [...view.retention],
      expiresAt: view.expires_at,
      error: view.error ?? null,
    };
  }
}

/** What `requestBackup` answers: the backup, scheduled, and the log position to read it back from. */
@ObjectType()
export class BackupPayload {
  @Field(() => BackupModel)
  backup!: BackupModel;

  @Field(() => String, { nullable: true })
  position!: string | null;
}
