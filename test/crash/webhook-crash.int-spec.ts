import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '../../src/event-store/event-store.port';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { addonOf, PUBLIC_STREAMS, toPublicEvent } from '../../src/public-events/public-event';
import type { PublicEvent } from '../../src/public-events/public-event.schemas';
import { deliveryIdOf } from '../../src/webhooks/delivery/webhook-dispatcher';
import { Received, WebhookReceiver } from '../support/webhook-receiver';
import { ADMIN_TOKEN, AppProcess, call, childEnv, expectStatus, JobRow, mapLimit, queryReadOnly, sleep, writeWhenFree } from './platform-process';

/** The add-ons' own timers: always there while an add-on lives. */
const TIMER_KEYS = /^(periodic-backup|daily-retention):/;

/**
 * Webhook deliveries across SIGKILL: the real app in a child process, with the platform
 * runtime on (so add-ons come up and backups run on their own, producing events), delivers
 * to a real receiver that answers slowly, so that deliveries are in flight when the
 * process is killed. Twice killed and restarted, then left to finish: every event after
 * the webhook was made arrives, each signature holds, a repeat (an attempt whose answer
 * the dead process never read) carries the same delivery id and body, and the first
 * arrivals of each add-on come in log order.
 */
describe('webhook deliveries survive SIGKILL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'db-addons-webhook-crash-'));
  const receiver = new WebhookReceiver();
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const env = childEnv(dataDir, {
    WEBHOOK_ALLOWED_RANGES: 'loopback',
    WEBHOOK_TIMEOUT_MS: '1000',
    WEBHOOK_RETRY_BASE_MS: '50',
    WEBHOOK_RETRY_MAX_MS: '500',
    WEBHOOK_CONCURRENCY: '8',
    DRIVER_LATENCY_SCALE: '0.001',
    SQLITE_SYNCHRONOUS: 'NORMAL',
    // A job cut short by a kill (a backup running) is taken over soon after a restart.
    RUNTIME_LEASE_MS: '2000',
    // Attachments are settled (a no-op here) a second after they happen, not 30 s.
    RUNTIME_SETTLE_AFTER_MS: '1000',
  });
  let running: AppProcess | undefined;

  beforeAll(async () => {
    await receiver.start();
    receiver.expect('/hook', secret);
    receiver.delayMs = 15;
  });
  afterAll(async () => {
    running?.kill('SIGKILL');
    await running?.exited;
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<AppProcess> {
    const app = new AppProcess(env);
    running = app;
    await app.ready();
    return app;
  }

  async function kill(app: AppProcess): Promise<void> {
    app.kill('SIGKILL');
    expect((await app.exited).signal).toBe('SIGKILL');
  }

  /** A few changes on each add-on: a manual backup (the first time), and a feature on and off. */
  async function activity(app: AppProcess, owner: string, addons: readonly string[], feature: string, backup: boolean) {
    await mapLimit(addons, addons.length, async (id) => {
      const base = `/v1/apps/shop/addons/${id}`;
      if (backup) await writeWhenFree(() => call(app.url, owner, 'POST', `${base}/backups`), 'backup', ['BACKUP.ALREADY_IN_PROGRESS', 'ADDON.NOT_RUNNING']);
      await writeWhenFree(() => call(app.url, owner, 'PUT', `${base}/features/${feature}`), `${feature} on`, ['ADDON.NOT_RUNNING']);
      await writeWhenFree(() => call(app.url, owner, 'DELETE', `${base}/features/${feature}`), `${feature} off`, ['ADDON.NOT_RUNNING']);
    });
  }

  it('loses nothing, repeats under the same delivery id, and keeps each add-on in order', async () => {
    // ---- the first process: an app, a webhook, four add-ons and their activity; killed mid-deliveries ----
    const first = await start();
    const owner = (await expectStatus(call(first.url, ADMIN_TOKEN, 'POST', '/v1/tokens', { role: 'owner', subject: 'alice' }), 201, 'token')).body.token.value;
    await expectStatus(call(first.url, owner, 'POST', '/v1/apps', { name: 'shop' }), 201, 'app');
    const hook = await expectStatus(call(first.url, owner, 'POST', '/v1/webhooks', { url: receiver.url('/hook'), event_types: ['*'], secret }), 201, 'webhook');
    const webhookId: string = hook.body.webhook.id;
    const plans = ['postgresql-starter-256', 'redis-starter-256', 'mysql-starter-512', 'mongodb-starter-512'];
    const addons = await mapLimit(plans, 4, async (plan) => {
      const answer = await expectStatus(call(first.url, owner, 'POST', '/v1/apps/shop/addons', { addon_provider_id: plan.split('-')[0], plan_id: plan }), 201, 'provision');
      return answer.body.addon.id as string;
    });
    await activity(first, owner, addons, 'force-tls', true);
    await receiver.until(() => receiver.accepted('/hook').length >= 15, 'the first deliveries');
    // Killed while the receiver holds deliveries it will accept: the dead process never reads those answers.
    receiver.delayMs = 1_000;
    while (receiver.inFlight === 0) await sleep(5);
    await kill(first);
    receiver.delayMs = 15;
    const afterFirstKill = receiver.received.length;

    // ---- the second: more activity, killed again while delivering ----
    const second = await start();
    await activity(second, owner, addons, 'internet-access', false);
    await receiver.until(() => receiver.received.length >= afterFirstKill + 6, 'deliveries after the restart');
    await kill(second);

    // ---- the third finishes: once no job but the timers is left (a backup cut by a kill is taken
    // over when its lease passes), the log is quiet and all it holds is delivered, it stops cleanly ----
    const third = await start();
    const deadline = Date.now() + 60_000;
    let seen = -1;
    for (;;) {
      const log = await readLog(join(dataDir, 'events.sqlite'));
      const expected = publicEventsAfter(log, webhookPosition(log, webhookId));
      const delivered = new Set(receiver.accepted('/hook').map((r) => r.deliveryId));
      const missing = expected.filter((e) => !delivered.has(deliveryIdOf(webhookId, e.id))).length;
      const jobs = await queryReadOnly<JobRow>(join(dataDir, 'runtime.sqlite'), 'SELECT key FROM jobs');
      const working = jobs.filter((j) => !TIMER_KEYS.test(j.key)).length;
      if (missing === 0 && working === 0 && log.length === seen) break;
      if (Date.now() > deadline) throw new Error(`still undelivered: ${missing} of ${expected.length}; jobs left: ${working}`);
      seen = log.length;
      await sleep(500);
    }
    await third.stop();
    running = undefined;
    const log = await readLog(join(dataDir, 'events.sqlite'));
    const expected = publicEventsAfter(log, webhookPosition(log, webhookId));

    // ---- what the receiver got ----
    const all = receiver.received.filter((r) => r.path === '/hook');
    const accepted = receiver.accepted('/hook');
    expect(all.every((r) => r.verified)).toBe(true);
    const byId = new Map(expected.map((e) => [deliveryIdOf(webhookId, e.id), e]));
    // Nothing but the expected deliveries, each at least once, with its event as published.
    for (const r of accepted) {
      const event = byId.get(r.deliveryId);
      expect(event && { id: r.deliveryId, body: JSON.parse(r.body) }).toEqual({ id: r.deliveryId, body: event });
    }
    expect(new Set(accepted.map((r) => r.deliveryId)).size).toBe(expected.length);
    const repeats = accepted.length - expected.length;
    // What the receiver accepted as the first process died came again, under the same id.
    expect(repeats).toBeGreaterThan(0);
    // The first arrival of each delivery, per add-on, in log order.
    const firsts = new Map<string, Received>();
    for (const r of accepted) if (!firsts.has(r.deliveryId)) firsts.set(r.deliveryId, r);
    const perKey = new Map<string, bigint[]>();
    for (const r of firsts.values()) {
      const event = byId.get(r.deliveryId)!;
      const key = event.addon_id ?? `app:${event.app}`;
      perKey.set(key, [...(perKey.get(key) ?? []), BigInt(event.position)]);
    }
    for (const [key, positions] of perKey) expect({ key, positions }).toEqual({ key, positions: [...positions].sort((a, b) => (a < b ? -1 : 1)) });
    expect(perKey.size).toBe(addons.length + 1);
    console.log(
      `webhook crash test: ${expected.length} events delivered to one webhook across two SIGKILLs; ${all.length} requests, ` +
        `${accepted.length} accepted, ${repeats} repeated under their delivery id`,
    );
  });
});

async function readLog(file: string): Promise<StoredEvent[]> {
  const store = await SqliteEventStore.open({ file });
  try {
    return await store.readAll({ filter: { streamPrefixes: [...PUBLIC_STREAMS.streamPrefixes, 'webhook-'] } });
  } finally {
    await store.close();
  }
}

function webhookPosition(log: readonly StoredEvent[], webhookId: string): bigint {
  const created = log.find((e) => e.stream === `webhook-${webhookId}` && e.type === 'WebhookCreated');
  if (!created) throw new Error('no WebhookCreated in the log');
  return created.position;
}

/** The public events of the (one) app after `after`, as the webhook must receive them. */
function publicEventsAfter(log: readonly StoredEvent[], after: bigint): PublicEvent[] {
  return log
    .filter((e) => e.position > after && !e.stream.startsWith('webhook-'))
    .map((e) => toPublicEvent(e, { app: 'shop', addonId: addonOf(e) }))
    .filter((e): e is PublicEvent => e !== null);
}
