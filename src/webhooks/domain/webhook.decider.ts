import { assertNever, Decider } from '../../shared/domain/decider';
import { DomainError } from '../../shared/domain/domain-error';
import type { WebhookCommand } from './webhook.commands';
import type { WebhookCreated, WebhookEvent } from './webhook.events';

export type WebhookState =
  | { status: 'none' }
  | ({ status: 'active' | 'deleted'; createdAt: string; deletedAt: string | null } & Omit<WebhookCreated['data'], 'at'>);

/**
 * A webhook: created with its target, the event types wanted and a sealed signing secret;
 * deleted once (deleting again changes nothing). A redelivery can be asked while it lives.
 * What a target may be (scheme, address) and which types exist are checked before a
 * command is made: here only what the stream itself decides.
 */
export const webhookDecider: Decider<WebhookState, WebhookCommand, WebhookEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'WebhookCreated': {
        const { at, ...data } = event.data;
        return { status: 'active', ...data, createdAt: at, deletedAt: null };
      }
      case 'WebhookDeleted':
        return state.status === 'active' ? { ...state, status: 'deleted', deletedAt: event.data.at } : state;
      case 'WebhookRedeliveryRequested':
        return state;
      default:
        return assertNever(event, 'webhook event');
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'CreateWebhook':
        if (state.status !== 'none') throw new DomainError('WEBHOOK.ALREADY_EXISTS', 'A webhook with this id exists already.');
        if (command.data.eventTypes.length === 0) throw new DomainError('WEBHOOK.NO_EVENT_TYPES', 'A webhook needs at least one event type, or "*".');
        return [{ type: 'WebhookCreated', data: command.data }];
      case 'DeleteWebhook':
        if (state.status === 'none') throw notFound();
        return state.status === 'deleted' ? [] : [{ type: 'WebhookDeleted', data: { at: command.data.at } }];
      case 'RequestRedelivery':
        if (state.status !== 'active') throw notFound();
        return [{ type: 'WebhookRedeliveryRequested', data: command.data }];
      default:
        return assertNever(command, 'webhook command');
    }
  },
};

const notFound = () => new DomainError('WEBHOOK.NOT_FOUND', 'No such webhook.');
