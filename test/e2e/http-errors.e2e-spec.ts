import request from 'supertest';
import { ADMIN_TOKEN, AppFixture, bearer } from './app-fixture';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECRET = 'hunter2-do-not-echo';

describe('Request ids and the error shape (the app over HTTP)', () => {
  const fixture = new AppFixture();

  beforeAll(() => fixture.start());
  afterAll(() => fixture.dispose());

  const post = (body: string, headers: Record<string, string> = {}) =>
    request(fixture.http())
      .post('/v1/tokens')
      .set(bearer(ADMIN_TOKEN))
      .set({ 'Content-Type': 'application/json', ...headers })
      .send(body);

  const expectErrorShape = (body: unknown, code: string) =>
    expect(body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });

  describe('X-Request-Id', () => {
    it('echoes an acceptable X-Request-Id, on success and on errors', async () => {
      const ok = await request(fixture.http()).get('/health').set('X-Request-Id', 'client-req.42:a_b-c').expect(200);
      expect(ok.headers['x-request-id']).toBe('client-req.42:a_b-c');
      const failed = await request(fixture.http()).get('/nowhere').set('X-Request-Id', 'client-req-43').expect(404);
      expect(failed.headers['x-request-id']).toBe('client-req-43');
      const unauthorized = await request(fixture.http()).post('/v1/tokens').set('X-Request-Id', 'client-req-44').expect(401);
      expect(unauthorized.headers['x-request-id']).toBe('client-req-44');
    });

    it('generates a UUID when none is sent, a new one per request, also on a body-parser failure', async () => {
      const a = await request(fixture.http()).get('/health').expect(200);
      const b = await request(fixture.http()).get('/health').expect(200);
      const c = await post('{').expect(400);
      for (const response of [a, b, c]) expect(response.headers['x-request-id']).toMatch(UUID);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it.each([
      ['too long', 'x'.repeat(129)],
      ['with a space', 'abc def'],
      ['with a slash or quote', `a/b"${SECRET}`],
    ])('refuses an X-Request-Id %s with 400 REQUEST.INVALID_HEADER, answering with a fresh id and never the value', async (_, value) => {
      const response = await request(fixture.http()).get('/health').set('X-Request-Id', value).expect(400);
      expectErrorShape(response.body, 'REQUEST.INVALID_HEADER');
      expect(response.body.error.details).toEqual({ header: 'X-Request-Id' });
      expect(response.headers['x-request-id']).toMatch(UUID);
      expect(response.text).not.toContain(value);
    });

    it('uses the request id as the request id of the logs', async () => {
      await request(fixture.http()).post('/v1/tokens').set('X-Request-Id', 'find-me-in-the-logs').expect(401);
      expect(fixture.logText()).toContain('"id":"find-me-in-the-logs"');
    });
  });

  describe('the error shape', () => {
    it('answers 404 ROUTE.NOT_FOUND for an unknown route, without repeating the path or query', async () => {
      const response = await request(fixture.http()).get(`/v2/unknown?token=${SECRET}`).expect(404);
      expectErrorShape(response.body, 'ROUTE.NOT_FOUND');
      expect(response.text).not.toContain(SECRET);
      expect(response.text).not.toContain('/v2/unknown');
      await request(fixture.http()).delete('/v1/tokens').set(bearer(ADMIN_TOKEN)).expect(404);
    });

    it('answers 400 REQUEST.MALFORMED_JSON for a body that is not JSON, without quoting it', async () => {
      const response = await post(`{"role":"owner","subject":${SECRET}}`).expect(400);
      expectErrorShape(response.body, 'REQUEST.MALFORMED_JSON');
      expect(response.text).not.toContain(SECRET);
      expectErrorShape((await post('"just a string"').expect(400)).body, 'REQUEST.MALFORMED_JSON');
    });

    it('answers 413 REQUEST.TOO_LARGE for a body over 64 kB', async () => {
      const body = JSON.stringify({ role: 'owner', subject: 'a', padding: 'x'.repeat(70_000) });
      const response = await post(body).expect(413);
      expectErrorShape(response.body, 'REQUEST.TOO_LARGE');
      expect(response.headers['x-request-id']).toMatch(UUID);
    });

    it('answers 415 REQUEST.UNSUPPORTED_MEDIA_TYPE for a write whose body is not JSON', async () => {
      const response = await request(fixture.http())
        .post('/v1/tokens')
        .set(bearer(ADMIN_TOKEN))
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send(`role=owner&subject=${SECRET}`)
        .expect(415);
      expectErrorShape(response.body, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
      expect(response.text).not.toContain(SECRET);
    });

    it.each([
      ['__proto__ at the top', '{"role":"owner","subject":"a","__proto__":{"isAdmin":true}}', '__proto__'],
      ['constructor.prototype', '{"role":"owner","subject":"a","constructor":{"prototype":{"isAdmin":true}}}', 'constructor'],
      ['__proto__ nested', '{"role":"owner","subject":"a","x":[{"__proto__":{"isAdmin":true}}]}', 'x.0.__proto__'],
    ])('refuses a body with %s as an unknown field (400), and pollutes nothing', async (_, body, field) => {
      const response = await post(body).expect(400);
      expectErrorShape(response.body, 'VALIDATION.FAILED');
      expect(response.body.error.details.fields).toEqual([{ field, messages: [expect.stringMatching(/should not exist/)] }]);
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>).isAdmin).toBeUndefined();
    });

    it('answers 400 REQUEST.TOO_DEEP for a body nested deeper than 32 levels', async () => {
      const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
      expectErrorShape((await post(deep).expect(400)).body, 'REQUEST.TOO_DEEP');
    });

    it('gives nested paths and every message of every failing field', async () => {
      const response = await post(JSON.stringify({ subject: 7, extra: { deeper: true } })).expect(400);
      expect(response.body.error.details.fields).toEqual(
        expect.arrayContaining([
          { field: 'role', messages: [expect.stringContaining('role must be one of')] },
          { field: 'subject', messages: expect.arrayContaining([expect.stringContaining('subject must be')]) },
          { field: 'extra', messages: ['property extra should not exist'] },
        ]),
      );
    });
  });
});
