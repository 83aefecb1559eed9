import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import type { addonView } from '../addons/api/addon.view';

type AddonView = ReturnType<typeof addonView>;

@ObjectType()
export class AddonProvider {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;
}

@ObjectType()
export class AddonPlan {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'sandbox, starter or business.' })
  class!: string;

  @Field(() => Int)
  memoryMb!: number;
}

@ObjectType()
export class AddonFeature {
  @Field()
  name!: string;

  @Field()
  enabled!: boolean;
}

@ObjectType()
export class MaintenanceWindow {
  @Field(() => Int)
  weekdayUtc!: number;

  @Field(() => Int)
  startingHourUtc!: number;

  @Field(() => Int)
  durationInHour!: number;
}

@ObjectType()
export class BackupSchedule {
  @Field()
  enabled!: boolean;

  @Field({ description: 'False on a Sandbox, which has no backups whatever the setting.' })
  active!: boolean;

  @Field()
  scheduledAt!: string;

  @Field(() => Int)
  hourLocal!: number;

  @Field()
  timezone!: string;

  @Field(() => Int)
  hourUtc!: number;
}

@ObjectType()
export class AddonNode {
  @Field()
  name!: string;

  @Field()
  role!: string;

  @Field({ description: 'up or down.' })
  status!: string;
}

/**
 * An add-on, as `GET /v1/apps/:app/addons/:id` shows it, in camelCase. Built from the same
 * view, which holds no secret: the connection URL is on the app's variables (REST only).
 */
@ObjectType('Addon')
export class AddonModel {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'The app it is attached to.' })
  app!: string;

  @Field()
  resourceId!: string;

  @Field(() => AddonProvider)
  provider!: AddonProvider;

  @Field(() => AddonPlan)
  plan!: AddonPlan;

  @Field()
  version!: string;

  @Field(() => String, { nullable: true })
  nextVersion!: string | null;

  @Field()
  status!: string;

  @Field(() => [AddonFeature])
  features!: AddonFeature[];

  @Field(() => MaintenanceWindow)
  maintenanceWindow!: MaintenanceWindow;

  @Field(() => BackupSchedule)
  backupSchedule!: BackupSchedule;

  @Field(() => [AddonNode])
  nodes!: AddonNode[];

  @Field()
  provisionedAt!: string;

  @Field(() => String, { nullable: true })
  deprovisionedAt!: string | null;

  static from(view: AddonView): AddonModel {
    const schedule = view.backup_schedule;
    return {
      id: view.id,
      app: view.app,
      resourceId: view.resource_id,
      provider: { id: view.addon_provider.id, name: view.addon_provider.name },
      plan: { id: view.plan.id, class: view.plan.class, memoryMb: view.plan.memory_mb },
      version: view.version,
      nextVersion: view.next_version ?? null,
      status: view.status,
      features: view.features.map(({ name, enabled }) => ({ name, enabled })),
      maintenanceWindow: {
        weekdayUtc: view.maintenance_window.weekday_utc,
        startingHourUtc: view.maintenance_window.starting_hour_utc,
        durationInHour: view.maintenance_window.duration_in_hour,
      },
      backupSchedule: {
        enabled: schedule.enabled,
        active: schedule.active,
        scheduledAt: schedule.scheduled_at,
        hourLocal: schedule.hour_local,
        timezone: schedule.timezone,
        hourUtc: schedule.hour_utc,
      },
      nodes: view.nodes.map(({ name, role, status }) => ({ name, role, status })),
      provisionedAt: view.provisioned_at,
      deprovisionedAt: view.deprovisioned_at ?? null,
    };
  }
}

/** What an add-on write answers: the add-on after it, and the log position to read it back from. */
@ObjectType()
export class AddonPayload {
  @Field(() => AddonModel)
  addon!: AddonModel;

  @Field(() => String, { nullable: true, description: 'Global position of the last event appended (X-Event-Position over REST).' })
  position!: string | null;

  @Field(() => [String], { description: 'Things to check, such as a plan with less memory.' })
  warnings!: string[];
}
