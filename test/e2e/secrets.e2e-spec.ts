import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, AppFixture, MASTER_KEY } from './app-fixture';
import { Recorded, Scenario } from './scenario';

/**
 * A whole scenario (tokens, an app, add-ons of six types made running, plan changes,
 * backups, a restore, a failover, refusals, the removal of one), then a search for its
 * secrets in everything the app produced: every answer (body and headers), its logs, the
 * events, and the raw bytes of every file in DATA_DIR. A database password may appear in
 * the owner's GET /v1/apps/:app/variables answers and nowhere else; a bearer token only in
 * the answer that issued it; the master key nowhere.
 */
describe('Secrets stay where they belong (a full scenario, then a search)', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);

  const passwords = new Map<string, string>(); // password → variable name
  const tokens = new Map<string, string>(); // token value → who
  const urls = new Map<string, string>(); // variable → first URL the owner saw
  let ownerToken = '';
  let bobPasswords: string[] = [];

  /** An owner's own variables (a 200: another owner gets a 404, which is searched like any answer). */
  const isOwnerVariables = (r: Recorded) =>
    r.role === 'owner' && r.method === 'GET' && r.status === 200 && /^\/v1\/apps\/[^/]+\/variables$/.test(r.path);

  async function ownerVariables(app: string): Promise<Record<string, string>> {
    const response = await s.call(ownerToken, 'GET', `/v1/apps/${app}/variables`);
    expect(response.status).toBe(200);
    const variables: Record<string, string> = {};
    for (const { name, value } of response.body.variables as Array<{ name: string; value: string }>) {
      variables[name] = value;
      if (!value.includes('://')) continue;
      const password = decodeURIComponent(new URL(value).password);
      expect(password).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      passwords.set(password, name);
      if (!urls.has(name)) urls.set(name, value);
    }
    return variables;
  }

  const expectStatus = (response: { status: number; text: string }, status: number) => {
    if (response.status !== status) throw new Error(`expected ${status}, got ${response.status} ${response.text}`);
  };

  beforeAll(async () => {
    await fixture.start();

    // Tokens, one of them with an Idempotency-Key (its answer is kept, sealed).
    ownerToken = await s.token('owner', 'alice');
    const bob = await s.token('owner', 'bob');
    const support = await s.token('support', 'sam');
    const platform = await s.token('platform', 'monitoring');
    const keyed = await s.call(ADMIN_TOKEN, 'POST', '/v1/tokens', { body: { role: 'admin', subject: 'ops' }, headers: { 'Idempotency-Key': 'issue-ops' } });
    expectStatus(keyed, 201);
    const replayed = await s.call(ADMIN_TOKEN, 'POST', '/v1/tokens', { body: { role: 'admin', subject: 'ops' }, headers: { 'Idempotency-Key': 'issue-ops' } });
    expect(replayed.body.token.value).toBe(keyed.body.token.value);
    for (const [value, who] of [[ownerToken, 'alice'], [bob, 'bob'], [support, 'sam'], [platform, 'monitoring'], [keyed.body.token.value, 'ops'], [ADMIN_TOKEN, 'ADMIN_TOKEN']]) {
      tokens.set(value, who);
    }

    // An app, add-ons of six types, all made running.
    await s.createApp(ownerToken, 'vault');
    await s.createApp(bob, 'other');
    const plans: Record<string, string> = {
      postgresql: 'postgresql-starter-512',
      mysql: 'mysql-business-256',
      redis: 'redis-starter-256',
      mongodb: 'mongodb-sandbox',
      elasticsearch: 'elasticsearch-starter-256',
      influxdb: 'influxdb-business-512',
    };
    const ids: Record<string, string> = {};
    for (const [type, plan] of Object.entries(plans)) {
      const response = await s.call(ownerToken, 'POST', '/v1/apps/vault/addons', {
        body: { addon_provider_id: type, plan_id: plan },
        headers: { 'Idempotency-Key': `provision-${type}` },
      });
      expectStatus(response, 201);
      ids[type] = response.body.addon.id;
      await s.completeProvisioning(ids[type]);
    }
    const otherId = await s.runningAddon(bob, 'other', 'postgresql', 'postgresql-starter-256');
    const path = (type: string) => `/v1/apps/vault/addons/${ids[type]}`;

    // The owner reads the variables: the passwords to look for.
    await ownerVariables('vault');
    expect(passwords.size).toBe(6);
    bobPasswords = await (async () => {
      const response = await s.call(bob, 'GET', '/v1/apps/other/variables');
      return (response.body.variables as Array<{ value: string }>).filter((v) => v.value.includes('://')).map((v) => decodeURIComponent(new URL(v.value).password));
    })();
    for (const password of bobPasswords) passwords.set(password, 'bob:SCALINGO_POSTGRESQL_URL');
    expectStatus(await s.call(support, 'GET', '/v1/apps/vault/variables'), 200);
    expectStatus(await s.call(support, 'GET', '/v1/apps/other/variables'), 200);

    // Plan changes, features, a window and a schedule.
    expectStatus(await s.call(ownerToken, 'PATCH', path('postgresql'), { body: { plan_id: 'postgresql-business-1024' } }), 202);
    await s.platform(ids.postgresql, { type: 'RecordRestart', data: { downtimeSeconds: 0 } });
    expectStatus(await s.call(ownerToken, 'PATCH', path('redis'), { body: { plan_id: 'redis-starter-1024' } }), 202);
    await s.platform(ids.redis, { type: 'RecordRestart', data: { downtimeSeconds: 5 } });
    expectStatus(await s.call(ownerToken, 'PATCH', path('mysql'), { body: { plan_id: 'mysql-business-128' } }), 422);
    expectStatus(await s.call(ownerToken, 'PUT', `${path('postgresql')}/features/force-tls`), 200);
    expectStatus(await s.call(ownerToken, 'PUT', `${path('redis')}/features/redis-aof`), 200);
    expectStatus(await s.call(ownerToken, 'PUT', `${path('mysql')}/maintenance-window`, { body: { weekday_utc: 2, starting_hour_utc: 6 } }), 200);
    expectStatus(await s.call(ownerToken, 'PUT', `${path('mysql')}/backup-schedule`, { body: { enabled: true, scheduled_at: '20 Europe/Paris' } }), 200);

    // Backups (one with an Idempotency-Key, retried), a restore, an upgrade.
    const backup = await s.call(ownerToken, 'POST', `${path('postgresql')}/backups`, { headers: { 'Idempotency-Key': 'backup-pg' } });
    expectStatus(backup, 202);
    expectStatus(await s.call(ownerToken, 'POST', `${path('postgresql')}/backups`, { headers: { 'Idempotency-Key': 'backup-pg' } }), 202);
    const backupId = backup.body.backup.id;
    await s.platform(ids.postgresql, { type: 'StartBackup', data: { backupId } });
    await s.platform(ids.postgresql, { type: 'CompleteBackup', data: { backupId, sizeBytes: 4096, checksum: 'sha256:00', replicas: [{ site: 'dc-primary', path: `/${ids.postgresql}/${backupId}.dump.gz` }] } });
    expectStatus(await s.call(ownerToken, 'GET', `${path('postgresql')}/backups`), 200);
    expectStatus(await s.call(support, 'GET', `${path('postgresql')}/backups/${backupId}`), 200);
    const mysqlBackup = await s.call(ownerToken, 'POST', `${path('mysql')}/backups`);
    expectStatus(mysqlBackup, 202);
    await s.platform(ids.mysql, { type: 'CompleteBackup', data: { backupId: mysqlBackup.body.backup.id, sizeBytes: 1, checksum: 'c', replicas: [{ site: 'dc-primary', path: `/${ids.mysql}/${mysqlBackup.body.backup.id}.dump.gz` }] } });
    expectStatus(await s.call(ownerToken, 'POST', `${path('mongodb')}/backups`), 422);
    const restore = await s.call(ownerToken, 'POST', `${path('postgresql')}/restore`, { body: { backup_id: backupId } });
    expectStatus(restore, 202);
    await s.platform(ids.postgresql, { type: 'CompleteRestore', data: { restoreId: restore.body.restore.id } });
    expectStatus(await s.call(ownerToken, 'POST', `${path('mysql')}/restore`, { body: { restore_time: new Date().toISOString() } }), 422);
    expectStatus(await s.call(ownerToken, 'POST', `${path('postgresql')}/upgrade`, { body: { version: '1.0.0' } }), 422);

    // A node failure and a failover on Business, a Starter node down and back.
    const mysql = (await s.call(platform, 'GET', path('mysql'))).body.addon;
    expectStatus(await s.call(platform, 'POST', '/v1/platform/node-failures', { body: { addon_id: ids.mysql, node: mysql.nodes[0].name } }), 202);
    expectStatus(await s.call(platform, 'POST', `${path('mysql')}/failover`), 202);
    await s.platform(ids.mysql, { type: 'CompleteFailover', data: { standby: `${mysql.resource_id}-db-3` } });
    const redis = (await s.call(platform, 'GET', path('redis'))).body.addon;
    expectStatus(await s.call(platform, 'POST', '/v1/platform/node-failures', { body: { addon_id: ids.redis, node: redis.nodes[0].name } }), 202);
    expectStatus(await s.call(platform, 'POST', '/v1/platform/node-recoveries', { body: { addon_id: ids.redis, node: redis.nodes[0].name } }), 202);

    // Refusals of every kind: their messages must not carry a secret either.
    expectStatus(await s.call(bob, 'GET', '/v1/apps/vault/variables'), 404);
    expectStatus(await s.call(bob, 'GET', path('postgresql')), 404);
    expectStatus(await s.call(platform, 'GET', '/v1/apps/vault/variables'), 403);
    expectStatus(await s.call(support, 'PATCH', path('postgresql'), { body: { plan_id: 'postgresql-starter-256' } }), 403);
    expectStatus(await s.call(ownerToken, 'PATCH', path('postgresql'), { body: { plan_id: 1, password: 'guess' } }), 400);
    expectStatus(await s.call(ownerToken, 'POST', '/v1/apps/vault/addons', { body: { addon_provider_id: 'postgresql', plan_id: 'postgresql-sandbox' } }), 409);
    expectStatus(await s.call(null, 'GET', '/v1/apps/vault/variables'), 401);
    expectStatus(await s.call(ownerToken, 'POST', '/v1/apps/vault/addons', { raw: '{"addon_provider_id":', contentType: 'application/json' }), 400);

    // Every read, by every role.
    for (const token of [ownerToken, support, platform]) {
      expectStatus(await s.call(token, 'GET', '/v1/apps'), 200);
      expectStatus(await s.call(token, 'GET', '/v1/apps/vault'), 200);
      expectStatus(await s.call(token, 'GET', '/v1/apps/vault/addons'), 200);
      for (const id of Object.values(ids)) expectStatus(await s.call(token, 'GET', `/v1/apps/vault/addons/${id}`), 200);
    }
    expectStatus(await s.call(ownerToken, 'GET', '/v1/addon-providers'), 200);
    expectStatus(await s.call(null, 'GET', '/health'), 200);

    // The URLs after plan changes and a failover: the same as before (the gateway hides the move).
    await ownerVariables('vault');
    expect(passwords.size).toBe(7);

    // Removal of one: its variables leave the app.
    expectStatus(await s.call(ownerToken, 'DELETE', path('redis')), 200);
    const after = await ownerVariables('vault');
    expect(Object.keys(after).filter((n) => n.includes('REDIS'))).toEqual([]);
    expectStatus(await s.call(ownerToken, 'GET', `${path('redis')}/backups`), 200);
    expect(otherId).toBeTruthy();
  });
  afterAll(() => fixture.dispose());

  /** Where each needle is found among the haystacks; an empty list when nowhere. */
  function findings(needles: Map<string, string>, haystacks: Array<[string, string]>): string[] {
    const found: string[] = [];
    for (const [needle, what] of needles) {
      const forms = [needle, Buffer.from(needle).toString('base64'), Buffer.from(needle).toString('hex'), encodeURIComponent(needle)];
      for (const [where, text] of haystacks) {
        if (forms.some((form) => text.includes(form))) found.push(`${what} in ${where}`);
      }
    }
    return found;
  }

  function dataFiles(dir: string): Array<[string, string]> {
    const files: Array<[string, string]> = [];
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) files.push(...dataFiles(file));
      else files.push([`file ${name}`, readFileSync(file).toString('latin1')]);
    }
    return files;
  }

  const describeAnswer = (r: Recorded) => `${r.role} ${r.method} ${r.path} → ${r.status}`;
  const answerText = (r: Recorded) => `${JSON.stringify(r.headers)}\n${r.text}`;

  it('collected a password per add-on, each different, and shows them masked to support', () => {
    expect(passwords.size).toBe(7);
    expect(new Set(passwords.values()).size).toBeGreaterThanOrEqual(6);
    const supportVariables = s.recorded.filter((r) => r.role === 'support' && r.path.endsWith('/variables'));
    expect(supportVariables.length).toBe(2);
    for (const r of supportVariables) expect(r.text).toContain(':********@');
  });

  it("finds each password in the owner's variables answers, and in no other answer, header or error message", () => {
    const owners = s.recorded.filter(isOwnerVariables);
    for (const [password, name] of passwords) {
      expect([name, owners.some((r) => r.text.includes(password))]).toEqual([name, true]);
    }
    const others = s.recorded.filter((r) => !isOwnerVariables(r));
    expect(others.length).toBeGreaterThan(60);
    expect(findings(passwords, others.map((r) => [describeAnswer(r), answerText(r)]))).toEqual([]);
  });

  it('shows a bearer token only in the answer that issued it (and its replay)', () => {
    const issuing = (r: Recorded) => r.method === 'POST' && r.path === '/v1/tokens' && r.status === 201;
    const others = s.recorded.filter((r) => !issuing(r));
    expect(findings(tokens, others.map((r) => [describeAnswer(r), answerText(r)]))).toEqual([]);
    expect(findings(new Map([[ADMIN_TOKEN, 'ADMIN_TOKEN']]), s.recorded.map((r) => [describeAnswer(r), answerText(r)]))).toEqual([]);
  });

  it('keeps the connection URLs the same across plan changes and a failover', () => {
    const last = s.recorded.filter(isOwnerVariables).filter((r) => r.path === '/v1/apps/vault/variables');
    const secondRead = JSON.parse(last[1].text).variables as Array<{ name: string; value: string }>;
    for (const { name, value } of secondRead) if (urls.has(name)) expect([name, value]).toEqual([name, urls.get(name)]);
  });

  it('finds no password and no bearer token in the events (data and metadata)', async () => {
    const events = await s.store.readAll();
    expect(events.length).toBeGreaterThan(50);
    const text = JSON.stringify(events, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    expect(findings(passwords, [['the events', text]])).toEqual([]);
    expect(findings(tokens, [['the events', text]])).toEqual([]);
    expect(text).not.toContain(MASTER_KEY);
  });

  it('finds no password, bearer token or master key in the logs', () => {
    const logs = fixture.logText();
    expect(logs).toContain('"url":"/v1/apps/vault/variables"');
    expect(findings(passwords, [['the logs', logs]])).toEqual([]);
    expect(findings(tokens, [['the logs', logs]])).toEqual([]);
    const key = Buffer.from(MASTER_KEY, 'base64');
    expect(findings(new Map([[MASTER_KEY, 'MASTER_KEY'], [key.toString('base64url'), 'MASTER_KEY (base64url)'], [key.toString('hex'), 'MASTER_KEY (hex)']]), [['the logs', logs]])).toEqual([]);
    expect(logs).not.toMatch(/authorization|idempotency-key/i);
  });

  it('finds no password, bearer token or master key in any file of DATA_DIR, running or stopped', async () => {
    const key = Buffer.from(MASTER_KEY, 'base64');
    const master = new Map([[MASTER_KEY, 'MASTER_KEY'], [key.toString('hex'), 'MASTER_KEY (hex)']]);
    const check = () => {
      const files = dataFiles(fixture.dataDir);
      expect(files.map(([name]) => name)).toEqual(expect.arrayContaining(['file events.sqlite']));
      expect(findings(passwords, files)).toEqual([]);
      expect(findings(tokens, files)).toEqual([]);
      // Without their dba_ prefix too.
      expect(findings(new Map([...tokens].map(([value, who]) => [value.replace(/^dba_/, ''), who])), files)).toEqual([]);
      expect(findings(master, files)).toEqual([]);
      const all = files.map(([, text]) => text).join('');
      expect(all.includes(key.toString('latin1'))).toBe(false);
      // A control: the search reads real content.
      expect(all).toContain('AddonProvisioned');
      expect(all).toContain('"appName":"vault"');
    };
    check();
    // Stopped (the WAL checkpointed into the database files), then started again on them.
    await fixture.stop();
    check();
    await fixture.start();
    expect((await s.call(ownerToken, 'GET', '/v1/apps/vault')).status).toBe(200);
    check();
  });
});
