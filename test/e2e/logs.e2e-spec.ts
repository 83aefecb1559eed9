import { randomBytes } from 'node:crypto';
import { PlatformDriver } from '../../src/platform/driver/platform-driver.port';
import { SimulatedPlatformDriver } from '../../src/platform/driver/simulated-platform-driver';
import { WebhookReceiver } from '../support/webhook-receiver';
import { ADMIN_TOKEN, AppFixture, MASTER_KEY } from './app-fixture';
import { Scenario } from './scenario';

interface LogLine {
  level: number;
  msg?: string;
  context?: string;
  correlation_id?: unknown;
  actor?: unknown;
  req?: { id?: string; url?: string; method?: string };
  [key: string]: unknown;
}

/**
 * The logs of the real app while it handles secrets, with the platform runtime and webhook
 * deliveries on: tokens issued (and ADMIN_TOKEN used), a database provisioned by the sagas
 * and jobs, its password read by its owner, a webhook with a known secret delivering to a
 * loopback receiver, a backup's download link used, and a data-plane error whose message
 * quotes the database URL with its password. Every line must be JSON with a
 * `correlation_id`: a request's lines the X-Request-Id it was sent with, a job's or a
 * delivery's the X-Request-Id of the request behind it, a projection's its own id, the
 * rest the one id of the process; and no secret may appear in any line.
 */
describe('Logs: a correlation id on every line, no secret in any', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  const receiver = new WebhookReceiver();
  /** Secret → what it is. */
  const secrets = new Map<string, string>();
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  let alice = '';
  let addonId = '';
  let lines: LogLine[] = [];
  let raw: string[] = [];

  const path = () => `/v1/apps/shop/addons/${addonId}`;
  /** A call with our own X-Request-Id, so that its lines can be found. */
  const call = (token: string | null, requestId: string, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) =>
    s.call(token, method, url, { headers: { 'X-Request-Id': requestId }, ...(body !== undefined && { body }) });

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`waited 20 s for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    await receiver.start();
    receiver.mode('/down', 503);
    await fixture.start({
      PLATFORM_RUNTIME: 'on',
      RUNTIME_POLL_MS: '20',
      DRIVER_LATENCY_SCALE: '0',
      WEBHOOK_ALLOWED_RANGES: 'loopback',
      // A failed delivery is dead-lettered at once: its warning is a delivery's line.
      WEBHOOK_RETRY_FOR_MS: '0',
      READ_WAIT_MS: '100',
    });

    // Tokens: ADMIN_TOKEN issues them; each answer shows one once.
    for (const [role, subject] of [['owner', 'alice'], ['support', 'sam']] as const) {
      const issued = await call(ADMIN_TOKEN, `issue-${subject}`, 'POST', '/v1/tokens', { role, subject });
      expect(issued.status).toBe(201);
      secrets.set(issued.body.token.value, `the token of ${subject}`);
      if (subject === 'alice') alice = issued.body.token.value;
    }
    expect((await call(alice, 'create-shop', 'POST', '/v1/apps', { name: 'shop' })).status).toBe(201);

    // A webhook with a known secret, receiving every event; another whose receiver is down.
    const hook = await call(alice, 'create-webhook', 'POST', '/v1/webhooks', { url: receiver.url('/hooks'), event_types: ['*'], secret: webhookSecret });
    expect(hook.status).toBe(201);
    receiver.expect('/hooks', webhookSecret);
    expect((await call(alice, 'create-down-webhook', 'POST', '/v1/webhooks', { url: receiver.url('/down'), event_types: ['AppCreated'] })).status).toBe(201);

    // Provisioned by the sagas and jobs; the owner reads its password.
    const provisioned = await call(alice, 'provision-pg', 'POST', '/v1/apps/shop/addons', { addon_provider_id: 'postgresql', plan_id: 'postgresql-starter-256' });
    expect(provisioned.status).toBe(201);
    addonId = provisioned.body.addon.id;
    await until('the add-on running', async () => ((await s.call(alice, 'GET', path())).body.addon?.status === 'running' ? true : undefined));
    const variables = await call(alice, 'read-variables', 'GET', '/v1/apps/shop/variables');
    const url = (variables.body.variables as Array<{ value: string }>).map((v) => v.value).find((v) => v.includes('://'))!;
    const password = decodeURIComponent(new URL(url).password);
    expect(password.length).toBeGreaterThan(20);
    secrets.set(password, 'the database password');

    // A backup taken by the platform, and its download link used: the link's token is a credential.
    const backup = await call(alice, 'request-backup', 'POST', `${path()}/backups`);
    expect(backup.status).toBe(202);
    const backupId: string = backup.body.backup.id;
    await until('the backup done', async () => ((await s.call(alice, 'GET', `${path()}/backups/${backupId}`)).body.backup?.status === 'done' ? true : undefined));
    const link = await call(alice, 'archive-link', 'GET', `${path()}/backups/${backupId}/archive`);
    expect(link.status).toBe(200);
    const token = String(link.body.download_url).split('/').at(-1)!;
    secrets.set(token, 'a download link token');
    secrets.set(token.split('.')[1], "a download link token's MAC");
    expect((await call(null, 'download-archive', 'GET', new URL(link.body.download_url, 'http://x').pathname)).status).toBe(200);

    // The data plane fails with an error quoting the database URL, password included.
    (fixture.app.get(PlatformDriver) as SimulatedPlatformDriver).failNext('takeBackup', {
      retryable: true,
      reason: `pg_dump: connection to ${url} failed: FATAL: password authentication failed`,
    });
    expect((await call(alice, 'failing-backup', 'POST', `${path()}/backups`)).status).toBe(202);
    // An app whose AppCreated goes to the receiver that is down: its delivery is dead-lettered.
    expect((await call(alice, 'create-second', 'POST', '/v1/apps', { name: 'second' })).status).toBe(201);
    // A query that waits for a position the read models never reach: a line logged inside the request.
    expect((await call(alice, 'read-behind', 'GET', '/v1/apps/shop/events?min_position=999999999')).status).toBe(503);

    await receiver.until(() => receiver.accepted('/hooks').some((r) => r.body.includes('"second"')), 'the second app delivered');
    await until('the failed job and the dead-lettered delivery logged', async () => {
      const text = fixture.logText();
      return /failed \(attempt 1\)/.test(text) && /dead-lettered/.test(text) ? true : undefined;
    });

    secrets.set(ADMIN_TOKEN, 'ADMIN_TOKEN');
    secrets.set(webhookSecret, 'the webhook secret');
    secrets.set(webhookSecret.slice('whsec_'.length), 'the webhook secret without its prefix');
    const key = Buffer.from(MASTER_KEY, 'base64');
    for (const encoding of ['base64', 'base64url', 'hex'] as const) secrets.set(key.toString(encoding), `MASTER_KEY (${encoding})`);

    raw = fixture.logText().split('\n').filter((line) => line.trim() !== '');
    lines = raw.map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`a log line is not JSON: ${line.slice(0, 300)}`);
      }
    });
  });
  afterAll(async () => {
    await fixture.dispose();
    await receiver.stop();
  });

  const requestLines = (id: string) => lines.filter((l) => l.req?.id === id);

  it('delivered every event to the webhook, signed with the known secret', () => {
    const delivered = receiver.accepted('/hooks');
    expect(delivered.length).toBeGreaterThan(5);
    expect(delivered.every((r) => r.verified)).toBe(true);
  });

  it('writes every line as JSON with a correlation id', () => {
    expect(lines.length).toBeGreaterThan(30);
    const without = lines.filter((l) => typeof l.correlation_id !== 'string' || l.correlation_id === '');
    expect(without.map((l) => JSON.stringify(l).slice(0, 200))).toEqual([]);
  });

  it("gives each request's lines the X-Request-Id it was sent with, and the caller as actor", () => {
    for (const id of ['issue-alice', 'create-shop', 'create-webhook', 'provision-pg', 'read-variables', 'request-backup', 'archive-link', 'download-archive', 'failing-backup', 'create-second', 'read-behind']) {
      const found = requestLines(id);
      expect([id, found.length > 0]).toEqual([id, true]);
      for (const line of found) expect([id, line.correlation_id]).toEqual([id, id]);
    }
    for (const line of lines.filter((l) => l.req)) expect(line.correlation_id).toBe(line.req!.id);
    expect(requestLines('read-variables').every((l) => l.actor === 'owner:alice')).toBe(true);
    expect(requestLines('issue-alice').every((l) => l.actor === 'admin:bootstrap')).toBe(true);
    expect(requestLines('download-archive').every((l) => l.actor === undefined)).toBe(true);
  });

  it("gives a line logged by code a request calls (the error filter's) the request's id", () => {
    const filtered = lines.filter((l) => l.context === 'HTTP' && /Answered 503/.test(String(l.msg)));
    expect(filtered).toHaveLength(1);
    expect(filtered[0]).toMatchObject({ correlation_id: 'read-behind', actor: 'owner:alice' });
  });

  it("gives a job's lines the id of the request behind it, and its actor", () => {
    const job = lines.filter((l) => l.context === 'JobWorker' && /take-backup\) failed \(attempt 1\)/.test(String(l.msg)));
    expect(job).toHaveLength(1);
    expect(job[0]).toMatchObject({ correlation_id: 'failing-backup', actor: 'platform:backups' });
  });

  it("gives a webhook delivery's lines the id of the request that made the delivered event", () => {
    const dead = lines.filter((l) => l.context === 'WebhookDeliverer' && /dead-lettered/.test(String(l.msg)));
    expect(dead.map((l) => l.correlation_id)).toEqual(['create-second']);
  });

  it("gives a projection's lines the projection's id, and every other line the process's one id", () => {
    const projections = lines.filter((l) => String(l.context).startsWith('Projection '));
    expect(projections.length).toBeGreaterThan(0);
    for (const line of projections) expect(line.correlation_id).toBe(`projection:${String(line.context).slice('Projection '.length)}`);
    const others = lines.filter((l) => !l.req && !['HTTP', 'JobWorker', 'WebhookDeliverer'].includes(String(l.context)) && !String(l.context).startsWith('Projection '));
    expect(others.some((l) => /successfully started/.test(String(l.msg)))).toBe(true);
    const ids = new Set(others.map((l) => l.correlation_id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^process:[0-9a-f-]{36}$/);
  });

  it('shows no secret in any line: tokens, ADMIN_TOKEN, MASTER_KEY, the password, the webhook secret, a link token', () => {
    expect(secrets.size).toBe(11);
    const found: string[] = [];
    for (const [secret, what] of secrets) {
      for (const line of raw) if (line.includes(secret) || line.includes(encodeURIComponent(secret))) found.push(`${what} in ${line.slice(0, 200)}`);
    }
    expect(found).toEqual([]);
  });

  it('still logs what the secrets were in, redacted: the failing job quotes the URL without its password', () => {
    const job = lines.find((l) => l.context === 'JobWorker' && /failed \(attempt 1\)/.test(String(l.msg)))!;
    expect(job.msg).toMatch(/pg_dump: connection to postgres:\/\/[^:]+:\[redacted\]@[^ ]+ failed/);
    expect(requestLines('download-archive').map((l) => l.req?.url)).toContain('/v1/backup-archives/[redacted]');
  });
});
