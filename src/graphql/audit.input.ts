import { ArgsType, Field, Int } from '@nestjs/graphql';
import { IsISO8601, IsString, Matches, MaxLength } from 'class-validator';
import { Optional } from '../http/optional';
import { PageLimit } from '../http/page-limit';

/** The filters of an audit query, with the rules of AppAuditQueryDto; every one optional. */
@ArgsType()
export class AppAuditArgs {
  @Field(() => String, { nullable: true, description: 'An add-on id.' })
  @Optional()
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { message: 'addon must be an add-on id' })
  addon?: string;

  @Field(() => String, { nullable: true, description: 'Such as owner:alice.' })
  @Optional()
  @IsString()
  @MaxLength(200, { message: 'actor is at most 200 characters' })
  actor?: string;

  @Field(() => String, { nullable: true, description: 'An event type, such as PlanChanged.' })
  @Optional()
  @Matches(/^[A-Za-z]{1,64}$/, { message: 'type must be an event type, such as PlanChanged' })
  type?: string;

  @Field(() => String, { nullable: true, description: 'ISO-8601, inclusive.' })
  @Optional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO-8601 time' })
  from?: string;

  @Field(() => String, { nullable: true, description: 'ISO-8601, inclusive.' })
  @Optional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO-8601 time' })
  to?: string;

  @Field(() => String, { nullable: true, description: 'The nextCursor of the previous page.' })
  @Optional()
  @Matches(/^\d{1,30}$/, { message: 'after must be a cursor (nextCursor of the previous page)' })
  after?: string;

  @Field(() => Int, { nullable: true, description: '1 to 500; 100 by default.' })
  @Optional()
  @PageLimit()
  limit?: number;

  @Field(() => String, { nullable: true, description: 'Wait until the read model holds this position.' })
  @Optional()
  @Matches(/^\d{1,30}$/, { message: 'minPosition must be a position as given by a write' })
  minPosition?: string;
}

/** `appEvents(app, …)`: the app, and the filters. */
@ArgsType()
export class AppEventsArgs extends AppAuditArgs {
  @Field({ description: 'The app name.' })
  @IsString()
  app!: string;
}

/** Support's `audit(…)`: the same filters, and the app as one more filter. */
@ArgsType()
export class AuditArgs extends AppAuditArgs {
  @Field(() => String, { nullable: true })
  @Optional()
  @Matches(/^[a-z0-9-]{1,64}$/, { message: 'app must be an app name' })
  app?: string;
}
