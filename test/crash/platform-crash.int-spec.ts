import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackupReplica } from '../../src/addons/domain/addon.events';
import { StoredEvent } from '../../src/event-store/event-store.port';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import {
  ADMIN_TOKEN,
  AppProcess,
  call,
  childEnv,
  errorCode,
  expectStatus,
  JobRow,
  mapLimit,
  queryReadOnly,
  sleep,
  TIMER_KEYS,
  waitFor,
  writeWhenFree,
} from './platform-process';

/*
 * The platform runtime after kill -9 (issue "Done when"): the real app runs in a child
 * process, in real time, with 56 manual backups and 10 failovers (switchovers and Business
 * leader failures) in flight or just done; it is killed with SIGKILL; a second process on
 * the same DATA_DIR takes the flows over and is killed in turn, half-way through the
 * backups it resumed; a third must finish every flow, take no backup twice and append no
 * event twice.
 */

/** Backup 3 s, failover (promote) 0.5 s, provision 0.75 s. */
const LATENCY_SCALE = 0.025;
const BACKUP_MS = 120_000 * LATENCY_SCALE;
const LEASE_MS = 1_500;
const TYPES = ['postgresql', 'mysql', 'mongodb', 'redis', 'elasticsearch', 'influxdb', 'opensearch'] as const;
const APPS = 8;
const REPLICAS = ['dc-primary', 'dc-secondary', 'provider-snapshot'] as const;

const SETUP_TIMEOUT_MS = 30_000;
const RECOVERY_TIMEOUT_MS = 60_000;

async function readLog(file: string): Promise<StoredEvent[]> {
  const store = await SqliteEventStore.open({ file });
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface BackupHistory {
  addonId: string;
  requested: StoredEvent[];
  started: StoredEvent[];
  taken: StoredEvent[];
  failed: StoredEvent[];
}

/** Every backup of the log, by id, with the events naming it. */
function backupsOf(log: readonly StoredEvent[]): Map<string, BackupHistory> {
  const backups = new Map<string, BackupHistory>();
  const slot = { BackupRequested: 'requested', BackupStarted: 'started', BackupTaken: 'taken', BackupFailed: 'failed' } as const;
  for (const event of log) {
    const kind = slot[event.type as keyof typeof slot];
    if (!kind) continue;
    const id = String((event.data as { backupId: string }).backupId);
    const history = backups.get(id) ?? { addonId: event.stream.slice('addon-'.length), requested: [], started: [], taken: [], failed: [] };
    history[kind].push(event);
    backups.set(id, history);
  }
  return backups;
}

/** Failovers per add-on stream: triggered without a completion after it, and leader failures not yet failed over. */
function failoverProgress(log: readonly StoredEvent[]) {
  const open = new Map<string, { triggered: boolean; leaderDown: boolean }>();
  let triggered = 0;
  let completed = 0;
  for (const event of log) {
    const state = open.get(event.stream) ?? { triggered: false, leaderDown: false };
    if (event.type === 'NodeFailureDetected' && (event.data as { role: string }).role === 'leader') state.leaderDown = true;
    if (event.type === 'FailoverTriggered') {
      triggered++;
      state.triggered = true;
      state.leaderDown = false;
    }
    if (event.type === 'FailoverCompleted') {
      completed++;
      state.triggered = false;
    }
    open.set(event.stream, state);
  }
  const states = [...open.values()];
  return {
    triggered,
    completed,
    inFlight: states.filter((s) => s.triggered).length,
    awaitingTrigger: states.filter((s) => s.leaderDown).length,
  };
}

/** Each archive file under DATA_DIR/backups, with what identifies its bytes on disk. */
function archiveFiles(dataDir: string): Map<string, { ino: number; mtimeMs: number; size: number }> {
  const files = new Map<string, { ino: number; mtimeMs: number; size: number }>();
  for (const replica of REPLICAS) {
    const replicaDir = join(dataDir, 'backups', replica);
    if (!existsSync(replicaDir)) continue;
    for (const addonId of readdirSync(replicaDir)) {
      for (const name of readdirSync(join(replicaDir, addonId))) {
        const path = join(replicaDir, addonId, name);
        const { ino, mtimeMs, size } = statSync(path);
        files.set(`${replica}/${addonId}/${name}`, { ino, mtimeMs, size });
      }
    }
  }
  return files;
}

/** `take-backup 12, promote-standby 3`. */
function byKind(rows: readonly JobRow[]): string {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const kind = (JSON.parse(row.payload) as { job: { kind: string } }).job.kind;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, n]) => `${kind} ${n}`).join(', ') || 'none';
}

// ----- the test -----

interface AddonInfo {
  id: string;
  app: string;
  type: string;
  cls: 'starter' | 'business';
}

describe('platform runtime after kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'db-addons-platform-crash-'));
  const env = childEnv(dataDir, {
    DRIVER_LATENCY_SCALE: String(LATENCY_SCALE),
    RUNTIME_POLL_MS: '50',
    RUNTIME_LEASE_MS: String(LEASE_MS),
  });
  const children: AppProcess[] = [];

  afterAll(async () => {
    for (const child of children) {
      child.kill('SIGKILL');
      await child.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes every backup and failover in flight, takes no backup twice and duplicates no event', async () => {
    const eventsFile = join(dataDir, 'events.sqlite');
    const runtimeFile = join(dataDir, 'runtime.sqlite');

    // ---- 1. The first process: apps, add-ons, running. ----
    const first = new AppProcess(env);
    children.push(first);
    await first.ready();
    let base = first.url;

    const token = async (role: string, subject: string) =>
      (await expectStatus(call(base, ADMIN_TOKEN, 'POST', '/v1/tokens', { role, subject }), 201, `token ${role}`)).body.token.value as string;
    const owner = await token('owner', 'crash-owner');
    const platform = await token('platform', 'crash-monitor');

    const apps = Array.from({ length: APPS }, (_, i) => `crash-app-${i}`);
    await mapLimit(apps, 4, (name) => expectStatus(call(base, owner, 'POST', '/v1/apps', { name }), 201, `app ${name}`));
    // Type by type, so that the requests running at once are mostly on different apps (each
    // attachment is a write on the app's stream); a conflict is retried like any client would.
    const wanted = TYPES.flatMap((type, t) =>
      apps.map((app, a) => ({ app, type, cls: (a + t) % 2 === 0 ? ('business' as const) : ('starter' as const) })),
    );
    const addons: AddonInfo[] = await mapLimit(wanted, 8, async ({ app, type, cls }) => {
      const body = { addon_provider_id: type, plan_id: `${type}-${cls}-512` };
      const what = `add-on ${app}/${type}`;
      const answer = await expectStatus(writeWhenFree(() => call(base, owner, 'POST', `/v1/apps/${app}/addons`, body), what), 201, what);
      return { id: answer.body.addon.id as string, app, type, cls };
    });

    const listAddons = async (): Promise<Array<{ id: string; status: string; nodes: Array<{ name: string; role: string; status: string }> }>> =>
      (
        await mapLimit(apps, 4, async (app) =>
          (await expectStatus(call(base, platform, 'GET', `/v1/apps/${app}/addons`), 200, `add-ons of ${app}`)).body.addons,
        )
      ).flat();
    await waitFor('provisioning', SETUP_TIMEOUT_MS, async () => {
      const notRunning = (await listAddons()).filter((a) => a.status !== 'running');
      return notRunning.length === 0 || `${notRunning.length} add-ons not running (${notRunning[0].status})`;
    });
    const leaderOf = async (addon: AddonInfo): Promise<string> => {
      const answer = await expectStatus(call(base, platform, 'GET', `/v1/apps/${addon.app}/addons/${addon.id}`), 200, 'add-on');
      return (answer.body.addon.nodes as Array<{ name: string; role: string }>).find((n) => n.role === 'leader')!.name;
    };

    // ---- 2. Three waves of backups and failovers; the kill comes right after the last. ----
    const waves = [addons.slice(0, 20), addons.slice(20, 40), addons.slice(40)];
    // Failovers go to Business add-ons whose backup is under way, so that both overlap on one stream.
    const [bizA, bizB, bizC] = waves.map((wave) => wave.filter((a) => a.cls === 'business'));
    expect([bizA.length, bizB.length, bizC.length].every((n) => n >= 5)).toBe(true);
    const requestedBackups = new Map<string, string>(); // backup id → add-on id
    const expectedFailovers = new Map<string, number>(); // add-on id → failovers accepted
    const fireBackups = (wave: readonly AddonInfo[]) =>
      mapLimit(wave, 8, async (addon) => {
        const answer = await writeWhenFree(
          () => call(base, owner, 'POST', `/v1/apps/${addon.app}/addons/${addon.id}/backups`),
          `backup of ${addon.id}`,
          // At 00:00 UTC the day's periodic backup (3 s here) may get there first.
          ['BACKUP.ALREADY_IN_PROGRESS'],
        );
        if (answer.status !== 202) throw new Error(`backup of ${addon.id}: ${answer.status} ${JSON.stringify(answer.body)}`);
        requestedBackups.set(answer.body.backup.id, addon.id);
      });
    const accepted = (addon: AddonInfo) => expectedFailovers.set(addon.id, (expectedFailovers.get(addon.id) ?? 0) + 1);
    const switchover = async (addon: AddonInfo, tolerateBusy = false) => {
      const answer = await call(base, platform, 'POST', `/v1/apps/${addon.app}/addons/${addon.id}/failover`);
      if (answer.status === 202) return accepted(addon);
      if (tolerateBusy && errorCode(answer) === 'ADDON.OPERATION_IN_PROGRESS') return;
      throw new Error(`switchover of ${addon.id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    };
    const leaderFailure = async (addon: AddonInfo, leader: string) => {
      await expectStatus(
        call(base, platform, 'POST', '/v1/platform/node-failures', { addon_id: addon.id, node: leader }),
        202,
        `node failure on ${addon.id}`,
      );
      accepted(addon);
    };
    // Leaders of the add-ons whose leader fails: read before any failover moves them.
    const failing = [bizB[2], bizB[4], bizC[2]];
    const leaders = new Map(await Promise.all(failing.map(async (a) => [a.id, await leaderOf(a)] as const)));

    const started = Date.now();
    await fireBackups(waves[0]);
    await sleep(BACKUP_MS * 0.4);
    await fireBackups(waves[1]);
    await Promise.all([switchover(bizA[0]), switchover(bizB[0]), switchover(bizB[1]), leaderFailure(bizB[2], leaders.get(bizB[2].id)!)]);
    // The last wave goes once the first backups finish, so that the kill finds every stage:
    // backups done, being written, started, only requested; failovers done and under way.
    const firstBackup = [...requestedBackups].find(([, addonId]) => addonId === addons[0].id)?.[0];
    const deadline = Date.now() + BACKUP_MS * 3;
    while (firstBackup && Date.now() < deadline) {
      const answer = await call(base, owner, 'GET', `/v1/apps/${addons[0].app}/addons/${addons[0].id}/backups/${firstBackup}`);
      if (answer.body?.backup?.status === 'done') break;
      await sleep(25);
    }
    await fireBackups(waves[2]);
    await Promise.all([
      switchover(bizB[3]),
      switchover(bizC[0]),
      switchover(bizC[1]),
      leaderFailure(bizB[4], leaders.get(bizB[4].id)!),
      leaderFailure(bizC[2], leaders.get(bizC[2].id)!),
      // A second failover of one add-on (its first has most likely completed by now).
      switchover(bizB[0], true),
    ]);
    const lastAnswerAt = Date.now();
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const deadAfterMs = Date.now() - lastAnswerAt;
    const firingMs = lastAnswerAt - started;
    const business = addons.filter((a) => a.cls === 'business').length;
    const failovers = [...expectedFailovers.values()].reduce((sum, n) => sum + n, 0);

    // ---- 3. What was in flight when it died, from its files. ----
    const inspect = async () => {
      const log = await readLog(eventsFile);
      const stage = { requested: 0, started: 0, done: 0 };
      for (const history of backupsOf(log).values()) {
        if (history.taken.length + history.failed.length > 0) stage.done++;
        else if (history.started.length > 0) stage.started++;
        else stage.requested++;
      }
      const jobs = await queryReadOnly<JobRow>(runtimeFile, 'SELECT key, payload, state, attempts, last_error, lease_until FROM jobs');
      const flowJobs = jobs.filter((j) => !TIMER_KEYS.test(j.key));
      // A job's lease is cleared when it fails, and the job deleted when it is done: a lease left means it was running.
      const claimed = flowJobs.filter((j) => j.lease_until !== null);
      return { log, stage, failovers: failoverProgress(log), flowJobs, claimed, files: archiveFiles(dataDir) };
    };
    const describeKill = (at: Awaited<ReturnType<typeof inspect>>) =>
      `backups ${at.stage.requested} requested only, ${at.stage.started} started, ${at.stage.done} finished; ` +
      `failovers ${at.failovers.inFlight} triggered not completed, ${at.failovers.awaitingTrigger} leader failures not yet ` +
      `failed over, ${at.failovers.completed} completed; ${at.log.length} events; ${at.flowJobs.length} flow jobs stored ` +
      `(${at.claimed.length} running: ${byKind(at.claimed)}); ` +
      `${[...at.files.keys()].filter((f) => f.endsWith('.manifest.json')).length / REPLICAS.length} archives complete`;
    const atFirstKill = await inspect();
    console.log(
      `platform crash test: ${addons.length} add-ons on ${apps.length} apps (${business} Business), ${requestedBackups.size} ` +
        `manual backups and ${failovers} failovers asked for in ${firingMs} ms; dead ${deadAfterMs} ms after the last answer\n` +
        `at the first kill: ${describeKill(atFirstKill)}`,
    );

    expect(requestedBackups.size).toBeGreaterThanOrEqual(50);
    // In flight for sure: the last wave's backups (3 s each) were asked for a moment before the kill.
    expect(atFirstKill.stage.requested + atFirstKill.stage.started).toBeGreaterThanOrEqual(10);
    expect(atFirstKill.failovers.inFlight + atFirstKill.failovers.awaitingTrigger).toBeGreaterThanOrEqual(1);

    // ---- 4. A second process takes the flows over, and is killed in the middle of them. ----
    const second = new AppProcess(env);
    children.push(second);
    await second.ready();
    // The dead process's leases ran out while this one booted: its backups are being taken again now.
    await sleep(BACKUP_MS / 2);
    second.kill('SIGKILL');
    expect((await second.exited).signal).toBe('SIGKILL');
    const atSecondKill = await inspect();
    console.log(`at the second kill (${BACKUP_MS / 2} ms after the restart was ready): ${describeKill(atSecondKill)}`);

    // ---- 5. A third process on the same files finishes everything. ----
    const restartAt = Date.now();
    const third = new AppProcess(env);
    children.push(third);
    await third.ready();
    const readyAfterMs = Date.now() - restartAt;
    base = third.url;

    const settled = new Set<string>();
    await waitFor('recovery', RECOVERY_TIMEOUT_MS, async () => {
      const listed = await listAddons();
      const busy = listed.filter((a) => a.status !== 'running');
      if (busy.length > 0) return `${busy.length} add-ons not running (${busy.map((a) => a.status).join(', ')})`;
      const down = listed.filter((a) => a.nodes.some((n) => n.status === 'down'));
      if (down.length > 0) return `${down.length} add-ons with a node down`;
      // Backups: every add-on whose backups are not all settled yet is asked again.
      const unsettled = addons.filter((a) => !settled.has(a.id));
      await mapLimit(unsettled, 8, async (addon) => {
        const answer = await expectStatus(call(base, owner, 'GET', `/v1/apps/${addon.app}/addons/${addon.id}/backups`), 200, 'backups');
        const backups = answer.body.backups as Array<{ id: string; status: string }>;
        const pending = backups.filter((b) => b.status === 'scheduled' || b.status === 'running');
        if (pending.length === 0) settled.add(addon.id);
      });
      if (settled.size < addons.length) return `${addons.length - settled.size} add-ons with a backup in progress`;
      const jobs = await queryReadOnly<JobRow>(runtimeFile, 'SELECT key, payload, state, attempts, last_error, lease_until FROM jobs');
      const flow = jobs.filter((j) => !TIMER_KEYS.test(j.key) || j.state !== 'pending');
      if (flow.length > 0) return `${flow.length} jobs left (${flow.slice(0, 3).map((j) => `${j.key} ${j.state}`).join(', ')})`;
      const [{ position }] = await queryReadOnly<{ position: string }>(runtimeFile, "SELECT position FROM checkpoints WHERE name = 'sagas'");
      const [{ head }] = await queryReadOnly<{ head: number }>(
        eventsFile,
        "SELECT max(position) AS head FROM events WHERE stream LIKE 'addon-%' OR stream LIKE 'app-%'",
      );
      return BigInt(position) >= BigInt(head) || `sagas at ${position}, log at ${head}`;
    });
    const recoveredAfterMs = Date.now() - restartAt;
    const health = await call(base, null, 'GET', '/health');
    expect(health.status).toBe(200);
    const problems = [...second.problems(), ...third.problems()];

    const stopped = await third.stop();
    expect(stopped.signal === 'SIGTERM' || stopped.code === 0).toBe(true);

    // ---- 6. The log: no event twice, every flow once and complete. ----
    const log = await readLog(eventsFile);
    expect(new Set(log.map((e) => e.id)).size).toBe(log.length);
    expect(log.map((e) => e.position)).toEqual(log.map((_, i) => BigInt(i + 1)));
    const revisions = new Map<string, bigint[]>();
    for (const e of log) revisions.set(e.stream, [...(revisions.get(e.stream) ?? []), e.revision]);
    for (const [stream, list] of revisions) expect({ stream, list }).toEqual({ stream, list: list.map((_, i) => BigInt(i)) });
    // What the killed processes had written is still there, unchanged, at the same positions.
    for (const { log: before } of [atFirstKill, atSecondKill]) {
      expect(log.slice(0, before.length).map((e) => e.id)).toEqual(before.map((e) => e.id));
    }

    for (const addon of addons) {
      const types = log.filter((e) => e.stream === `addon-${addon.id}`).map((e) => e.type);
      expect({ addon: addon.id, provisioned: types.filter((t) => t === 'AddonProvisioned').length }).toEqual({ addon: addon.id, provisioned: 1 });
      expect({ addon: addon.id, running: types.filter((t) => t === 'AddonRunning').length }).toEqual({ addon: addon.id, running: 1 });
    }

    for (const app of apps) {
      const events = log.filter((e) => e.stream === `app-${app}`);
      const attached = events.filter((e) => e.type === 'AddonAttached').map((e) => String((e.data as { addonId: string }).addonId));
      const ours = addons.filter((a) => a.app === app).map((a) => a.id);
      expect({ app, attached: attached.filter((id) => ours.includes(id)).sort() }).toEqual({ app, attached: [...ours].sort() });
      // Variables once per add-on (a failover keeps the URL); no restart asked for.
      const count = (type: string) => events.filter((e) => e.type === type).length;
      expect({ app, variables: count('AppVariablesSet'), restarts: count('AppRestartRequested') }).toEqual({
        app,
        variables: ours.length,
        restarts: 0,
      });
    }

    const backups = backupsOf(log);
    for (const [backupId, addonId] of requestedBackups) expect({ backupId, addon: backups.get(backupId)?.addonId }).toEqual({ backupId, addon: addonId });
    const taken = new Map<string, { addonId: string; checksum: string; replicas: BackupReplica[] }>();
    for (const [backupId, h] of backups) {
      const counts = { requested: h.requested.length, started: h.started.length, finished: h.taken.length + h.failed.length };
      expect({ backupId, ...counts }).toEqual({ backupId, requested: 1, started: h.started.length > 0 ? 1 : 0, finished: 1 });
      expect(h.started.length <= 1).toBe(true);
      // In stream order: requested, (started), then taken or failed.
      const order = [...h.requested, ...h.started, ...h.taken, ...h.failed].map((e) => e.revision);
      expect(order).toEqual([...order].sort((a, b) => (a < b ? -1 : 1)));
      for (const failed of h.failed) expect(String((failed.data as { reason: string }).reason)).not.toBe('');
      const [done] = h.taken;
      if (done) {
        const data = done.data as unknown as { checksum: string; replicas: BackupReplica[] };
        taken.set(backupId, { addonId: h.addonId, checksum: data.checksum, replicas: data.replicas });
      }
    }

    // Failovers: each accepted one triggered once and completed once, strictly alternating per add-on.
    for (const addon of addons) {
      const steps = log
        .filter((e) => e.stream === `addon-${addon.id}` && (e.type === 'FailoverTriggered' || e.type === 'FailoverCompleted'))
        .map((e) => e.type);
      const expected = expectedFailovers.get(addon.id) ?? 0;
      expect({ addon: addon.id, steps }).toEqual({
        addon: addon.id,
        steps: Array.from({ length: expected }, () => ['FailoverTriggered', 'FailoverCompleted']).flat(),
      });
    }
    const automatic = log.filter((e) => e.type === 'FailoverTriggered' && (e.data as { reason: string }).reason === 'automatic');
    expect(automatic.map((e) => e.stream).sort()).toEqual(failing.map((a) => `addon-${a.id}`).sort());

    // ---- 7. The archives: each taken backup once, in every replica, with its checksum; nothing else. ----
    const files = archiveFiles(dataDir);
    const leftovers: string[] = [];
    for (const path of files.keys()) {
      const [, addonId, name] = path.split('/');
      const backupId = name.replace(/\.(dump\.gz|manifest\.json)(\..*\.tmp)?$/, '');
      expect({ path, ofATakenBackup: taken.get(backupId)?.addonId === addonId }).toEqual({ path, ofATakenBackup: true });
      if (name.endsWith('.tmp')) leftovers.push(path);
    }
    for (const [backupId, { addonId, checksum, replicas }] of taken) {
      expect(replicas).toEqual(REPLICAS.map((site) => ({ site, path: `/${addonId}/${backupId}.dump.gz` })));
      for (const replica of REPLICAS) {
        const dir = join(dataDir, 'backups', replica, addonId);
        const bytes = readFileSync(join(dir, `${backupId}.dump.gz`));
        const manifest = JSON.parse(readFileSync(join(dir, `${backupId}.manifest.json`), 'utf8')) as { checksum: string; size: number };
        expect({ backupId, replica, checksum: sha256(bytes), manifest: manifest.checksum, size: manifest.size }).toEqual({
          backupId,
          replica,
          checksum,
          manifest: checksum,
          size: bytes.length,
        });
      }
    }
    // An archive complete at a kill (its manifests written) was not dumped again afterwards.
    for (const { files: before } of [atFirstKill, atSecondKill]) {
      for (const [path, file] of before) {
        if (!path.endsWith('.manifest.json')) continue;
        const archive = path.replace(/\.manifest\.json$/, '.dump.gz');
        expect({ path: archive, file: files.get(archive) }).toEqual({ path: archive, file: before.get(archive) });
        expect({ path, file: files.get(path) }).toEqual({ path, file });
      }
    }

    // ---- 8. The runtime: nothing dead, nothing left but the add-ons' timers. ----
    const jobs = await queryReadOnly<JobRow>(runtimeFile, 'SELECT key, payload, state, attempts, last_error, lease_until FROM jobs');
    expect(jobs.filter((j) => j.state === 'dead')).toEqual([]);
    expect(jobs.filter((j) => !TIMER_KEYS.test(j.key))).toEqual([]);

    console.log(
      `after the last restart: ready in ${readyAfterMs} ms, every flow done ${recoveredAfterMs} ms after the restart; ` +
        `${log.length} events; ${taken.size} backups taken, ${backups.size - taken.size} failed; ` +
        `${leftovers.length} temporary files left in the replicas${leftovers.length ? ` (${leftovers.join(', ')})` : ''}; ` +
        `${problems.length} warnings logged${problems.length ? `:\n${problems.slice(0, 10).join('\n')}` : ''}`,
    );
    // Warnings are reported above; an error logged by a process that was not killed is a failure.
    expect(problems.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  }, 150_000);
});
