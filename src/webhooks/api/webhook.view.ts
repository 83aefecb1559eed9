import type { WebhookRow } from '../../../projections/webhooks/webhooks.projection';
import type { WebhookState } from '../domain/webhook.decider';
import type { Attempt, Delivery } from '../delivery/webhook-outbox';

type Existing = Exclude<WebhookState, { status: 'none' }>;

/** A webhook as the API shows it: never its secret. */
export function webhookView(webhookId: string, state: Existing) {
  return {
    id: webhookId,
    url: state.url,
    event_types: state.eventTypes,
    app: state.app,
    owner: `${state.owner.role}:${state.owner.subject}`,
    status: state.status,
    created_at: state.createdAt,
    deleted_at: state.deletedAt,
  };
}

export function webhookRowView(row: WebhookRow) {
  return {
    id: row.webhook_id,
    url: row.url,
    event_types: JSON.parse(row.event_types) as string[],
    app: row.app,
    owner: `${row.owner_role}:${row.owner_subject}`,
    status: 'active' as const,
    created_at: row.created_at,
    deleted_at: null,
  };
}

export function deliveryView(delivery: Delivery & { attemptLog?: Attempt[] }) {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    id: delivery.deliveryId,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    position: delivery.position,
    state: delivery.state,
    attempts: delivery.attempts,
    created_at: delivery.createdAt.toISOString(),
    first_attempt_at: iso(delivery.firstAttemptAt),
    next_attempt_at: delivery.state === 'pending' ? iso(delivery.nextAttemptAt) : null,
    delivered_at: iso(delivery.deliveredAt),
    last_status: delivery.lastStatus,
    last_error: delivery.lastError,
    ...(delivery.attemptLog && {
      attempt_log: delivery.attemptLog.map((a) => ({ attempt: a.attempt, at: a.at.toISOString(), status: a.status, error: a.error, duration_ms: a.durationMs })),
      payload: JSON.parse(delivery.payload) as unknown,
    }),
  };
}
