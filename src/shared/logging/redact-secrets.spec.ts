import { secretRedactor } from './redact-secrets';

describe('secretRedactor', () => {
  const redact = secretRedactor(['e2e-admin-0123456789abcdef', 'short']);
  const line = (msg: string) => JSON.stringify({ level: 40, msg });

  it.each([
    ['a URL password', 'connect to postgres://shop_1:s3cr3t-P4ss_word@db.internal:5432/x failed', 'connect to postgres://shop_1:[redacted]@db.internal:5432/x failed'],
    ['a password with no user', 'redis://:hunter2-hunter2@cache:6379', 'redis://:[redacted]@cache:6379'],
    ['a bearer token', 'sent Authorization: Bearer abc.def-123', 'sent Authorization: Bearer [redacted]'],
    ['an API token', 'token dba_Zm9vYmFyYmF6cXV4MTIzNDU2 refused', 'token dba_[redacted] refused'],
    ['a webhook secret', 'secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw=', 'secret whsec_[redacted]'],
    ['a known literal', 'ADMIN_TOKEN e2e-admin-0123456789abcdef is wrong', 'ADMIN_TOKEN [redacted] is wrong'],
  ])('removes %s from a line, which stays JSON', (_, msg, expected) => {
    const out = redact(line(msg));
    expect(JSON.parse(out)).toEqual({ level: 40, msg: expected });
  });

  it('removes the value of a field named like a secret, escaped quotes included', () => {
    const out = redact(JSON.stringify({ body: { password: 'a"b\\c', token: 'x', name: 'kept' } }));
    expect(JSON.parse(out)).toEqual({ body: { password: '[redacted]', token: '[redacted]', name: 'kept' } });
  });

  it('leaves ordinary text alone: ports, e-mail addresses, short literals', () => {
    const text = line('http://host:8080/path, alice@example.com, a short word, position 12');
    expect(redact(text)).toBe(text);
  });
});
