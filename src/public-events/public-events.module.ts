import { Module } from '@nestjs/common';
import { EventTypesController } from './api/event-types.controller';
import { EventScopes } from './event-scopes';

/** The public event contract (types and schemas) and what the feed and webhooks share. */
@Module({ controllers: [EventTypesController], providers: [EventScopes], exports: [EventScopes] })
export class PublicEventsModule {}
