import { BadRequestException, ForbiddenException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { ConcurrencyError } from '../event-store/event-store.port';
import { DomainError } from '../shared/domain/domain-error';
import { describeError } from './error-response';

describe('describeError', () => {
  it('answers a DomainError with the status of its code, its message and its details', () => {
    expect(describeError(new DomainError('ADDON.NOT_FOUND', 'No such add-on.', { addon_id: 'a1' }))).toEqual({
      status: 404,
      body: { error: { code: 'ADDON.NOT_FOUND', message: 'No such add-on.', details: { addon_id: 'a1' } } },
      headers: {},
    });
    expect(describeError(new DomainError('BACKUP.NOT_AVAILABLE_ON_SANDBOX', 'No backups on sandbox.')).status).toBe(422);
  });

  it('turns bigints in details into strings rather than failing to answer', () => {
    const answer = describeError(new ConcurrencyError('addon-1', 3n, 4n));
    expect(answer.status).toBe(409);
    expect(JSON.stringify(answer.body)).toContain('"CONCURRENCY.CONFLICT"');
    expect(describeError(new DomainError('X.Y', 'm', { position: 10n })).body).toMatchObject({ error: { details: { position: '10' } } });
  });

  it('adds WWW-Authenticate to 401s, with invalid_token only when a token was sent', () => {
    expect(describeError(new DomainError('AUTH.MISSING_TOKEN', 'm')).headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="db-addons"' });
    expect(describeError(new DomainError('AUTH.INVALID_TOKEN', 'm')).headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="db-addons", error="invalid_token"',
    });
  });

  it("gives Nest's HTTP exceptions a code and a fixed message, never their own (which may quote the request)", () => {
    const notFound = describeError(new NotFoundException('Cannot GET /v1/apps?token=secret'));
    expect(notFound).toMatchObject({ status: 404, body: { error: { code: 'ROUTE.NOT_FOUND' } } });
    expect(JSON.stringify(notFound)).not.toContain('secret');
    expect(describeError(new ForbiddenException()).body).toMatchObject({ error: { code: 'AUTH.FORBIDDEN' } });
    expect(describeError(new BadRequestException('Unexpected token s in "secret"')).body).toEqual({
      error: { code: 'REQUEST.INVALID', message: 'The request is invalid.', details: {} },
    });
  });

  it('answers anything else with 500 INTERNAL.ERROR and a generic message', () => {
    for (const thrown of [new Error('SQLITE_CORRUPT at /var/lib/secret.db'), 'a string', null, { status: 500 }]) {
      const answer = describeError(thrown);
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({ error: { code: 'INTERNAL.ERROR', message: expect.any(String), details: {} } });
      expect(JSON.stringify(answer.body)).not.toContain('secret');
    }
    expect(describeError(new DomainError('INTERNAL.ERROR', 'stack: /srv/secret')).body).not.toMatchObject({
      error: { message: expect.stringContaining('secret') },
    });
  });

  it("passes terminus's health report through with its 503", () => {
    const report = { status: 'error', info: {}, error: { eventStore: { status: 'down' } }, details: { eventStore: { status: 'down' } } };
    expect(describeError(new ServiceUnavailableException(report))).toEqual({ status: 503, body: report, headers: {} });
    expect(describeError(new ServiceUnavailableException()).body).toMatchObject({ error: { code: 'SERVICE.UNAVAILABLE' } });
  });

  it('trusts the status of Express errors only for client errors', () => {
    expect(describeError(Object.assign(new Error('x'), { status: 413, type: 'entity.too.large' })).body).toMatchObject({
      error: { code: 'REQUEST.TOO_LARGE' },
    });
  });
});
