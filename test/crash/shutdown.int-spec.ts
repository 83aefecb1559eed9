import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http, { IncomingHttpHeaders } from 'node:http';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoredEvent } from '../../src/event-store/event-store.port';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { ADMIN_TOKEN, AppProcess, call, childEnv, expectStatus, JobRow, mapLimit, queryReadOnly, waitFor } from './platform-process';

/*
 * SIGTERM while writes are in flight (issue "Production readiness"): the real server in a
 * child process, run as `npm start` runs it (`serve`), with 5 backups being taken, 50 writes
 * received but not yet answered (their bodies still to come), an open event feed and an
 * idle keep-alive connection. It must refuse new connections, close the idle one at once,
 * end the feed, answer every write it had, close their connections (even one its client
 * keeps open), stop its runners at a checkpoint, hand the running jobs back, close its
 * stores and exit with 0 within a generous bound (Apollo's drain alone waits up to 10 s for
 * open connections). Every write answered 2xx is in the log; the read models equal a
 * replay; a restart resumes the flows (each backup taken once) from where the first
 * process left them. Then: a stop held by a request that never completes ends at
 * SHUTDOWN_TIMEOUT_MS, with exit code 1 and a line saying what was still open.
 */

const ROOT = join(__dirname, '../..');
const TYPES = ['postgresql', 'mysql', 'mongodb', 'redis', 'elasticsearch'] as const;
const APPS = 5;
/** Provisioning 3 s, a backup 12 s: longer than the stop may take, so backups are cut short by it. */
const LATENCY_SCALE = '0.1';
/** Add-ons whose backup is running (waiting on the data plane) when the stop comes. */
const RUNNING_BACKUPS = 5;
/** Far beyond the test: only a job handed back at the stop can run again in the second process. */
const LEASE_MS = '600000';
/** Generous: the stop takes a second or two; Apollo's drain alone would hold an open connection 10 s. */
const EXIT_BOUND_MS = 8_000;
const TIMER_KEYS = /^(periodic-backup|daily-retention):/;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

/**
 * A write whose headers are sent with `Expect: 100-continue` and whose body waits for
 * `send()`: once `received` resolves, the server has the request (it answered 100 Continue)
 * and is handling it, waiting for the body. `answer` rejects if the answer is cut.
 */
function heldWrite(base: string, token: string, method: string, path: string, body: unknown = {}) {
  const payload = JSON.stringify(body);
  const req = http.request(new URL(path, base), {
    method,
    agent: false,
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(payload),
      Expect: '100-continue',
    },
  });
  const received = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('aborted', () => reject(new Error(`${method} ${path}: answer cut after ${text.length} characters`)));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }));
    });
  });
  answer.catch(() => undefined); // awaited later
  req.flushHeaders();
  return { received, send: () => req.end(payload), answer };
}

/**
 * The same over a raw keep-alive connection that never closes its own side: once
 * answered, only the server can close it. `closed` resolves when it does.
 */
function heldRawWrite(base: string, token: string, path: string, body: unknown) {
  const payload = JSON.stringify(body);
  const socket: Socket = connect({ port: Number(new URL(base).port), host: '127.0.0.1', allowHalfOpen: true });
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const closed = new Promise<number>((resolve) => {
    socket.once('end', () => resolve(Date.now()));
    socket.once('close', () => resolve(Date.now()));
  });
  closed.then(() => socket.destroy()).catch(() => undefined);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nExpect: 100-continue\r\n\r\n`,
  );
  const received = waitFor('100 Continue', 10_000, async () => (text.includes('100 Continue') ? true : text));
  const answer = (async (): Promise<Answer> => {
    let timer: NodeJS.Timeout | undefined;
    const kept = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the server kept the connection of POST ${path} open ${EXIT_BOUND_MS} ms: ${text}`)), EXIT_BOUND_MS);
    });
    await Promise.race([closed, kept]).finally(() => clearTimeout(timer));
    const response = text.slice(text.indexOf('\r\n\r\n') + 4);
    const [head, bodyText] = response.split('\r\n\r\n');
    const [statusLine, ...headerLines] = head.split('\r\n');
    const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(bodyText) };
  })();
  answer.catch(() => undefined);
  return { received, send: () => socket.write(payload), answer };
}

/**
 * A keep-alive connection that made one request and then stays idle, never closing its own
 * side (as some clients and proxies do). `closed` resolves when the server closes it.
 */
async function idleKeepAlive(base: string): Promise<{ closed: Promise<number> }> {
  const { port } = new URL(base);
  const socket: Socket = connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
  const closed = new Promise<number>((resolve) => {
    socket.once('end', () => resolve(Date.now()));
    socket.once('close', () => resolve(Date.now()));
  });
  closed.then(() => socket.destroy()).catch(() => undefined);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
  await waitFor('the /health answer on the keep-alive connection', 5_000, async () => (/\r\n\r\n\{.*\}$/s.test(text) ? true : text));
  expect(text).toMatch(/^HTTP\/1\.1 200/);
  expect(text).toMatch(/connection: keep-alive/i);
  return { closed };
}

/** An open event feed; `ended` resolves when the server ends it cleanly (rejects if it breaks). */
async function openFeed(base: string, token: string): Promise<{ ended: Promise<string> }> {
  const response = await fetch(`${base}/v1/events`, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const ended = (async () => {
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += Buffer.from(value).toString('utf8');
    }
  })();
  ended.catch(() => undefined);
  return { ended };
}

function projectionsCheck(dataDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/projections.cli.ts', 'check'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, EVENTSTORE_CONNECTION_STRING: '' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function readLog(file: string): Promise<StoredEvent[]> {
  const store = await SqliteEventStore.open({ file });
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
}

describe('SIGTERM: in-flight writes answered, runners stopped at a checkpoint, exit 0', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'db-addons-shutdown-'));
  // Attachments are settled a second after they happen, so that the restarted process
  // runs every settling job (a no-op here: each add-on began) before it stops.
  const env = childEnv(dataDir, {
    LOG_LEVEL: 'info',
    DRIVER_LATENCY_SCALE: LATENCY_SCALE,
    RUNTIME_POLL_MS: '50',
    RUNTIME_LEASE_MS: LEASE_MS,
    RUNTIME_SETTLE_AFTER_MS: '1000',
  });
  const file = (name: string) => join(dataDir, name);
  let first: AppProcess;
  let second: AppProcess | undefined;
  let owner = '';
  const addons: Array<{ app: string; id: string }> = [];
  const runningBackups: string[] = [];
  const answers: Array<{ what: string; answer: Answer }> = [];
  let exit: { code: number | null; signal: NodeJS.Signals | null };
  let signalledAt = 0;
  let exitedAt = 0;
  let idleClosedAt = 0;
  let firstAnsweredAt = 0;
  let feedText = '';
  let refused: Array<{ ok: boolean; code?: string }> = [];

  afterAll(async () => {
    first?.kill('SIGKILL');
    second?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    first = new AppProcess(env);
    await first.ready();
    const base = first.url;
    owner = (await expectStatus(call(base, ADMIN_TOKEN, 'POST', '/v1/tokens', { role: 'owner', subject: 'alice' }), 201, 'token')).body.token.value;
    for (let a = 0; a < APPS; a++) {
      await expectStatus(call(base, owner, 'POST', '/v1/apps', { name: `shop-${a}` }), 201, 'app');
      for (const type of TYPES) {
        const { body } = await expectStatus(
          call(base, owner, 'POST', `/v1/apps/shop-${a}/addons`, { addon_provider_id: type, plan_id: `${type}-starter-256` }),
          201,
          `provision ${type}`,
        );
        addons.push({ app: `shop-${a}`, id: body.addon.id });
      }
    }
    await waitFor('every add-on running', 30_000, async () => {
      const states = await mapLimit(addons, 8, async ({ app, id }) => (await call(base, owner, 'GET', `/v1/apps/${app}/addons/${id}`)).body.addon.status);
      return states.every((s) => s === 'running') ? true : states.join(' ');
    });

    // Jobs in the middle of their work: backups the data plane is taking.
    for (const { app, id } of addons.slice(0, RUNNING_BACKUPS)) {
      const { body } = await expectStatus(call(base, owner, 'POST', `/v1/apps/${app}/addons/${id}/backups`), 202, 'backup');
      runningBackups.push(body.backup.id);
    }
    await waitFor('the first backups running', 15_000, async () => {
      const states = await mapLimit(addons.slice(0, RUNNING_BACKUPS), 5, async ({ app, id }) => (await call(base, owner, 'GET', `/v1/apps/${app}/addons/${id}/backups`)).body.backups[0]?.status);
      return states.every((s) => s === 'running') ? true : states.join(' ');
    });

    const feed = await openFeed(base, owner);
    const idle = await idleKeepAlive(base);

    // 50 writes the server has received and is handling, their bodies still to come.
    const writes = [
      ...addons.slice(RUNNING_BACKUPS).map(({ app, id }) => ({ what: `backup of ${id}`, held: heldWrite(base, owner, 'POST', `/v1/apps/${app}/addons/${id}/backups`) })),
      ...Array.from({ length: 29 }, (_, i) => ({ what: `app burst-${i}`, held: heldWrite(base, owner, 'POST', '/v1/apps', { name: `burst-${i}` }) })),
      // Answered, its connection would stay open as long as the client keeps it, unless the server closes it.
      { what: 'app burst-29', held: heldRawWrite(base, owner, '/v1/apps', { name: 'burst-29' }) },
    ];
    await Promise.all(writes.map((w) => w.held.received));

    signalledAt = Date.now();
    first.kill('SIGTERM');
    await first.printed(/SIGTERM received: stopping/);
    // The stop has begun: a new connection is refused; the writes already received go on.
    refused = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${base}/health`, { signal: AbortSignal.timeout(5_000) }).then(
          () => ({ ok: true }),
          (error: { cause?: { code?: string } }) => ({ ok: false, code: error.cause?.code }),
        ),
      ),
    );
    for (const w of writes) w.held.send();
    await Promise.race(writes.map((w) => w.held.answer.then(() => (firstAnsweredAt ||= Date.now()))));
    for (const w of writes) answers.push({ what: w.what, answer: await w.held.answer });

    exit = await first.exited;
    exitedAt = Date.now();
    idleClosedAt = await idle.closed;
    feedText = await feed.ended;
  });

  it('answers every write it had received, completely, and closes each connection after its answer', () => {
    expect(answers).toHaveLength(50);
    const statuses = answers.map(({ what, answer }) => `${what}: ${answer.status}`);
    expect(statuses.filter((s) => !/: 20[12]$/.test(s))).toEqual([]);
    for (const { answer } of answers) {
      expect(answer.headers.connection).toBe('close');
      expect(answer.headers['x-event-position']).toMatch(/^\d+$/);
    }
  });

  it('refuses new connections once the stop has begun', () => {
    // Refused, or closed unanswered if it reached the listening socket's backlog just before it closed
    // (reset, or undici's "other side closed"): never served, and never left hanging.
    const unserved = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']);
    expect(refused.filter((r) => r.ok || !unserved.has(r.code ?? ''))).toEqual([]);
    expect(refused).toHaveLength(5);
  });

  it('exits with 0, without waiting on the idle keep-alive connection, and ends the open feed cleanly', () => {
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitedAt - signalledAt).toBeLessThan(EXIT_BOUND_MS);
    // Closed at once, not waited on: before the first of the writes in flight was even answered.
    expect(idleClosedAt).toBeLessThanOrEqual(firstAnsweredAt);
    expect(feedText).toMatch(/^retry: \d+/m);
    expect(first.text).toMatch(/"msg":"Stopped cleanly"/);
    // The backups still running were handed back rather than waited for (minutes, with real latencies).
    expect(first.text).toMatch(/Stopped with \d+ job\(s\) still running, released to run again at the next start: [^"]*backups:/);
    expect(first.problems().filter((line) => !/Stopped with \d+ job\(s\) still running/.test(line))).toEqual([]);
  });

  it('has the events of every write answered 2xx in the log, at the position it answered', async () => {
    const log = await readLog(file('events.sqlite'));
    const byPosition = new Map(log.map((e) => [e.position.toString(), e]));
    for (const { what, answer } of answers) {
      const event = byPosition.get(answer.headers['x-event-position'] as string);
      if (what.startsWith('app ')) expect([what, event?.type, event?.stream]).toEqual([what, 'AppCreated', `app-${answer.body.app.name}`]);
      else expect([what, event?.type, event?.data.backupId]).toEqual([what, 'BackupRequested', answer.body.backup.id]);
    }
  });

  it('left its runners at a checkpoint: read models equal a replay, jobs stored with their events, none held', async () => {
    const check = await projectionsCheck(dataDir);
    expect([check.code, check.output]).toEqual([0, expect.any(String)]);
    const [{ position }] = await queryReadOnly<{ position: string }>(file('runtime.sqlite'), `SELECT position FROM checkpoints WHERE name = 'sagas'`);
    const jobs = await queryReadOnly<JobRow>(file('runtime.sqlite'), 'SELECT key, payload, state, attempts, last_error, lease_until FROM jobs');
    // Every backup request the sagas had read has its job stored (or done); none after the checkpoint does.
    const log = await readLog(file('events.sqlite'));
    const taken = new Set(log.filter((e) => e.type === 'BackupTaken').map((e) => String(e.data.backupId)));
    for (const requested of log.filter((e) => e.type === 'BackupRequested')) {
      const stored = jobs.some((j) => j.key === `backups:${requested.id}:0`);
      const read = requested.position <= BigInt(position);
      expect([requested.position.toString(), stored || (read && taken.has(String(requested.data.backupId)))]).toEqual([requested.position.toString(), read]);
    }
    // Handed back: the next process takes them at once, not after RUNTIME_LEASE_MS.
    expect(jobs.filter((j) => j.lease_until !== null && j.lease_until > Date.now()).map((j) => j.key)).toEqual([]);
  });

  it('restarts from there: every backup taken once, nothing applied twice, and stops again cleanly', async () => {
    second = new AppProcess(env);
    await second.ready();
    const backupIds = [...runningBackups, ...answers.filter(({ what }) => what.startsWith('backup ')).map(({ answer }) => String(answer.body.backup.id))];
    expect(backupIds).toHaveLength(25);
    await waitFor('every backup taken', 30_000, async () => {
      const log = await readLog(file('events.sqlite'));
      const taken = new Set(log.filter((e) => e.type === 'BackupTaken').map((e) => String(e.data.backupId)));
      const missing = backupIds.filter((id) => !taken.has(id));
      return missing.length === 0 ? true : `${missing.length} not taken`;
    });
    await waitFor('every job but the timers done', 30_000, async () => {
      const jobs = await queryReadOnly<JobRow>(file('runtime.sqlite'), 'SELECT key FROM jobs');
      const left = jobs.map((j) => j.key).filter((key) => !TIMER_KEYS.test(key));
      return left.length === 0 ? true : `${left.length} left: ${left.slice(0, 3).join(', ')}`;
    });
    const idle = await idleKeepAlive(second.url);
    const signalled = Date.now();
    expect(await second.stop()).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(EXIT_BOUND_MS);
    await idle.closed;

    const log = await readLog(file('events.sqlite'));
    expect(new Set(log.map((e) => e.id)).size).toBe(log.length);
    expect(log.filter((e) => e.type === 'AddonProvisioningAbandoned')).toEqual([]);
    for (const id of backupIds) {
      const about = log.filter((e) => e.data.backupId === id).map((e) => e.type);
      expect([id, about]).toEqual([id, ['BackupRequested', 'BackupStarted', 'BackupTaken']]);
    }
    const check = await projectionsCheck(dataDir);
    expect([check.code, check.output]).toEqual([0, expect.any(String)]);
    const jobs = await queryReadOnly<JobRow>(file('runtime.sqlite'), 'SELECT key FROM jobs');
    expect(jobs.map((j) => j.key).filter((key) => !TIMER_KEYS.test(key))).toEqual([]);
    expect(second.problems()).toEqual([]);
  });
});

describe('SIGTERM with a request that never completes: SHUTDOWN_TIMEOUT_MS bounds the stop', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'db-addons-shutdown-timeout-'));
  let child: AppProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says what is still open, and exits with 1', async () => {
    child = new AppProcess(childEnv(dataDir, { LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '500' }));
    await child.ready();
    // Received, its body never sent: the stop waits for it until the timeout.
    const stuck = heldWrite(child.url, ADMIN_TOKEN, 'POST', '/v1/tokens', { role: 'owner', subject: 'alice' });
    await stuck.received;
    const signalled = Date.now();
    child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 1, signal: null });
    expect(Date.now() - signalled).toBeLessThan(EXIT_BOUND_MS);
    await expect(stuck.answer).rejects.toThrow();
    const report = child.text.split('\n').find((line) => line.includes('Shutdown did not finish within 500 ms'));
    expect(JSON.parse(report!)).toMatchObject({
      level: 50,
      step: 'answering the requests in flight',
      requests_in_flight: [expect.stringMatching(/^POST \/v1\/tokens \(\d+ ms\)$/)],
      correlation_id: expect.stringMatching(/^process:/),
    });
  });
});
