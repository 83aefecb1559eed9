import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { APP_NAME } from '../../apps/domain/app.decider';
import { Optional } from '../../http/optional';
import { PUBLIC_EVENT_TYPES } from '../../public-events/public-event.schemas';
import { SECRET_PATTERN } from '../delivery/webhook-sender';
import { PageLimit } from '../../http/page-limit';

const EVENT_TYPES = ['*', ...PUBLIC_EVENT_TYPES];

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://billing.example.com/hooks/db-addons', maxLength: 2048 })
  @IsString()
  @MaxLength(2048, { message: 'url is at most 2048 characters' })
  url!: string;

  @ApiProperty({ example: ['BackupTaken', 'PlanChanged'], description: 'Public event types (GET /v1/event-types), or ["*"] for all' })
  @IsArray({ message: 'event_types must be a list of event types' })
  @ArrayMinSize(1, { message: 'event_types must name at least one event type, or "*"' })
  @ArrayMaxSize(EVENT_TYPES.length, { message: `event_types has at most ${EVENT_TYPES.length} entries` })
  @ArrayUnique({ message: 'event_types must not repeat a type' })
  @IsIn(EVENT_TYPES, { each: true, message: 'event_types must be public event types (GET /v1/event-types) or "*"' })
  event_types!: string[];

  @ApiPropertyOptional({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'The signing secret (Standard Webhooks: whsec_ and base64 of 24 to 64 bytes). Generated and shown once when absent.',
  })
  @Optional()
  @IsString()
  @Matches(SECRET_PATTERN, { message: 'secret must be whsec_ followed by the base64 of 24 to 64 random bytes' })
  secret?: string;

  @ApiPropertyOptional({ example: 'my-app', description: "Only this app's events; otherwise every app the caller reaches" })
  @Optional()
  @IsString()
  @Matches(APP_NAME, { message: 'app must be an app name' })
  app?: string;
}

export class DeliveriesQueryDto {
  @Optional()
  @IsIn(['pending', 'delivered', 'dead', 'cancelled'], { message: 'state must be pending, delivered, dead or cancelled' })
  state?: 'pending' | 'delivered' | 'dead' | 'cancelled';

  @Optional()
  @Matches(/^\d{1,30}$/, { message: 'before must be a cursor (next_cursor of the previous page)' })
  before?: string;

  @Optional()
  @Type(() => Number)
  @PageLimit()
  limit?: number;
}
