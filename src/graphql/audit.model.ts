import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import type { AuditEntry } from '../../projections/audit/audit.query';
import type { HistoryStep } from '../audit/replay/addon-replay';
import { AddonModel } from './addon.model';

/** One audit entry: who did what, when, within which request. Never a secret. */
@ObjectType('AuditEntry')
export class AuditEntryModel {
  @Field()
  position!: string;

  @Field()
  at!: string;

  @Field()
  actor!: string;

  @Field()
  action!: string;

  @Field(() => String, { nullable: true })
  app!: string | null;

  @Field(() => String, { nullable: true })
  addonId!: string | null;

  @Field()
  summary!: string;

  @Field()
  correlationId!: string;

  static from(entry: AuditEntry): AuditEntryModel {
    return {
      position: entry.position,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      app: entry.app,
      addonId: entry.addon_id,
      summary: entry.summary,
      correlationId: entry.correlation_id,
    };
  }
}

/** A page of the audit log; `nextCursor` is the `after` of the next page, null at the end. */
@ObjectType()
export class AuditPage {
  @Field(() => [AuditEntryModel])
  entries!: AuditEntryModel[];

  @Field(() => String, { nullable: true })
  nextCursor!: string | null;

  static from(page: { entries: AuditEntry[]; next_cursor: string | null }): AuditPage {
    return { entries: page.entries.map(AuditEntryModel.from), nextCursor: page.next_cursor };
  }
}

/** One step of an add-on's history, replayed from the event store: the event and the add-on right after. */
@ObjectType('HistoryStep')
export class HistoryStepModel {
  @Field()
  position!: string;

  @Field()
  revision!: string;

  @Field()
  at!: string;

  @Field()
  actor!: string;

  @Field()
  action!: string;

  @Field()
  summary!: string;

  @Field()
  correlationId!: string;

  @Field(() => AddonModel, { nullable: true })
  state!: AddonModel | null;

  static from(step: HistoryStep): HistoryStepModel {
    return {
      position: step.position,
      revision: step.revision,
      at: step.at,
      actor: step.actor,
      action: step.action,
      summary: step.summary,
      correlationId: step.correlation_id,
      state: step.state === null ? null : AddonModel.from(step.state),
    };
  }
}

/** The add-on as of a point: the last step at or before it. */
@ObjectType()
export class AddonStateAt {
  @Field(() => String, { nullable: true, description: 'The point asked for; null for the latest state.' })
  at!: string | null;

  @Field(() => HistoryStepModel)
  step!: HistoryStepModel;
}

/** An add-on's availability in a calendar month against its SLA. */
@ObjectType('Availability')
export class AvailabilityModel {
  @Field()
  month!: string;

  @Field(() => Float)
  downtimeMinutes!: number;

  @Field(() => Int)
  incidents!: number;

  @Field(() => Float, { nullable: true })
  slaPercent!: number | null;

  @Field(() => Float, { nullable: true })
  budgetMinutes!: number | null;

  @Field(() => Float)
  availabilityPercent!: number;

  @Field({ description: 'met, breached or no-sla' })
  status!: string;

  @Field({ description: 'Whether the month is still under way' })
  partial!: boolean;
}
