/**
 * What the chaos harness checks once the platform has settled, from the files of its
 * DATA_DIR (the log, the runtime's jobs, the read store, the webhook outbox) and what the
 * clients and the webhook receiver saw.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { AddonEvent } from '../../src/addons/domain/addon.events';
import { AddonState, evolveAddon, initialAddonState } from '../../src/addons/domain/addon.state';
import { appDecider, AppState } from '../../src/apps/domain/app.decider';
import type { AppEvent } from '../../src/apps/domain/app.events';
import type { StoredEvent } from '../../src/event-store/event-store.port';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { EventScopes } from '../../src/public-events/event-scopes';
import { toPublicEvent } from '../../src/public-events/public-event';
import type { PublicEvent } from '../../src/public-events/public-event.schemas';
import { deliveryIdOf, matches } from '../../src/webhooks/delivery/webhook-dispatcher';
import type { OutboxWebhook } from '../../src/webhooks/delivery/webhook-outbox';
import type { WebhookCreated } from '../../src/webhooks/domain/webhook.events';
import { JobRow, queryReadOnly, TIMER_KEYS } from '../crash/platform-process';
import type { Received } from '../support/webhook-receiver';
import type { Planned } from './chaos-mix';

const ROOT = join(__dirname, '../..');
const TS_NODE = require.resolve('ts-node/dist/bin.js');

/** One request as sent, and what came back. */
export interface Sent {
  planned: Planned;
  /** `X-Request-Id`: the `$correlationId` of the events it appended. */
  requestId: string;
  key?: string;
  /** Which server process it went to (0 the first). */
  generation: number;
  /** null: no answer (connection refused or cut by a kill, timeout). */
  status: number | null;
  body: any;
  /** `X-Event-Position`. */
  position: string | null;
  /** `Idempotent-Replayed: true`. */
  replayed: boolean;
  error?: string;
  /** A repeat with the same `Idempotency-Key`: the first request of the chain. */
  repeatOf?: Sent;
}

export const isWrite = (sent: Sent) => sent.planned.expect !== undefined;
export const answered2xx = (sent: Sent) => sent.status !== null && sent.status >= 200 && sent.status < 300;
export const refused = (sent: Sent) => sent.status !== null && sent.status >= 400 && sent.status < 500;
export const unanswered = (sent: Sent) => sent.status === null || sent.status >= 500;

export async function readLog(dataDir: string): Promise<StoredEvent[]> {
  const store = await SqliteEventStore.open({ file: join(dataDir, 'events.sqlite') });
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
}

const correlationOf = (event: StoredEvent) => String(event.metadata.$correlationId);

// ----- lost -----

/**
 * Every write answered 2xx: the event at its `X-Event-Position` is in the store, in the
 * stream the request named, appended by that request (its `X-Request-Id`, or, for an
 * idempotent replay, the request of the chain that ran); a 201/202's new resource is
 * recorded; a 2xx with no position is a no-op only where the answer shows the state holds it.
 */
export function lostWrites(sent: readonly Sent[], log: readonly StoredEvent[]): { lost: string[]; noops: number } {
  const byPosition = new Map(log.map((e) => [e.position.toString(), e]));
  const chains = chainIds(sent);
  const lost: string[] = [];
  let noops = 0;
  for (const s of sent) {
    if (!isWrite(s) || !answered2xx(s)) continue;
    const expect = s.planned.expect!;
    const what = `${s.planned.op} ${s.planned.method} ${s.planned.path} (${s.requestId}, ${s.status})`;
    const allowed = chains.get(s.repeatOf ?? s) ?? new Set([s.requestId]);
    if (s.position === null) {
      if (expect.noop?.(s.body)) noops++;
      else lost.push(`${what}: 2xx without X-Event-Position, and the answer does not show the state holding it`);
      continue;
    }
    const event = byPosition.get(s.position);
    const stream = expect.stream(s.body);
    if (!event) {
      lost.push(`${what}: no event at position ${s.position}`);
      continue;
    }
    if (stream !== null && event.stream !== stream) lost.push(`${what}: position ${s.position} is in ${event.stream}, not ${stream}`);
    else if (!allowed.has(correlationOf(event))) {
      lost.push(`${what}: position ${s.position} holds ${event.type} of request ${correlationOf(event)}`);
    } else if (!expect.types.includes(event.type)) lost.push(`${what}: position ${s.position} holds ${event.type}, not ${expect.types.join('/')}`);
    const resource = expect.resource?.(s.body);
    if (resource) {
      const found = log.some(
        (e) => e.stream === resource.stream && e.type === resource.type && allowed.has(correlationOf(e)) && (resource.where?.(e.data) ?? true),
      );
      if (!found) lost.push(`${what}: no ${resource.type} in ${resource.stream}`);
    }
  }
  return { lost, noops };
}

/** Each first request → the request ids of it and its repeats (any of them may be the one that ran). */
function chainIds(sent: readonly Sent[]): Map<Sent, Set<string>> {
  const chains = new Map<Sent, Set<string>>();
  for (const s of sent) {
    const first = s.repeatOf ?? s;
    const ids = chains.get(first) ?? new Set<string>();
    ids.add(s.requestId);
    chains.set(first, ids);
  }
  return chains;
}

// ----- duplicated -----

/**
 * Event ids twice; a backup requested, started or finished twice; a restore, a
 * maintenance, a provisioning, a removal recorded twice; a request triggering two
 * failovers; more outcomes than starts (plan changes, upgrades) or app restarts than
 * their causes; an idempotent repeat that appended again, or was not answered with the
 * first answer.
 */
export function duplicates(sent: readonly Sent[], log: readonly StoredEvent[]): string[] {
  const found: string[] = [];
  const ids = new Map<string, number>();
  for (const e of log) ids.set(e.id, (ids.get(e.id) ?? 0) + 1);
  for (const [id, n] of ids) if (n > 1) found.push(`event id ${id} ${n} times`);

  const counts = new Map<string, number>();
  const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const data = (e: StoredEvent) => e.data as Record<string, unknown>;
  for (const e of log) {
    const s = e.stream;
    switch (e.type) {
      case 'BackupRequested':
      case 'BackupStarted':
      case 'BackupExpired':
        bump(`${e.type} of backup ${String(data(e).backupId)}`);
        break;
      case 'BackupTaken':
      case 'BackupFailed':
        bump(`end of backup ${String(data(e).backupId)}`);
        break;
      case 'RestoreStarted':
        bump(`RestoreStarted ${String(data(e).restoreId)}`);
        break;
      case 'RestoreCompleted':
      case 'RestoreFailed':
        bump(`end of restore ${String(data(e).restoreId)}`);
        break;
      case 'MaintenanceAnnounced':
      case 'MaintenanceStarted':
        bump(`${e.type} ${String(data(e).maintenanceId)}`);
        break;
      case 'MaintenanceCompleted':
      case 'MaintenanceFailed':
      case 'MaintenanceCancelled':
        bump(`end of maintenance ${String(data(e).maintenanceId)}`);
        break;
      case 'AddonProvisioned':
      case 'AddonRunning':
      case 'AddonProvisioningFailed':
      case 'AddonDeprovisioned':
      case 'WebhookCreated':
      case 'WebhookDeleted':
      case 'AppCreated':
        bump(`${e.type} in ${s}`);
        break;
      case 'AddonAttached':
      case 'AddonDetached':
        bump(`${e.type} of ${String(data(e).addonId)}`);
        break;
      case 'FailoverTriggered':
        bump(`FailoverTriggered for request ${correlationOf(e)}`);
        break;
    }
  }
  for (const [key, n] of counts) if (n > 1) found.push(`${key}: ${n} times`);

  // Outcomes per add-on never outnumber their starts; app restarts never outnumber their causes.
  const perStream = new Map<string, Map<string, number>>();
  for (const e of log) {
    const key =
      e.type === 'AppRestartRequested' ? `addon-${String(data(e).addonId)}` : e.stream.startsWith('addon-') ? e.stream : undefined;
    if (!key) continue;
    const type = e.type === 'AppRestartRequested' ? `AppRestartRequested:${String(data(e).reason)}` : e.type;
    if (e.type === 'AddonRestarted' && data(e).reason !== 'plan-change') continue;
    const m = perStream.get(key) ?? new Map<string, number>();
    m.set(type, (m.get(type) ?? 0) + 1);
    perStream.set(key, m);
  }
  const n = (m: Map<string, number>, ...types: string[]) => types.reduce((sum, t) => sum + (m.get(t) ?? 0), 0);
  for (const [stream, m] of perStream) {
    if (n(m, 'AddonRestarted', 'PlanChangeFailed') > n(m, 'PlanChanged')) found.push(`${stream}: more plan change outcomes than plan changes`);
    if (n(m, 'VersionUpgraded', 'VersionUpgradeFailed') > n(m, 'VersionUpgradeStarted')) found.push(`${stream}: more upgrade outcomes than upgrades`);
    if (n(m, 'FailoverCompleted', 'FailoverFailed') > n(m, 'FailoverTriggered')) found.push(`${stream}: more failover outcomes than failovers`);
    if (n(m, 'AppRestartRequested:plan-change') > n(m, 'AddonRestarted')) found.push(`${stream}: more app restarts than plan-change restarts`);
    if (n(m, 'AppRestartRequested:upgrade') > n(m, 'VersionUpgraded')) found.push(`${stream}: more app restarts than upgrades`);
  }

  // Idempotent repeats.
  const appended = new Set(log.map(correlationOf));
  for (const repeat of sent) {
    const first = repeat.repeatOf;
    if (!first) continue;
    const what = `repeat ${repeat.requestId} of ${first.planned.op} ${first.planned.method} ${first.planned.path}`;
    if (first.status !== null && first.status < 500) {
      // The first was answered: the repeat gets that answer and runs nothing.
      if (appended.has(repeat.requestId)) found.push(`${what}: appended again (the first was answered ${first.status})`);
      const samePosition = first.status >= 300 || repeat.position === first.position;
      if (repeat.status !== null && repeat.status < 500 && (repeat.status !== first.status || !repeat.replayed || !samePosition)) {
        found.push(
          `${what}: answered ${repeat.status}${repeat.replayed ? ' replayed' : ''} at ${repeat.position}, ` +
            `the first ${first.status} at ${first.position}`,
        );
      }
    } else {
      // The first was cut: the repeat may run, but not on top of what the first (or another repeat) did.
      const others = sent.filter((s) => (s === first || s.repeatOf === first) && s !== repeat);
      if (appended.has(repeat.requestId) && others.some((s) => appended.has(s.requestId))) {
        found.push(`${what}: appended, and so did ${others.filter((s) => appended.has(s.requestId)).map((s) => s.requestId).join(', ')}`);
      }
    }
  }
  return found;
}

// ----- stuck -----

const TRANSITIONAL = new Set(['provisioning', 'changing-plan', 'upgrading', 'restoring', 'failing-over', 'maintenance']);

export interface RuntimeFiles {
  jobs: Array<JobRow & { due_at: number }>;
  sagaCheckpoint: bigint | null;
  projections: Array<{ name: string; version: number; status: string; position: string | null; parked_position: string | null; parked_error: string | null }>;
  outbox: Array<{ webhook_id: string; delivery_id: string; state: string }>;
}

export async function readRuntimeFiles(dataDir: string): Promise<RuntimeFiles> {
  const runtime = join(dataDir, 'runtime.sqlite');
  const read = join(dataDir, 'read.sqlite');
  const webhooks = join(dataDir, 'webhooks.sqlite');
  const jobs = existsSync(runtime)
    ? await queryReadOnly<JobRow & { due_at: number }>(runtime, 'SELECT key, payload, state, attempts, last_error, lease_until, due_at FROM jobs')
    : [];
  const [saga] = existsSync(runtime)
    ? await queryReadOnly<{ position: string }>(runtime, "SELECT position FROM checkpoints WHERE name = 'sagas'")
    : [];
  const projections = existsSync(read)
    ? await queryReadOnly<RuntimeFiles['projections'][number]>(
        read,
        "SELECT name, version, status, position, parked_position, parked_error FROM projection_checkpoints WHERE status != 'retired'",
      )
    : [];
  const outbox = existsSync(webhooks)
    ? await queryReadOnly<RuntimeFiles['outbox'][number]>(webhooks, 'SELECT webhook_id, delivery_id, state FROM deliveries')
    : [];
  return { jobs, sagaCheckpoint: saga ? BigInt(saga.position) : null, projections, outbox };
}

const kindOf = (job: JobRow) => (JSON.parse(job.payload) as { job: { kind: string } }).job.kind;

/** A maintenance announced for a window days ahead: its start is a job due then, by design. */
const waitingForWindow = (job: JobRow & { due_at: number }, now: number) =>
  job.state === 'pending' && kindOf(job) === 'start-maintenance' && job.due_at > now;

/** Jobs that are work still to do (not the add-ons' timers, not a maintenance waiting for its window). */
export function workJobs(files: RuntimeFiles, now = Date.now()) {
  return files.jobs.filter((j) => !(TIMER_KEYS.test(j.key) && j.state === 'pending') && !waitingForWindow(j, now));
}

const head = (log: readonly StoredEvent[], prefixes: readonly string[]) =>
  log.reduce<bigint | null>((max, e) => (prefixes.some((p) => e.stream.startsWith(p)) ? e.position : max), null);

/**
 * Sagas parked or behind the log; jobs dead, or left pending or claimed (other than the
 * timers and maintenances waiting for their window); read models parked or behind;
 * add-ons left in a transitional status or with a backup in progress (no job is left to
 * move them); attachments to an add-on that was never recorded, and live add-ons their
 * app no longer lists (a provisioning or removal half done).
 */
export function stuckFlows(
  log: readonly StoredEvent[],
  files: RuntimeFiles,
  health: any,
  /** What became of a request, by its id (e.g. "its answer: none, cut by a kill"). */
  requestOutcome: (requestId: string) => string = () => '',
): string[] {
  const stuck: string[] = [];
  const parked = health?.info?.platform?.sagas_parked_at ?? health?.error?.platform?.sagas_parked_at;
  if (parked) stuck.push(`sagas parked at ${JSON.stringify(parked)}`);
  const sagaHead = head(log, ['addon-', 'app-']);
  if (sagaHead !== null && (files.sagaCheckpoint === null || files.sagaCheckpoint < sagaHead)) {
    stuck.push(`sagas at ${files.sagaCheckpoint}, the log at ${sagaHead}`);
  }
  for (const job of workJobs(files)) {
    stuck.push(`job ${job.key} (${kindOf(job)}) ${job.state}, ${job.attempts} attempts${job.last_error ? `: ${job.last_error}` : ''}`);
  }
  const projectedHead = head(log, ['addon-', 'app-', 'webhook-']);
  for (const p of files.projections) {
    if (p.parked_position) stuck.push(`projection ${p.name} v${p.version} parked at ${p.parked_position}: ${p.parked_error}`);
    if (projectedHead !== null && (p.position === null || BigInt(p.position) < projectedHead)) {
      stuck.push(`projection ${p.name} v${p.version} at ${p.position}, the log at ${projectedHead}`);
    }
  }

  const addons = new Map<string, AddonState>();
  const apps = new Map<string, AppState>();
  /** The request behind each add-on's last attachment or detachment. */
  const attachedBy = new Map<string, string>();
  const detachedBy = new Map<string, string>();
  const by = (map: Map<string, string>, addonId: string) => {
    const id = map.get(addonId);
    return id ? ` (by request ${id}${requestOutcome(id)})` : '';
  };
  for (const e of log) {
    if (e.type === 'AddonAttached') attachedBy.set(String(e.data.addonId), correlationOf(e));
    if (e.type === 'AddonDetached') detachedBy.set(String(e.data.addonId), correlationOf(e));
    if (e.stream.startsWith('addon-')) {
      addons.set(e.stream, evolveAddon(addons.get(e.stream) ?? initialAddonState(), { type: e.type, data: e.data } as unknown as AddonEvent));
    } else if (e.stream.startsWith('app-')) {
      apps.set(e.stream, appDecider.evolve(apps.get(e.stream) ?? appDecider.initialState(), { type: e.type, data: e.data } as unknown as AppEvent));
    }
  }
  for (const [stream, addon] of addons) {
    if (addon.status === 'none') continue;
    if (TRANSITIONAL.has(addon.status)) stuck.push(`${stream} left ${addon.status}`);
    for (const b of addon.backups) if (b.status === 'scheduled' || b.status === 'running') stuck.push(`${stream} backup ${b.id} left ${b.status}`);
    const app = apps.get(`app-${addon.appName}`);
    if (addon.status !== 'deprovisioned' && app?.status === 'active' && !app.addons[addon.id]) {
      stuck.push(`${stream} (${addon.status}) is not attached to app ${addon.appName}: a removal half done${by(detachedBy, addon.id)}`);
    }
  }
  for (const [stream, app] of apps) {
    if (app.status !== 'active') continue;
    for (const addonId of Object.keys(app.addons)) {
      if (!addons.has(`addon-${addonId}`)) {
        stuck.push(`${stream} has add-on ${addonId} attached, which was never provisioned${by(attachedBy, addonId)}`);
      }
    }
  }
  return stuck;
}

// ----- webhooks -----

export interface WebhookLedger {
  webhooks: number;
  expected: number;
  delivered: number;
  /** Accepted again under a delivery id already accepted. */
  repeated: number;
  /** Of a deleted webhook, cancelled with it before they went out. */
  cancelled: number;
  undelivered: string[];
  /** A delivery nobody expected, a signature that does not verify, a body other than the public event. */
  errors: string[];
}

/**
 * Each webhook of the log must have received, with a valid signature and the event as
 * published, every public event it wants after the one that created it (and before the
 * one that deleted it: those still pending then are cancelled, as documented).
 */
export async function webhookLedger(
  log: readonly StoredEvent[],
  received: readonly Received[],
  outbox: RuntimeFiles['outbox'],
  pathOf: (url: string) => string,
): Promise<WebhookLedger> {
  const created = log.filter((e) => e.stream.startsWith('webhook-') && e.type === 'WebhookCreated');
  const deletedAt = new Map(log.filter((e) => e.type === 'WebhookDeleted').map((e) => [e.stream.slice('webhook-'.length), e.position]));
  const scopes = new EventScopes(scopeStore(log));
  const published: Array<{ event: StoredEvent; scope: { owner: string }; public: PublicEvent }> = [];
  for (const event of log) {
    if (!event.stream.startsWith('addon-') && !event.stream.startsWith('app-')) continue;
    const scope = await scopes.of(event);
    const pub = scope && toPublicEvent(event, scope);
    if (scope && pub) published.push({ event, scope, public: pub });
  }

  const expected = new Map<string, { path: string; event: PublicEvent; webhookId: string }>();
  for (const c of created) {
    const webhookId = c.stream.slice('webhook-'.length);
    const { owner, app, url, eventTypes, secret } = c.data as unknown as WebhookCreated['data'];
    const webhook: OutboxWebhook = { webhookId, owner, app, url, eventTypes, secret };
    const until = deletedAt.get(webhookId);
    for (const p of published) {
      if (p.event.position <= c.position || (until !== undefined && p.event.position >= until)) continue;
      if (!matches(webhook, p.public, p.scope.owner)) continue;
      expected.set(deliveryIdOf(webhookId, p.event.id), { path: pathOf(url), event: p.public, webhookId });
    }
  }

  const errors: string[] = [];
  const accepted = new Map<string, number>();
  for (const r of received) {
    if (!r.verified) errors.push(`${r.path} ${r.deliveryId}: the signature does not verify`);
    if (r.status < 200 || r.status >= 300) continue;
    const want = expected.get(r.deliveryId);
    if (!want || want.path !== r.path) {
      errors.push(`${r.path} ${r.deliveryId}: not expected there`);
      continue;
    }
    if (!isDeepStrictEqual(JSON.parse(r.body), want.event)) errors.push(`${r.path} ${r.deliveryId}: the body is not the public event`);
    if (r.verified) accepted.set(r.deliveryId, (accepted.get(r.deliveryId) ?? 0) + 1);
  }
  const cancelledIds = new Set(outbox.filter((d) => d.state === 'cancelled').map((d) => d.delivery_id));
  const stateOf = new Map(outbox.map((d) => [d.delivery_id, d.state]));
  const undelivered: string[] = [];
  let cancelled = 0;
  for (const [id, want] of expected) {
    if (accepted.has(id)) continue;
    if (deletedAt.has(want.webhookId) && cancelledIds.has(id)) {
      cancelled++;
      continue;
    }
    undelivered.push(`${want.path} ${want.event.type} at ${want.event.position} (delivery ${id}, ${stateOf.get(id) ?? 'not in the outbox'})`);
  }
  const repeated = [...accepted.values()].reduce((sum, n) => sum + n - 1, 0);
  return { webhooks: created.length, expected: expected.size, delivered: accepted.size, repeated, cancelled, undelivered, errors };
}

/** What EventScopes reads of the store: the first event of a stream, here from the log in memory. */
function scopeStore(log: readonly StoredEvent[]): ConstructorParameters<typeof EventScopes>[0] {
  const first = new Map<string, StoredEvent>();
  for (const e of log) if (!first.has(e.stream)) first.set(e.stream, e);
  const store = { readStream: async (stream: string) => (first.has(stream) ? [first.get(stream)!] : []) };
  return store as unknown as ConstructorParameters<typeof EventScopes>[0];
}

// ----- read models -----

/**
 * `npm run projections -- check` on the DATA_DIR, as a child process: every read model
 * against a fresh replay up to its checkpoint. Answers the differences it reports (a
 * failure without a count is one), and its output.
 */
export async function projectionsCheck(env: NodeJS.ProcessEnv): Promise<{ differences: number; exitCode: number | null; output: string }> {
  const child = spawn(process.execPath, [TS_NODE, '--transpile-only', 'src/cli/projections.cli.ts', 'check'], {
    cwd: ROOT,
    env: { ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let differences = 0;
  for (const match of stdout.matchAll(/: (\d+) difference\(s\)/g)) differences += Number(match[1]);
  const problems = stdout.split('\n').filter((line) => /replay incomplete|missing in the live|other columns|the replay parked|before the live checkpoint/.test(line));
  if (differences === 0) differences = problems.length;
  if (exitCode !== 0 && differences === 0) differences = 1;
  if (!/All \d+ read models match/.test(stdout) && differences === 0) differences = 1;
  return { differences, exitCode, output: `${stdout}${stderr ? `\n${stderr}` : ''}` };
}
