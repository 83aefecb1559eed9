import request from 'supertest';
import { EventStore } from '../../src/event-store/event-store.port';
import { tokenStream } from '../../src/security/token.service';
import { ADMIN_TOKEN, AppFixture, bearer } from './app-fixture';

describe('Bearer tokens and roles (the app over HTTP)', () => {
  const fixture = new AppFixture();

  beforeAll(() => fixture.start());
  afterAll(() => fixture.dispose());

  const issue = (token: string, body: object, headers: Record<string, string> = {}) =>
    request(fixture.http()).post('/v1/tokens').set(bearer(token)).set(headers).send(body);

  describe('401 and 403', () => {
    it('lets GET /health through without a token (public)', async () => {
      await request(fixture.http()).get('/health').expect(200);
    });

    it('answers 401 AUTH.MISSING_TOKEN without an Authorization header, with WWW-Authenticate: Bearer', async () => {
      const response = await request(fixture.http()).post('/v1/tokens').send({ role: 'owner', subject: 'a' }).expect(401);
      expect(response.body).toEqual({ error: { code: 'AUTH.MISSING_TOKEN', message: expect.any(String), details: {} } });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="db-addons"');
    });

    it.each([
      ['an unknown token', 'Bearer dba_unknownunknownunknownunknownunknown1234'],
      ['another scheme', `Basic ${ADMIN_TOKEN}`],
      ['a bare scheme', 'Bearer'],
      ['two tokens', `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`],
      ['a short token', 'Bearer abc'],
    ])('answers 401 AUTH.INVALID_TOKEN for %s, and never repeats it', async (_, authorization) => {
      const response = await request(fixture.http())
        .post('/v1/tokens')
        .set('Authorization', authorization)
        .send({ role: 'owner', subject: 'a' })
        .expect(401);
      expect(response.body.error.code).toBe('AUTH.INVALID_TOKEN');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="db-addons", error="invalid_token"');
      expect(response.text).not.toContain(authorization.split(' ')[1] ?? authorization);
    });

    it('answers 403 AUTH.FORBIDDEN to a valid token of a role the route does not list', async () => {
      const owner = (await issue(ADMIN_TOKEN, { role: 'owner', subject: 'carol' }).expect(201)).body.token.value;
      const response = await issue(owner, { role: 'admin', subject: 'carol' }).expect(403);
      expect(response.body).toEqual({
        error: { code: 'AUTH.FORBIDDEN', message: expect.stringContaining('admin'), details: { roles: ['admin'] } },
      });
    });
  });

  describe('POST /v1/tokens', () => {
    it('lets the admin issue an owner token, shown once, which then authenticates as that owner', async () => {
      const response = await issue(ADMIN_TOKEN, { role: 'owner', subject: 'alice@example.com' }, { 'X-Request-Id': 'issue-alice-1' }).expect(201);
      expect(response.body).toEqual({
        token: { role: 'owner', subject: 'alice@example.com', created_at: expect.any(String), value: expect.stringMatching(/^dba_/) },
      });
      expect(new Date(response.body.token.created_at).toISOString()).toBe(response.body.token.created_at);
      const value: string = response.body.token.value;

      // Authenticated (403, not 401): owners may not issue tokens.
      await issue(value, { role: 'owner', subject: 'x' }).expect(403);

      const [event] = await fixture.app.get(EventStore).readStream(tokenStream(value));
      expect(event).toMatchObject({
        type: 'TokenIssued',
        data: { role: 'owner', subject: 'alice@example.com' },
        metadata: { actor: 'admin:bootstrap', $correlationId: 'issue-alice-1', schemaVersion: 1 },
      });
      expect(JSON.stringify([event.data, event.metadata])).not.toContain(value);
    });

    it('keeps the plaintext token and ADMIN_TOKEN out of the event store file and out of the logs', async () => {
      const value: string = (await issue(ADMIN_TOKEN, { role: 'support', subject: 'dave' }).expect(201)).body.token.value;
      await issue(value, { role: 'owner', subject: 'y' }).expect(403);
      const storeBytes = fixture.fileText('events.sqlite');
      expect(storeBytes).toContain(tokenStream(value));
      const logs = fixture.logText();
      expect(logs).toContain('"url":"/v1/tokens"');
      for (const secret of [value, value.slice(4), ADMIN_TOKEN]) {
        expect(storeBytes).not.toContain(secret);
        expect(logs).not.toContain(secret);
      }
      expect(logs).not.toMatch(/authorization/i);
    });

    it('refuses an invalid body with every failing field, unknown ones included', async () => {
      const response = await issue(ADMIN_TOKEN, { role: 'root', subject: 'has spaces', expires: 'never' }).expect(400);
      expect(response.body.error.code).toBe('VALIDATION.FAILED');
      const fields = response.body.error.details.fields.map((f: { field: string }) => f.field).sort();
      expect(fields).toEqual(['expires', 'role', 'subject']);
      expect(response.text).not.toContain('has spaces');
      expect(response.text).not.toContain('never');
    });

    it('refuses a missing body as missing fields', async () => {
      const response = await request(fixture.http()).post('/v1/tokens').set(bearer(ADMIN_TOKEN)).expect(400);
      expect(response.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['role', 'subject']);
    });
  });

  describe('OpenAPI', () => {
    it('serves the document at /docs/json without a token, with bearer auth on protected routes only', async () => {
      const { body } = await request(fixture.http()).get('/docs/json').expect(200);
      expect(body.openapi).toMatch(/^3\./);
      expect(body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      const issueOperation = body.paths['/v1/tokens'].post;
      expect(issueOperation.security).toEqual([{ bearer: [] }]);
      expect(issueOperation['x-roles']).toEqual(['admin']);
      expect(issueOperation.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
      expect(body.paths['/health'].get.security).toBeUndefined();
      expect(body.components.schemas.IssueTokenDto.required).toEqual(['role', 'subject']);
    });

    it('serves Swagger UI at /docs without a token', async () => {
      const response = await request(fixture.http()).get('/docs').expect(200);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(response.text).toContain('swagger');
      await request(fixture.http()).get('/docs/swagger-ui-bundle.js').expect(200);
    });
  });
});
