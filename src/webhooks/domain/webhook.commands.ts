import type { Message } from '../../shared/domain/decider';
import type { WebhookCreated } from './webhook.events';

export type CreateWebhook = Message<'CreateWebhook', WebhookCreated['data']>;
export type DeleteWebhook = Message<'DeleteWebhook', { at: string }>;
export type RequestRedelivery = Message<'RequestRedelivery', { deliveryId: string; at: string }>;

export type WebhookCommand = CreateWebhook | DeleteWebhook | RequestRedelivery;
