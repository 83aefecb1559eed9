import { join } from 'node:path';
import request from 'supertest';
import { EventStore } from '../../src/event-store/event-store.port';
import { idempotencyScope, requestFingerprint } from '../../src/http/idempotency.interceptor';
import { IdempotencyStore } from '../../src/http/idempotency.store';
import { KeyRing } from '../../src/security/key-ring';
import { ADMIN_TOKEN, AppFixture, bearer } from './app-fixture';

/**
 * Idempotency-Key on POST /v1/tokens. That route answers a new token once; replaying the
 * stored answer for a repeated key (the same token again, never a second one) is its
 * documented idempotent behaviour, which is what these cases rely on.
 */
describe('Idempotency-Key (the app over HTTP, across a restart)', () => {
  const fixture = new AppFixture();

  beforeAll(() => fixture.start());
  afterAll(() => fixture.dispose());

  const issue = (key: string | undefined, body: object, token = ADMIN_TOKEN) => {
    const call = request(fixture.http()).post('/v1/tokens').set(bearer(token));
    return (key === undefined ? call : call.set('Idempotency-Key', key)).send(body);
  };
  const tokensIssued = async () =>
    (await fixture.app.get(EventStore).readAll({ filter: { eventTypePrefixes: ['TokenIssued'] } })).length;

  it('replays the first answer for the same key and body: same status and body, and no second token', async () => {
    const before = await tokensIssued();
    const first = await issue('key-replay', { role: 'owner', subject: 'erin' }).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    // Same body with its keys in another order: the same request.
    const again = await issue('key-replay', { subject: 'erin', role: 'owner' }).expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    expect(await tokensIssued()).toBe(before + 1);
  });

  it('answers 422 IDEMPOTENCY.KEY_REUSED for the same key with another body', async () => {
    await issue('key-reused', { role: 'owner', subject: 'frank' }).expect(201);
    const response = await issue('key-reused', { role: 'owner', subject: 'grace' }).expect(422);
    expect(response.body).toEqual({
      error: { code: 'IDEMPOTENCY.KEY_REUSED', message: expect.any(String), details: {} },
    });
  });

  it('replays a final 4xx answer too', async () => {
    const first = await issue('key-invalid', { role: 'nobody', subject: 'x' }).expect(400);
    const again = await issue('key-invalid', { role: 'nobody', subject: 'x' }).expect(400);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('scopes keys to the caller: another admin with the same key gets their own answer', async () => {
    const otherAdmin = (await issue(undefined, { role: 'admin', subject: 'second-admin' }).expect(201)).body.token.value;
    const mine = await issue('key-shared', { role: 'owner', subject: 'heidi' }).expect(201);
    const theirs = await issue('key-shared', { role: 'owner', subject: 'heidi' }, otherAdmin).expect(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.token.value).not.toBe(mine.body.token.value);
  });

  it('runs concurrent repeats once: the others get 409 IDEMPOTENCY.IN_PROGRESS or the replay', async () => {
    const before = await tokensIssued();
    const responses = await Promise.all([1, 2, 3, 4, 5].map(() => issue('key-burst', { role: 'owner', subject: 'ivan' })));
    const fresh = responses.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
    expect(fresh).toHaveLength(1);
    for (const response of responses) {
      if (response.status === 409) expect(response.body.error.code).toBe('IDEMPOTENCY.IN_PROGRESS');
      else expect(response.body).toEqual(fresh[0].body);
    }
    expect(await tokensIssued()).toBe(before + 1);
  });

  it('answers 409 IDEMPOTENCY.IN_PROGRESS while another process holds the key, and runs it once released', async () => {
    const body = { role: 'owner', subject: 'judy' };
    const other = await IdempotencyStore.open({ file: join(fixture.dataDir, 'http.sqlite'), keyRing: fixture.app.get(KeyRing) });
    try {
      const scope = idempotencyScope({ role: 'admin', subject: 'bootstrap' }, 'POST', '/v1/tokens', 'key-elsewhere');
      const claim = await other.claim(scope, requestFingerprint('POST', '/v1/tokens', body));
      expect(claim.kind).toBe('claimed');
      const response = await issue('key-elsewhere', body).expect(409);
      expect(response.body.error.code).toBe('IDEMPOTENCY.IN_PROGRESS');
      if (claim.kind === 'claimed') await other.release(claim.claim);
    } finally {
      await other.close();
    }
    await issue('key-elsewhere', body).expect(201);
  });

  it('refuses a malformed Idempotency-Key with 400 REQUEST.INVALID_HEADER, without repeating it', async () => {
    const key = 'k'.repeat(129);
    const response = await issue(key, { role: 'owner', subject: 'x' }).expect(400);
    expect(response.body.error).toMatchObject({ code: 'REQUEST.INVALID_HEADER', details: { header: 'Idempotency-Key' } });
    expect(response.text).not.toContain(key);
  });

  it('keeps answers across a restart, never keeps a 5xx, and never logs keys or answers', async () => {
    const first = await issue('key-restart', { role: 'support', subject: 'mallory' }).expect(201);
    const token: string = first.body.token.value;

    // A 500: the store is gone. The answer is not kept, so the retry after the restart runs.
    await fixture.app.get(EventStore).close();
    const failed = await issue('key-after-failure', { role: 'owner', subject: 'niaj' }).expect(500);
    expect(failed.body).toEqual({ error: { code: 'INTERNAL.ERROR', message: expect.any(String), details: {} } });

    await fixture.stop();
    await fixture.start();

    const replayed = await issue('key-restart', { role: 'support', subject: 'mallory' }).expect(201);
    expect(replayed.body).toEqual(first.body);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    await issue('key-restart', { role: 'support', subject: 'other' }).expect(422);
    const retried = await issue('key-after-failure', { role: 'owner', subject: 'niaj' }).expect(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();

    // The stored answer holds the token, sealed: not in clear on disk, nor in the logs.
    expect(fixture.fileText('http.sqlite')).not.toContain(token);
    const logs = fixture.logText();
    expect(logs).not.toContain(token);
    expect(logs).not.toContain('key-restart');
    expect(logs).not.toContain('key-after-failure');
  });
});
