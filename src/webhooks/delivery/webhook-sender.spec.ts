import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { SECRET_PATTERN, signatureHeaders } from './webhook-sender';

describe('signatureHeaders (Standard Webhooks)', () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const body = JSON.stringify({ id: 'e1', type: 'BackupTaken', data: { backup_id: 'b1' } });
  const now = Math.floor(Date.now() / 1000);

  it('verifies with the standardwebhooks library, an implementation of its own', () => {
    const headers = signatureHeaders(secret, 'delivery-1', now, body);
    expect(headers['webhook-id']).toBe('delivery-1');
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('fails verification for another body, another id, another secret, or an old timestamp (a replay)', () => {
    const headers = signatureHeaders(secret, 'delivery-1', now, body);
    expect(() => new Webhook(secret).verify(body.replace('b1', 'b2'), headers)).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'delivery-2' })).toThrow();
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(body, headers)).toThrow();
    const old = signatureHeaders(secret, 'delivery-1', now - 3_600, body);
    expect(() => new Webhook(secret).verify(body, old)).toThrow(/timestamp/i);
  });

  it('takes secrets of 24 to 64 random bytes, whsec_-prefixed', () => {
    expect(SECRET_PATTERN.test(`whsec_${randomBytes(24).toString('base64')}`)).toBe(true);
    expect(SECRET_PATTERN.test(`whsec_${randomBytes(64).toString('base64')}`)).toBe(true);
    expect(SECRET_PATTERN.test(`whsec_${randomBytes(16).toString('base64')}`)).toBe(false);
    expect(SECRET_PATTERN.test('my-password')).toBe(false);
  });
});
