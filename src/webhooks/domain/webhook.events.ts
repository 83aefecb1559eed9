import type { Message } from '../../shared/domain/decider';

/** A secret sealed by the key ring: opaque here, JSON of base64 strings. */
export type SealedSecret = Readonly<Record<string, string>>;

/** Who made a webhook: an owner's reaches their own apps only; an admin's every app. */
export interface WebhookOwner {
  role: 'owner' | 'admin';
  subject: string;
}

/** `['*']` for every public event type. */
export type EventTypeSelection = readonly string[];

export type WebhookCreated = Message<
  'WebhookCreated',
  {
    webhookId: string;
    owner: WebhookOwner;
    /** Only this app's events when set; else every app the owner reaches. */
    app: string | null;
    url: string;
    eventTypes: string[];
    /** The signing secret, sealed under the master key for this webhook. */
    secret: SealedSecret;
    at: string;
  }
>;
export type WebhookDeleted = Message<'WebhookDeleted', { at: string }>;
/** Someone asked for a delivery to be made again (after it was dead-lettered, or delivered and lost). */
export type WebhookRedeliveryRequested = Message<'WebhookRedeliveryRequested', { deliveryId: string; at: string }>;

export type WebhookEvent = WebhookCreated | WebhookDeleted | WebhookRedeliveryRequested;

export const WEBHOOK_EVENT_SCHEMA_VERSIONS: Readonly<Record<WebhookEvent['type'], number>> = {
  WebhookCreated: 1,
  WebhookDeleted: 1,
  WebhookRedeliveryRequested: 1,
};
