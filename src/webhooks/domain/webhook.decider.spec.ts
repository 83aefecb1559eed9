import { fold } from '../../shared/domain/decider';
import { webhookDecider } from './webhook.decider';
import type { WebhookCreated, WebhookEvent } from './webhook.events';

const CREATED: WebhookCreated = {
  type: 'WebhookCreated',
  data: {
    webhookId: 'w1',
    owner: { role: 'owner', subject: 'alice' },
    app: null,
    url: 'https://hooks.example.com/a',
    eventTypes: ['*'],
    secret: { kid: 'k', iv: 'i', ciphertext: 'c', tag: 't' },
    at: '2025-03-05T12:00:00.000Z',
  },
};
const given = (...events: WebhookEvent[]) => fold(webhookDecider, events);
const AT = '2025-03-06T12:00:00.000Z';

describe('webhook decider', () => {
  it('creates a webhook once', () => {
    const { at: _at, ...data } = CREATED.data;
    expect(webhookDecider.decide({ type: 'CreateWebhook', data: CREATED.data }, given())).toEqual([CREATED]);
    expect(given(CREATED)).toMatchObject({ status: 'active', ...data, createdAt: CREATED.data.at, deletedAt: null });
    expect(() => webhookDecider.decide({ type: 'CreateWebhook', data: CREATED.data }, given(CREATED))).toThrow(expect.objectContaining({ code: 'WEBHOOK.ALREADY_EXISTS' }));
    expect(() => webhookDecider.decide({ type: 'CreateWebhook', data: { ...CREATED.data, eventTypes: [] } }, given())).toThrow(
      expect.objectContaining({ code: 'WEBHOOK.NO_EVENT_TYPES' }),
    );
  });

  it('deletes it; deleting again changes nothing; a missing one is not found', () => {
    expect(webhookDecider.decide({ type: 'DeleteWebhook', data: { at: AT } }, given(CREATED))).toEqual([{ type: 'WebhookDeleted', data: { at: AT } }]);
    const deleted = given(CREATED, { type: 'WebhookDeleted', data: { at: AT } });
    expect(deleted).toMatchObject({ status: 'deleted', deletedAt: AT });
    expect(webhookDecider.decide({ type: 'DeleteWebhook', data: { at: AT } }, deleted)).toEqual([]);
    expect(() => webhookDecider.decide({ type: 'DeleteWebhook', data: { at: AT } }, given())).toThrow(expect.objectContaining({ code: 'WEBHOOK.NOT_FOUND' }));
  });

  it('takes a redelivery request while it lives, not once deleted', () => {
    expect(webhookDecider.decide({ type: 'RequestRedelivery', data: { deliveryId: 'd1', at: AT } }, given(CREATED))).toEqual([
      { type: 'WebhookRedeliveryRequested', data: { deliveryId: 'd1', at: AT } },
    ]);
    const deleted = given(CREATED, { type: 'WebhookDeleted', data: { at: AT } });
    expect(() => webhookDecider.decide({ type: 'RequestRedelivery', data: { deliveryId: 'd1', at: AT } }, deleted)).toThrow(
      expect.objectContaining({ code: 'WEBHOOK.NOT_FOUND' }),
    );
  });
});
