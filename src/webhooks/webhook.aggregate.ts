import { Aggregate } from '../shared/cqrs/aggregate';
import { Upcasters } from '../shared/domain/upcasting';
import type { WebhookCommand } from './domain/webhook.commands';
import { webhookDecider, WebhookState } from './domain/webhook.decider';
import { WEBHOOK_EVENT_SCHEMA_VERSIONS, WebhookEvent } from './domain/webhook.events';

/** Webhooks live in `webhook-<uuid>` streams, outside the public feed. */
export const WEBHOOK: Aggregate<WebhookState, WebhookCommand, WebhookEvent> = {
  category: 'webhook',
  decider: webhookDecider,
  schemaVersions: WEBHOOK_EVENT_SCHEMA_VERSIONS,
  upcasters: new Upcasters(WEBHOOK_EVENT_SCHEMA_VERSIONS),
};
