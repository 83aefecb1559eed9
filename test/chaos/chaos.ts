/**
 * `npm run chaos`: the reliability harness. It starts the real server as a child process
 * (`test/crash/platform-child.ts`), drives concurrent clients with a mix of every command
 * over HTTP (chaos-mix.ts), kills the server with SIGKILL at random moments and restarts
 * it, re-sends writes with their `Idempotency-Key` after each restart, lets the platform
 * settle, then checks (chaos-checks.ts): every write answered 2xx has its events in the
 * store; no event is duplicated; every read model equals a fresh replay; every saga and
 * flow finished; every webhook got its deliveries. It prints the figures and exits 1 when
 * any is off. `test/chaos/chaos.int-spec.ts` runs a short version in the test suite.
 */
import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WebhookReceiver } from '../support/webhook-receiver';
import { ADMIN_TOKEN, AppProcess, call, childEnv, mapLimit, queryReadOnly, request, sleep } from '../crash/platform-process';
import {
  answered2xx,
  duplicates,
  isWrite,
  lostWrites,
  projectionsCheck,
  readLog,
  readRuntimeFiles,
  refused,
  Sent,
  stuckFlows,
  unanswered,
  webhookLedger,
  WebhookLedger,
  workJobs,
} from './chaos-checks';
import { Caller, Mix, Planned, Rng } from './chaos-mix';

export interface ChaosOptions {
  /** Requests of the mix, reads included (about 15%); the repeats after kills come on top. */
  commands: number;
  kills: number;
  /** Clients sending at once. */
  concurrency: number;
  seed: number;
  /** Where the server keeps its files; default a new temp folder, removed after a pass. */
  dataDir?: string;
  /** `DRIVER_LATENCY_SCALE` of the server. */
  latencyScale: number;
  /** `DRIVER_FAILURE_RATE` of the server. */
  failureRate: number;
  /** How long the platform may take to settle after the last command. */
  settleTimeoutMs: number;
  /** Progress lines; the report is returned, not printed. */
  log: (line: string) => void;
}

export const DEFAULTS: Omit<ChaosOptions, 'seed' | 'log'> = {
  commands: 2000,
  kills: 5,
  concurrency: 16,
  latencyScale: 0.005,
  failureRate: 0.02,
  settleTimeoutMs: 120_000,
};

const OWNERS = 3;
/** Keyed writes re-sent after each restart: every one the kill cut (up to this many), and some answered ones. */
const REPEAT_CUT = 30;
const REPEAT_ANSWERED = 15;
const REPEAT_AT_END = 20;

export interface ChaosReport {
  seed: number;
  dataDir: string;
  kept: boolean;
  options: Omit<ChaosOptions, 'log'>;
  commands: { sent: number; writes: number; reads: number; ok: number; refused: number; unanswered: number; refusedBy: Array<[string, number]> };
  repeats: { sent: number; replayed: number; ranAgain: number; inProgress: number; unanswered: number };
  kills: number;
  inFlightAtKills: number[];
  /** At each kill: jobs the process had claimed (running), deliveries not yet made. */
  atKills: Array<{ jobsRunning: number; kinds: string; deliveriesPending: number }>;
  /** 2xx answers per kind of command. */
  okByOp: Array<[string, number]>;
  events: number;
  lost: string[];
  noops: number;
  duplicated: string[];
  readModelDifferences: number;
  readModelOutput: string;
  stuck: string[];
  timers: { timers: number; maintenancesWaiting: number };
  webhooks: WebhookLedger;
  settled: boolean;
  pendingAtDeadline: string[];
  settleMs: number;
  durationMs: number;
  errorsLogged: string[];
  passed: boolean;
}

/** The server's child processes on one DATA_DIR, one at a time, behind a gate that clients wait at while it restarts. */
class Server {
  generation = -1;
  current: AppProcess | undefined;
  private gate!: Promise<string>;
  private openGate!: (url: string) => void;
  private failGate!: (error: unknown) => void;
  private failure: unknown;

  constructor(private readonly envOf: (generation: number) => NodeJS.ProcessEnv) {
    this.close();
  }

  async start(): Promise<string> {
    this.generation++;
    const app = new AppProcess(this.envOf(this.generation));
    this.current = app;
    await app.ready();
    return app.url;
  }

  /** Lets the clients in. */
  open(): void {
    this.openGate(this.current!.url);
  }

  /** The URL of the running server, once it is let in. */
  url(): Promise<string> {
    return this.gate;
  }

  /** A restart failed: the clients waiting at the gate, and those to come, get the error. */
  fail(error: unknown): void {
    this.failure = error;
    this.failGate(error);
  }

  async kill(): Promise<void> {
    this.close();
    this.current!.kill('SIGKILL');
    const { signal } = await this.current!.exited;
    if (signal !== 'SIGKILL') throw new Error(`the server exited with ${signal} before it was killed:\n${this.current!.tail()}`);
  }

  async stop(): Promise<void> {
    this.close();
    await this.current?.stop();
  }

  private close(): void {
    if (this.failure !== undefined) return;
    this.gate = new Promise((resolve, reject) => {
      this.openGate = resolve;
      this.failGate = reject;
    });
    // Nobody may be waiting when it fails.
    this.gate.catch(() => undefined);
  }
}

export async function runChaos(given: Partial<ChaosOptions> = {}): Promise<ChaosReport> {
  const options: ChaosOptions = { ...DEFAULTS, seed: randomSeed(), log: () => undefined, ...given };
  const { log, seed } = options;
  const started = Date.now();
  const createdDir = options.dataDir === undefined;
  const dataDir = options.dataDir ? resolve(options.dataDir) : mkdtempSync(join(tmpdir(), 'db-addons-chaos-'));
  mkdirSync(dataDir, { recursive: true });
  if (readdirSync(dataDir).length > 0) throw new Error(`${dataDir} is not empty: give the harness an empty or new folder`);
  const rng = new Rng(seed);
  const receiver = new WebhookReceiver();
  await receiver.start();

  const env = (generation: number) =>
    childEnv(dataDir, {
      DRIVER_LATENCY_SCALE: String(options.latencyScale),
      DRIVER_FAILURE_RATE: String(options.failureRate),
      // Another draw of failures in each process: the same seed would fail the same calls again after every restart.
      DRIVER_SEED: String((seed + generation) >>> 0),
      // A flow records a failure after 3 attempts (5 s, then 10 s apart), so it settles soon after the last command.
      DRIVER_MAX_ATTEMPTS: '3',
      RUNTIME_POLL_MS: '50',
      // A job cut by a kill is taken over 1.5 s later.
      RUNTIME_LEASE_MS: '1500',
      // A request killed between its two writes (app, then add-on) is settled soon after a restart.
      RUNTIME_SETTLE_AFTER_MS: '2000',
      WEBHOOK_ALLOWED_RANGES: 'loopback',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_RETRY_BASE_MS: '50',
      WEBHOOK_RETRY_MAX_MS: '500',
    });
  const server = new Server(env);
  const sent: Sent[] = [];
  const inFlightAtKills: number[] = [];
  const atKills: Array<{ jobsRunning: number; kinds: string; deliveriesPending: number }> = [];
  let inFlight = 0;
  let kills = 0;
  let counter = 0;
  let settled = false;
  let pendingAtDeadline: string[] = [];
  let settleMs = 0;
  let health: any = null;
  let errorsLogged: string[] = [];

  const tokens = new Map<string, string>();
  const tokenOf = (caller: Caller) => (caller.role === 'admin' ? ADMIN_TOKEN : tokens.get(caller.role === 'owner' ? `owner:${caller.owner}` : caller.role)!);

  /** Sends one request (to the running server, or to `base` for the repeats made before the clients are let in) and records it. */
  async function send(planned: Planned, { repeatOf, base }: { repeatOf?: Sent; base?: string } = {}): Promise<Sent> {
    const requestId = repeatOf ? `${repeatOf.requestId}.r${++counter}` : `chaos-${seed}-${++counter}`;
    const key = repeatOf ? repeatOf.key : planned.keyed ? `key-${requestId}` : undefined;
    const url = base ?? (await server.url());
    const record: Sent = { planned, requestId, key, generation: server.generation, status: null, body: null, position: null, replayed: false, repeatOf };
    sent.push(record);
    inFlight++;
    try {
      const answer = await request(url, tokenOf(planned.caller), planned.method, planned.path, {
        body: planned.body,
        headers: { 'X-Request-Id': requestId, ...(key && { 'Idempotency-Key': key }) },
        timeoutMs: 30_000,
      });
      record.status = answer.status;
      record.body = answer.body;
      record.position = answer.headers.get('x-event-position');
      record.replayed = answer.headers.get('idempotent-replayed') === 'true';
      planned.learn?.(answer.status, answer.body);
    } catch (error) {
      record.error = describe(error);
    } finally {
      inFlight--;
    }
    return record;
  }

  /** Keyed writes of the process just killed, sent again with the same key and body. */
  async function repeat(candidates: readonly Sent[], base: string, cut: number, answered: number): Promise<void> {
    const pool = candidates.filter((s) => s.key && !s.repeatOf && isWrite(s));
    const picked = [...shuffle(pool.filter(unanswered), rng).slice(0, cut), ...shuffle(pool.filter((s) => !unanswered(s)), rng).slice(0, answered)];
    await mapLimit(picked, 8, (first) => send(first.planned, { repeatOf: first, base }));
  }

  let killing: Promise<void> = Promise.resolve();
  const triggerKill = () => {
    killing = killing.then(async () => {
      await sleep(rng.int(0, 300));
      const generation = server.generation;
      inFlightAtKills.push(inFlight);
      await server.kill();
      kills++;
      const at = await inFlightWork(dataDir);
      atKills.push(at);
      log(
        `kill ${kills}: SIGKILL after ${sent.length} requests, with ${inFlightAtKills.at(-1)} in flight, ` +
          `${at.jobsRunning} jobs running (${at.kinds || 'none'}), ${at.deliveriesPending} webhook deliveries pending`,
      );
      const base = await server.start();
      await repeat(sent.filter((s) => s.generation === generation), base, REPEAT_CUT, REPEAT_ANSWERED);
      server.open();
    });
    killing.catch((error: unknown) => server.fail(error));
  };

  try {
    log(`seed ${seed}, DATA_DIR ${dataDir}`);
    await server.start();
    server.open();
    const base = await server.url();
    for (const [name, role, subject] of [
      ...Array.from({ length: OWNERS }, (_, i) => [`owner:${i}`, 'owner', `chaos-owner-${i}`]),
      ['platform', 'platform', 'chaos-operator'],
      ['support', 'support', 'chaos-support'],
    ]) {
      const answer = await call(base, ADMIN_TOKEN, 'POST', '/v1/tokens', { role, subject });
      if (answer.status !== 201) throw new Error(`token ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
      tokens.set(name, answer.body.token.value);
    }

    const mix = new Mix(rng, OWNERS, (path) => receiver.url(path));
    const bootstrap = mix.bootstrap();
    for (const hook of mix.webhooks) receiver.expect(hook.path, hook.secret);
    await mapLimit(bootstrap, options.concurrency, (planned) => send(planned));

    const total = Math.max(options.commands, bootstrap.length);
    const killPoints = new Set<number>();
    const first = bootstrap.length + Math.floor((total - bootstrap.length) * 0.1);
    const span = Math.floor((total - bootstrap.length) * 0.8);
    // Spread over the run: one kill in each of `kills` equal slices, at a random point of it.
    for (let k = 0; k < options.kills; k++) killPoints.add(first + Math.floor(((k + rng.next()) * span) / Math.max(1, options.kills)));
    const outageAt = bootstrap.length + Math.floor((total - bootstrap.length) / 3);
    let next = bootstrap.length;
    log(`bootstrap done (${bootstrap.length} requests); ${total - bootstrap.length} more, ${options.concurrency} at once, kills after requests ${[...killPoints].join(', ')}`);

    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        for (;;) {
          const n = next++;
          if (n >= total) return;
          if (killPoints.has(n)) triggerKill();
          if (n === outageAt) receiverOutage(receiver, mix.webhooks.find((w) => w.caller.role === 'admin')!.path);
          const planned = mix.next((n - bootstrap.length) / (total - bootstrap.length));
          if (planned.op === 'create-webhook') receiver.expect(mix.webhooks.at(-1)!.path, mix.webhooks.at(-1)!.secret);
          await send(planned);
          if ((n + 1) % 250 === 0) log(`${n + 1} of ${total} requests`);
        }
      }),
    );
    await killing;
    // Once more, across every process so far: the answers kept through all the restarts.
    await repeat(sent, await server.url(), REPEAT_AT_END / 2, REPEAT_AT_END / 2);
    log(`${sent.length} requests sent; waiting for the platform to settle`);

    const settleStarted = Date.now();
    const pending = await settle(server, dataDir, receiver, options.settleTimeoutMs);
    settleMs = Date.now() - settleStarted;
    settled = pending.length === 0;
    pendingAtDeadline = pending;
    if (!settled) log(`not settled within ${options.settleTimeoutMs} ms; still pending:\n  ${pending.join('\n  ')}`);
    else log(`settled in ${settleMs} ms`);
    health = (await call(await server.url(), null, 'GET', '/health').catch(() => ({ body: null }))).body;
    errorsLogged = server.current!.problems().filter((line) => /"level":(50|60)/.test(line));
    await server.stop();
  } catch (error) {
    server.current?.kill('SIGKILL');
    await server.current?.exited;
    await receiver.stop();
    log(`the harness failed; DATA_DIR kept at ${dataDir}\n${server.current?.tail() ?? ''}`);
    throw error;
  }
  await receiver.stop();

  log('checking the log, the runtime, the read models and the webhooks');
  const eventLog = await readLog(dataDir);
  const files = await readRuntimeFiles(dataDir);
  const { lost, noops } = lostWrites(sent, eventLog);
  const duplicated = duplicates(sent, eventLog);
  const byRequest = new Map(sent.map((s) => [s.requestId, s]));
  const stuck = stuckFlows(eventLog, files, health, (id) => {
    const s = byRequest.get(id);
    if (!s) return '';
    const answer = s.status === null ? `no answer (${s.error ?? 'cut'})` : String(s.status);
    return `, ${s.planned.method} ${s.planned.path} to server process ${s.generation}: ${answer}`;
  });
  const webhooks = await webhookLedger(eventLog, receiver.received, files.outbox, (url) => new URL(url).pathname);
  const check = await projectionsCheck(childEnv(dataDir, {}));

  const mixSent = sent.filter((s) => !s.repeatOf);
  const repeats = sent.filter((s) => s.repeatOf);
  const refusedBy = new Map<string, number>();
  for (const s of mixSent.filter(refused)) {
    const code = `${s.status} ${s.body?.error?.code ?? ''}`.trim();
    refusedBy.set(code, (refusedBy.get(code) ?? 0) + 1);
  }
  const okByOp = new Map<string, number>();
  for (const s of mixSent.filter(answered2xx)) {
    const op = s.planned.op.startsWith('read:') ? 'reads' : s.planned.op;
    okByOp.set(op, (okByOp.get(op) ?? 0) + 1);
  }
  const timers = files.jobs.filter((j) => /^(periodic-backup|daily-retention):/.test(j.key) && j.state === 'pending').length;
  const waiting = files.jobs.length - workJobs(files).length - timers;
  const passed =
    settled &&
    kills === options.kills &&
    lost.length === 0 &&
    duplicated.length === 0 &&
    check.differences === 0 &&
    stuck.length === 0 &&
    webhooks.undelivered.length === 0 &&
    webhooks.errors.length === 0;
  const kept = !passed || !createdDir;
  if (!kept) rmSync(dataDir, { recursive: true, force: true });
  const { log: _log, ...shown } = options;
  return {
    seed,
    dataDir,
    kept,
    options: shown,
    commands: {
      sent: mixSent.length,
      writes: mixSent.filter(isWrite).length,
      reads: mixSent.filter((s) => !isWrite(s)).length,
      ok: mixSent.filter(answered2xx).length,
      refused: mixSent.filter(refused).length,
      unanswered: mixSent.filter(unanswered).length,
      refusedBy: [...refusedBy].sort((a, b) => b[1] - a[1]),
    },
    repeats: {
      sent: repeats.length,
      replayed: repeats.filter((s) => s.replayed).length,
      ranAgain: repeats.filter((s) => s.status !== null && !s.replayed && s.body?.error?.code !== 'IDEMPOTENCY.IN_PROGRESS').length,
      inProgress: repeats.filter((s) => s.body?.error?.code === 'IDEMPOTENCY.IN_PROGRESS').length,
      unanswered: repeats.filter(unanswered).length,
    },
    kills,
    inFlightAtKills,
    atKills,
    okByOp: [...okByOp].sort((a, b) => b[1] - a[1]),
    events: eventLog.length,
    lost,
    noops,
    duplicated,
    readModelDifferences: check.differences,
    readModelOutput: check.output,
    stuck,
    timers: { timers, maintenancesWaiting: waiting },
    webhooks,
    settled,
    pendingAtDeadline,
    settleMs,
    durationMs: Date.now() - started,
    errorsLogged,
    passed,
  };
}

/**
 * Waits until the platform has done everything the run asked of it: the log quiet, the
 * sagas at its head, no job left but the timers (and maintenances waiting for their
 * window), the read models at the head, no delivery pending and every expected one
 * received. Answers what is still pending at the deadline (nothing: settled).
 */
async function settle(server: Server, dataDir: string, receiver: WebhookReceiver, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const events = join(dataDir, 'events.sqlite');
  let lastHead: number | null = -1;
  for (;;) {
    const pending: string[] = [];
    const health = await call(await server.url(), null, 'GET', '/health').catch((error: unknown) => ({ status: 0, body: describe(error) }));
    const parked = health.body?.info?.platform?.sagas_parked_at ?? health.body?.error?.platform?.sagas_parked_at;
    if (health.status !== 200) pending.push(`/health answers ${health.status}${parked ? `: sagas parked at ${JSON.stringify(parked)}` : ''}`);
    const [heads] = await queryReadOnly<{ head: number | null; sagas: number | null; projected: number | null }>(
      events,
      `SELECT max(position) AS head,
              max(CASE WHEN stream GLOB 'addon-*' OR stream GLOB 'app-*' THEN position END) AS sagas,
              max(CASE WHEN stream GLOB 'addon-*' OR stream GLOB 'app-*' OR stream GLOB 'webhook-*' THEN position END) AS projected
       FROM events`,
    );
    if (heads.head !== lastHead) pending.push(`the log still grows (at ${heads.head})`);
    lastHead = heads.head;
    const files = await readRuntimeFiles(dataDir);
    if (heads.sagas !== null && (files.sagaCheckpoint === null || files.sagaCheckpoint < BigInt(heads.sagas))) {
      pending.push(`sagas at ${files.sagaCheckpoint}, the log at ${heads.sagas}`);
    }
    // Dead jobs never go away: they are counted as stuck, not waited for.
    const work = workJobs(files).filter((j) => j.state !== 'dead');
    if (work.length > 0) pending.push(`${work.length} jobs to do (${summarize(work.map((j) => (JSON.parse(j.payload) as { job: { kind: string } }).job.kind))})`);
    for (const p of files.projections) {
      if (heads.projected !== null && (p.position === null || BigInt(p.position) < BigInt(heads.projected))) {
        pending.push(`read model ${p.name} at ${p.position}, the log at ${heads.projected}`);
      }
    }
    const deliveries = files.outbox.filter((d) => d.state === 'pending').length;
    if (deliveries > 0) pending.push(`${deliveries} webhook deliveries pending`);
    if (pending.length === 0) {
      const ledger = await webhookLedger(await readLog(dataDir), receiver.received, files.outbox, (url) => new URL(url).pathname);
      if (ledger.undelivered.length > 0) pending.push(`${ledger.undelivered.length} webhook deliveries not received yet (${ledger.undelivered[0]})`);
    }
    if (pending.length === 0) return [];
    if (Date.now() > deadline || parked) return pending;
    await sleep(500);
  }
}

/** What the killed process was doing, from its files: jobs it had claimed, deliveries not yet made. */
async function inFlightWork(dataDir: string): Promise<{ jobsRunning: number; kinds: string; deliveriesPending: number }> {
  const files = await readRuntimeFiles(dataDir);
  const running = files.jobs.filter((j) => j.state === 'pending' && j.lease_until !== null);
  return {
    jobsRunning: running.length,
    kinds: summarize(running.map((j) => (JSON.parse(j.payload) as { job: { kind: string } }).job.kind)),
    deliveriesPending: files.outbox.filter((d) => d.state === 'pending').length,
  };
}

/** The admin's webhook answers 503 for a moment: deliveries are retried. */
function receiverOutage(receiver: WebhookReceiver, path: string): void {
  receiver.mode(path, 503);
  setTimeout(() => receiver.mode(path, 'up'), 1_500);
}

// ----- the report -----

export function formatReport(report: ChaosReport): string {
  const r = report;
  const rows: Array<[string, string]> = [
    ['commands sent', `${r.commands.sent} (${r.commands.writes} writes, ${r.commands.reads} reads)`],
    ['answered 2xx', `${r.commands.ok} (${r.okByOp.map(([op, n]) => `${op} ${n}`).join(', ')})`],
    ['refused (4xx)', `${r.commands.refused} (${r.commands.refusedBy.slice(0, 4).map(([code, n]) => `${code} ${n}`).join(', ')}${r.commands.refusedBy.length > 4 ? ', …' : ''})`],
    ['unanswered (cut, 5xx)', String(r.commands.unanswered)],
    ['idempotent repeats', `${r.repeats.sent} (${r.repeats.replayed} replayed, ${r.repeats.inProgress} in progress, ${r.repeats.ranAgain} ran, ${r.repeats.unanswered} unanswered)`],
    [
      'kills',
      `${r.kills} (in flight at each: ${r.inFlightAtKills.map((n, i) => `${n} requests/${r.atKills[i]?.jobsRunning ?? 0} jobs/${r.atKills[i]?.deliveriesPending ?? 0} deliveries`).join(', ')})`,
    ],
    ['events', String(r.events)],
    ['lost', String(r.lost.length)],
    ['duplicated', String(r.duplicated.length)],
    ['read-model differences', String(r.readModelDifferences)],
    ['stuck', `${r.stuck.length} (timers pending: ${r.timers.timers}, maintenances waiting for their window: ${r.timers.maintenancesWaiting})`],
    [
      'webhooks',
      `${r.webhooks.webhooks}: ${r.webhooks.expected} expected, ${r.webhooks.delivered} delivered, ${r.webhooks.repeated} repeated, ` +
        `${r.webhooks.cancelled} cancelled with their webhook`,
    ],
    ['undelivered webhooks', String(r.webhooks.undelivered.length)],
    ['webhook errors', String(r.webhooks.errors.length)],
    ['no-op writes (2xx, nothing to append)', String(r.noops)],
    ['settled', r.settled ? `yes, in ${(r.settleMs / 1000).toFixed(1)} s` : `no, after ${(r.settleMs / 1000).toFixed(1)} s`],
    ['duration', `${(r.durationMs / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `chaos run, seed ${r.seed}: ${r.options.commands} commands, ${r.options.kills} kills, concurrency ${r.options.concurrency}, ` +
      `DRIVER_LATENCY_SCALE ${r.options.latencyScale}, DRIVER_FAILURE_RATE ${r.options.failureRate} (${cpus().length} cores)`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ];
  const samples = (title: string, items: readonly string[]) => {
    if (items.length > 0) lines.push(`${title} (${items.length}):`, ...items.slice(0, 10).map((i) => `  ${i}`), ...(items.length > 10 ? ['  …'] : []));
  };
  samples('lost', r.lost);
  samples('duplicated', r.duplicated);
  samples('stuck', r.stuck);
  samples('undelivered webhooks', r.webhooks.undelivered);
  samples('webhook errors', r.webhooks.errors);
  samples('still pending when the settle deadline passed', r.pendingAtDeadline);
  if (r.readModelDifferences > 0) lines.push('projections check:', r.readModelOutput.trim());
  samples('errors logged by the last server process', r.errorsLogged);
  if (r.kills !== r.options.kills) lines.push(`only ${r.kills} of ${r.options.kills} kills happened`);
  lines.push(r.passed ? 'PASS' : `FAIL; DATA_DIR kept at ${r.dataDir}`);
  if (r.passed && r.kept) lines.push(`DATA_DIR ${r.dataDir}`);
  return lines.join('\n');
}

// ----- helpers -----

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

function summarize(kinds: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause ? `${error.message}: ${cause.code ?? cause.message ?? ''}` : `${error.name}: ${error.message}`;
}

// ----- the command -----

function whole(min: number) {
  return (raw: string): number => {
    if (!/^\d{1,9}$/.test(raw) || Number(raw) < min) throw new InvalidArgumentError(`Give a whole number, ${min} or more.`);
    return Number(raw);
  };
}

function seedOf(raw: string): number {
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > 0xffffffff) throw new InvalidArgumentError('Give a whole number from 0 to 4294967295.');
  return Number(raw);
}

function scale(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) throw new InvalidArgumentError('Give a number, 0 or more.');
  return value;
}

function share(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new InvalidArgumentError('Give a number from 0 to 1.');
  return value;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('chaos')
    .description(
      'Starts the server as a child process, drives concurrent clients with every command over HTTP, SIGKILLs and restarts it, ' +
        'then checks that nothing was lost or duplicated, the read models equal a replay, every flow finished and every webhook was delivered.',
    )
    .option('--commands <n>', 'requests of the mix (reads included)', whole(1), DEFAULTS.commands)
    .option('--kills <n>', 'SIGKILLs, each followed by a restart', whole(0), DEFAULTS.kills)
    .option('--concurrency <n>', 'clients sending at once', whole(1), DEFAULTS.concurrency)
    .option('--seed <n>', 'seed of the mix and the kill points (default: random, printed)', seedOf)
    .option('--data-dir <dir>', 'the server’s DATA_DIR (default: a temp folder, removed after a pass, kept after a failure)')
    .option('--latency-scale <x>', 'DRIVER_LATENCY_SCALE of the server (0 or more)', scale, DEFAULTS.latencyScale)
    .option('--failure-rate <x>', 'DRIVER_FAILURE_RATE of the server (0 to 1)', share, DEFAULTS.failureRate)
    .option('--settle-timeout <ms>', 'how long the platform may take to settle after the last command', whole(0), DEFAULTS.settleTimeoutMs)
    .addHelpText('after', '\nExit codes: 0 every check passed, 1 a check failed (or the harness did), 2 bad arguments.')
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  program.parse(argv);
  const o = program.opts<{
    commands: number;
    kills: number;
    concurrency: number;
    seed?: number;
    dataDir?: string;
    latencyScale: number;
    failureRate: number;
    settleTimeout: number;
  }>();
  const report = await runChaos({
    commands: o.commands,
    kills: o.kills,
    concurrency: o.concurrency,
    ...(o.seed !== undefined && { seed: o.seed }),
    ...(o.dataDir !== undefined && { dataDir: o.dataDir }),
    latencyScale: o.latencyScale,
    failureRate: o.failureRate,
    settleTimeoutMs: o.settleTimeout,
    log: (line) => console.error(line),
  });
  console.log(formatReport(report));
  process.exitCode = report.passed ? 0 : 1;
}

if (require.main === module) {
  main(process.argv).catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  });
}
