import { Logger } from '@nestjs/common';
import { EventFilter, EventStore, EventSubscription, StoredEvent } from '../../event-store/event-store.port';
import { EventScopes } from '../../public-events/event-scopes';
import { PublicEvent } from '../../public-events/public-event.schemas';
import { toPublicEvent } from '../../public-events/public-event';
import { Clock } from '../../shared/clock';
import { derivedUuid } from '../../shared/cqrs/event-ids';
import { runWithLogContext } from '../../shared/logging/log-context';
import type { WebhookCreated, WebhookRedeliveryRequested } from '../domain/webhook.events';
import { NewDelivery, OutboxWebhook, WebhookOutbox } from './webhook-outbox';

const CHECKPOINT = 'webhooks';
/** The public streams, and the webhooks' own (which say what to deliver to whom). */
const FILTER: EventFilter = { streamPrefixes: ['addon-', 'app-', 'webhook-'] };
/** Events that deliver nothing still move the checkpoint, every so many. */
const CHECKPOINT_EVERY = 500;
const RESUME_DELAY_MS = 1_000;

/** The id of the delivery of an event to a webhook: the same however often the event is read. */
export const deliveryIdOf = (webhookId: string, eventId: string) => derivedUuid('webhook-delivery', webhookId, eventId);

/** Whether a webhook wants a public event: its type, its app, and what its owner may see. */
export function matches(webhook: OutboxWebhook, event: PublicEvent, owner: string): boolean {
  if (!webhook.eventTypes.includes('*') && !webhook.eventTypes.includes(event.type)) return false;
  if (webhook.app !== null && webhook.app !== event.app) return false;
  return webhook.owner.role === 'admin' || webhook.owner.subject === owner;
}

/**
 * The outbox's writer: follows the log from its checkpoint and, for each public event,
 * inserts a delivery per webhook that wants it, together with the checkpoint. A webhook
 * gets the events after the one that made it, until the one that deleted it. Reading an
 * event twice (after a crash) inserts nothing twice: delivery ids derive from the
 * webhook and the event.
 */
export class WebhookDispatcher {
  private readonly logger = new Logger('WebhookDispatcher');
  private webhooks = new Map<string, OutboxWebhook>();
  private subscription: EventSubscription | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private position: bigint | null = null;
  private sinceCheckpoint = 0;

  constructor(
    private readonly store: EventStore,
    private readonly outbox: WebhookOutbox,
    private readonly scopes: EventScopes,
    private readonly clock: Clock,
    /** Called after deliveries were inserted, so that the deliverer looks at once. */
    private readonly onDeliveries: () => void,
  ) {}

  start(): void {
    this.stopping = false;
    this.loop = (async () => {
      while (!this.stopping) {
        try {
          this.position = await this.outbox.checkpoint(CHECKPOINT);
          this.webhooks = new Map((await this.outbox.webhooks()).map((w) => [w.webhookId, w]));
          if (this.stopping) return;
          const subscription = this.store.subscribeToAll({ fromPosition: this.position ?? 'start', filter: FILTER });
          this.subscription = subscription;
          // stop() came while the checkpoint was read: it could not close what did not exist yet.
          if (this.stopping) return void (await subscription.close());
          for await (const event of subscription) {
            await runWithLogContext({ correlationId: String(event.metadata.$correlationId) }, () => this.process(event));
          }
          return; // closed by stop()
        } catch (error) {
          if (this.stopping) return;
          this.logger.error(`The webhook dispatcher failed, resuming from its checkpoint in 1 s: ${describe(error)}`);
          await this.subscription?.close().catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, RESUME_DELAY_MS));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscription?.close();
    await this.loop;
    // What was read past the last checkpoint delivered nothing: keep it read.
    if (this.position !== null && this.sinceCheckpoint > 0) await this.outbox.commit(CHECKPOINT, this.position, {}, this.clock.now()).catch(() => undefined);
  }

  private async process(event: StoredEvent): Promise<void> {
    if (event.stream.startsWith('webhook-')) return this.webhookEvent(event);
    const deliveries = await this.deliveriesOf(event);
    this.position = event.position;
    if (deliveries.length === 0 && ++this.sinceCheckpoint < CHECKPOINT_EVERY) return;
    await this.outbox.commit(CHECKPOINT, event.position, { deliveries }, this.clock.now());
    this.sinceCheckpoint = 0;
    if (deliveries.length > 0) this.onDeliveries();
  }

  private async deliveriesOf(event: StoredEvent): Promise<NewDelivery[]> {
    if (this.webhooks.size === 0) return [];
    const scope = await this.scopes.of(event);
    if (!scope) return [];
    const published = toPublicEvent(event, scope);
    if (!published) return [];
    const payload = JSON.stringify(published);
    return [...this.webhooks.values()]
      .filter((webhook) => matches(webhook, published, scope.owner))
      .map((webhook) => ({
        deliveryId: deliveryIdOf(webhook.webhookId, event.id),
        webhookId: webhook.webhookId,
        orderingKey: scope.addonId ?? `app:${scope.app}`,
        position: event.position,
        eventId: event.id,
        eventType: event.type,
        payload,
      }));
  }

  private async webhookEvent(event: StoredEvent): Promise<void> {
    const webhookId = event.stream.slice('webhook-'.length);
    const now = this.clock.now();
    switch (event.type) {
      case 'WebhookCreated': {
        const { owner, app, url, eventTypes, secret } = event.data as unknown as WebhookCreated['data'];
        const webhook: OutboxWebhook = { webhookId, owner, app, url, eventTypes, secret };
        await this.outbox.commit(CHECKPOINT, event.position, { created: [webhook] }, now);
        this.webhooks.set(webhookId, webhook);
        break;
      }
      case 'WebhookDeleted':
        await this.outbox.commit(CHECKPOINT, event.position, { deleted: [webhookId] }, now);
        this.webhooks.delete(webhookId);
        break;
      case 'WebhookRedeliveryRequested': {
        const { deliveryId } = event.data as unknown as WebhookRedeliveryRequested['data'];
        await this.outbox.commit(CHECKPOINT, event.position, { redeliver: [{ webhookId, deliveryId }] }, now);
        this.onDeliveries();
        break;
      }
      default:
        break;
    }
    this.position = event.position;
    this.sinceCheckpoint = 0;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
