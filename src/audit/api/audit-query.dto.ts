import { Type } from 'class-transformer';
import { IsISO8601, IsString, Matches, MaxLength } from 'class-validator';
import { Optional } from '../../http/optional';
import { PageLimit } from '../../http/page-limit';

/** Filters of an audit query; every one optional. */
export class AppAuditQueryDto {
  @Optional()
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { message: 'addon must be an add-on id' })
  addon?: string;

  @Optional()
  @IsString()
  @MaxLength(200, { message: 'actor is at most 200 characters' })
  actor?: string;

  @Optional()
  @Matches(/^[A-Za-z]{1,64}$/, { message: 'type must be an event type, such as PlanChanged' })
  type?: string;

  @Optional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO-8601 time' })
  from?: string;

  @Optional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO-8601 time' })
  to?: string;

  @Optional()
  @Matches(/^\d{1,30}$/, { message: 'after must be a cursor (next_cursor of the previous page)' })
  after?: string;

  @Optional()
  @Type(() => Number)
  @PageLimit()
  limit?: number;

  @Optional()
  @Matches(/^\d{1,30}$/, { message: 'min_position must be a position as given in X-Event-Position' })
  min_position?: string;
}

/** Support's audit query: the same filters, and the app. */
export class AuditQueryDto extends AppAuditQueryDto {
  @Optional()
  @Matches(/^[a-z0-9-]{1,64}$/, { message: 'app must be an app name' })
  app?: string;
}
