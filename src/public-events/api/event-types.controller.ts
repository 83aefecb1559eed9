import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../security/access.decorators';
import { DomainError } from '../../shared/domain/domain-error';
import { isPublicEventType, PUBLIC_EVENT_TYPES, PUBLIC_EVENT_VERSIONS, publicEventSchema } from '../public-event.schemas';

/** The published contract of the event feed and webhooks: every public event type with its JSON Schema. */
@ApiTags('events')
@Controller('v1/event-types')
@Roles('owner', 'support', 'platform', 'admin')
export class EventTypesController {
  @Get()
  @ApiOperation({ summary: 'Every public event type, its current schema version and its JSON Schema (draft-07)' })
  @ApiOkResponse({ description: '{ event_types: [{ type, schema_version, description, schema }] }' })
  list() {
    return { event_types: PUBLIC_EVENT_TYPES.map((type) => eventType(type)) };
  }

  @Get(':type')
  @ApiOperation({ summary: 'One public event type and its JSON Schema' })
  one(@Param('type') type: string) {
    if (!isPublicEventType(type)) throw new DomainError('EVENT_TYPE.NOT_FOUND', 'No such public event type; GET /v1/event-types lists them.');
    return { event_type: eventType(type) };
  }
}

function eventType(type: (typeof PUBLIC_EVENT_TYPES)[number]) {
  const schema = publicEventSchema(type);
  return { type, schema_version: PUBLIC_EVENT_VERSIONS[type], description: schema.description ?? null, schema };
}
