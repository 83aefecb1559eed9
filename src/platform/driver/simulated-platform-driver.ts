import { join } from 'node:path';
import type { AddonNode } from '../../addons/domain/addon.events';
import type { Downtime } from '../../catalogue/domain/catalogue';
import { Clock } from '../../shared/clock';
import { BackupArchiveStore } from './backup-archive-store';
import { SeededRandom, seedOf } from './deterministic';
import { InstanceState, InstanceStateStore, InstanceStatus } from './instance-state-store';
import { BackupArtifact, DriverError, InstanceSpec, OpenedBackup, PlatformDriver } from './platform-driver.port';

export const DRIVER_OPERATIONS = [
  'provision',
  'changePlan',
  'takeBackup',
  'deleteBackup',
  'openBackup',
  'promoteStandby',
  'upgrade',
  'restore',
  'maintain',
  'deprovision',
] as const;
export type DriverOperation = (typeof DRIVER_OPERATIONS)[number];

/**
 * How long each operation takes before `DRIVER_LATENCY_SCALE`, in ms. A plan change or an
 * upgrade also lasts its downtime, added to these.
 */
export const DEFAULT_LATENCY_MS: Readonly<Record<DriverOperation, number>> = {
  provision: 30_000,
  changePlan: 0,
  takeBackup: 120_000,
  deleteBackup: 1_000,
  openBackup: 0,
  promoteStandby: 20_000,
  upgrade: 60_000,
  restore: 180_000,
  maintain: 1_800_000,
  deprovision: 10_000,
};

/** Downtime, in seconds, of each kind (DOMAIN.md): a restart on a new host is 2 to 10 s. */
export const DOWNTIME_SECONDS: Readonly<Record<Downtime, readonly [number, number]>> = {
  none: [0, 0],
  seconds: [2, 10],
  downtime: [30, 120],
};

export interface SimulatedDriverOptions {
  /** `DATA_DIR`: instances go to `instances/`, backup archives to `backups/`. */
  dataDir: string;
  /** Every latency is slept on this clock. */
  clock: Clock;
  /** `DRIVER_LATENCY_SCALE`: multiplies every latency and downtime slept (not the downtime reported). */
  latencyScale?: number;
  /** Overrides of `DEFAULT_LATENCY_MS`. */
  latencyMs?: Partial<Record<DriverOperation, number>>;
  /** `DRIVER_FAILURE_RATE`: share of calls (every operation but openBackup) that fail, 0 to 1. */
  failureRate?: number;
  /** `DRIVER_SEED`: seed of the draws that pick the failing calls. */
  seed?: number;
}

export interface InjectedFailure {
  /** How many of the next calls fail (default 1). */
  times?: number;
  /** Whether the flow should try again (default true). */
  retryable?: boolean;
  reason?: string;
}

/** Of chaos failures, this share is final; the others are retryable. */
const CHAOS_FINAL_SHARE = 0.1;
const CHAOS_REASONS = ['host busy', 'timed out', 'lost contact with the host'] as const;
const CHAOS_FINAL_REASONS = ['no capacity left in the region', 'the host refused the operation'] as const;
/** A read of an archive already taken: chaos leaves it alone (failNext still applies). */
const CHAOS_SPARED: ReadonlySet<DriverOperation> = new Set(['openBackup']);

const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;
const DB_NODE = /-db-(\d+)$/;

/**
 * The default data plane: no real database, but honest about everything the control plane
 * relies on. Operations take time on the injected clock, can fail (on demand with
 * `failNext`, or at `DRIVER_FAILURE_RATE` from a seeded draw), are idempotent, and keep
 * their state in files under `DATA_DIR`, so a restart finds them as they were. Backups are
 * real gzip archives in three replica folders, with a manifest and a SHA-256 checksum.
 *
 * Deterministic: downtimes and dump contents depend only on their inputs, and chaos
 * failures only on `DRIVER_SEED` and the order of calls.
 */
export class SimulatedPlatformDriver extends PlatformDriver {
  readonly archives: BackupArchiveStore;
  readonly instances: InstanceStateStore;
  private readonly clock: Clock;
  private readonly latencyScale: number;
  private readonly latencyMs: Record<DriverOperation, number>;
  private readonly failureRate: number;
  private readonly chaos: SeededRandom;
  private readonly injected = new Map<DriverOperation, Array<{ retryable: boolean; reason: string }>>();
  /** Tails of the per-key queues that serialize read-modify-write of a file. */
  private readonly locks = new Map<string, Promise<void>>();

  constructor(options: SimulatedDriverOptions) {
    super();
    const scale = options.latencyScale ?? 1;
    const rate = options.failureRate ?? 0;
    if (!Number.isFinite(scale) || scale < 0) throw new RangeError('latencyScale must be a number, 0 or more');
    if (!(rate >= 0 && rate <= 1)) throw new RangeError('failureRate must be from 0 to 1');
    this.clock = options.clock;
    this.latencyScale = scale;
    this.failureRate = rate;
    this.chaos = new SeededRandom(options.seed ?? 1);
    this.latencyMs = { ...DEFAULT_LATENCY_MS, ...options.latencyMs };
    this.archives = new BackupArchiveStore(join(options.dataDir, 'backups'));
    this.instances = new InstanceStateStore(join(options.dataDir, 'instances'));
  }

  // ----- for tests -----

  /** The next `times` calls of `operation` throw a DriverError (before doing anything). */
  failNext(operation: DriverOperation, { times = 1, retryable = true, reason }: InjectedFailure = {}): void {
    if (!DRIVER_OPERATIONS.includes(operation)) throw new RangeError(`Unknown driver operation: ${String(operation)}`);
    const queue = this.injected.get(operation) ?? [];
    for (let i = 0; i < times; i++) queue.push({ retryable, reason: reason ?? `simulated ${operation} failure` });
    this.injected.set(operation, queue);
  }

  /** Forgets every failure injected and not yet thrown. */
  clearFailures(): void {
    this.injected.clear();
  }

  /** The latency of an operation as slept, in ms of the clock (after the scale). */
  latencyOf(operation: DriverOperation): number {
    return this.scaled(this.latencyMs[operation]);
  }

  /** What the data plane knows of an instance, or null. */
  instance(addonId: string): Promise<InstanceState | null> {
    return this.instances.read(checkId('instance', addonId));
  }

  // ----- the port -----

  async provision(spec: InstanceSpec): Promise<void> {
    this.maybeFail('provision');
    checkSpec('provision', spec);
    const known = await this.instances.read(spec.addonId);
    if (known?.status === 'deprovisioned') throw gone('provision', spec.addonId);
    if (known?.operations.provision) return;
    await this.sleep(this.latencyMs.provision);
    await this.mutate('provision', spec, (state) => {
      if (state.status === 'deprovisioned') throw gone('provision', spec.addonId);
      if (state.operations.provision) return;
      Object.assign(state, specFields(spec), { status: 'up' satisfies InstanceStatus });
      this.record(state, 'provision');
    });
  }

  async changePlan(
    spec: InstanceSpec,
    change: { fromPlanId: string; toPlanId: string; downtime: Downtime },
  ): Promise<{ downtimeSeconds: number }> {
    this.maybeFail('changePlan');
    checkSpec('changePlan', spec);
    const key = `changePlan:${change.fromPlanId}>${change.toPlanId}`;
    const known = await this.live('changePlan', spec);
    const done = known.operations[key];
    if (done && known.planId === change.toPlanId) {
      return { downtimeSeconds: Number(done.result?.downtimeSeconds ?? 0) };
    }
    const downtimeSeconds = downtimeOf(spec.addonId, key, change.downtime);
    await this.sleep(this.latencyMs.changePlan);
    await this.restartFor('changePlan', spec, downtimeSeconds);
    await this.mutate('changePlan', spec, (state) => {
      Object.assign(state, { planId: change.toPlanId, nodes: spec.nodes, status: 'up' satisfies InstanceStatus });
      this.record(state, key, { downtimeSeconds });
    });
    return { downtimeSeconds };
  }

  async upgrade(
    spec: InstanceSpec,
    upgrade: { fromVersion: string; toVersion: string; downtime: Downtime },
  ): Promise<{ downtimeSeconds: number }> {
    this.maybeFail('upgrade');
    checkSpec('upgrade', spec);
    const key = `upgrade:${upgrade.fromVersion}>${upgrade.toVersion}`;
    const known = await this.live('upgrade', spec);
    const done = known.operations[key];
    if (done && known.version === upgrade.toVersion) {
      return { downtimeSeconds: Number(done.result?.downtimeSeconds ?? 0) };
    }
    const downtimeSeconds = downtimeOf(spec.addonId, key, upgrade.downtime);
    await this.sleep(this.latencyMs.upgrade);
    await this.restartFor('upgrade', spec, downtimeSeconds);
    await this.mutate('upgrade', spec, (state) => {
      Object.assign(state, { version: upgrade.toVersion, status: 'up' satisfies InstanceStatus });
      this.record(state, key, { downtimeSeconds });
    });
    return { downtimeSeconds };
  }

  async takeBackup(spec: InstanceSpec, backup: { backupId: string; name: string; createdAt: string }): Promise<BackupArtifact> {
    this.maybeFail('takeBackup');
    checkSpec('takeBackup', spec);
    checkId('takeBackup', backup.backupId);
    // Taken already (a flow resumed after a crash): the same archive, not a second dump.
    if (await this.archives.manifest(spec.addonId, backup.backupId)) {
      return this.exclusive(`backup:${spec.addonId}:${backup.backupId}`, () => this.archives.take(dumpInput(spec, backup)));
    }
    await this.live('takeBackup', spec);
    await this.sleep(this.latencyMs.takeBackup);
    return this.exclusive(`backup:${spec.addonId}:${backup.backupId}`, () => this.archives.take(dumpInput(spec, backup)));
  }

  async deleteBackup(addonId: string, backupId: string): Promise<void> {
    this.maybeFail('deleteBackup');
    checkId('deleteBackup', addonId);
    checkId('deleteBackup', backupId);
    await this.sleep(this.latencyMs.deleteBackup);
    await this.exclusive(`backup:${addonId}:${backupId}`, () => this.archives.delete(addonId, backupId));
  }

  async openBackup(addonId: string, backupId: string): Promise<OpenedBackup | null> {
    this.maybeFail('openBackup');
    await this.sleep(this.latencyMs.openBackup);
    const opened = await this.archives.open(addonId, backupId);
    if (!opened) return null;
    const { manifest, stream } = opened;
    return { stream, sizeBytes: manifest.size, checksum: manifest.checksum, fileName: `${manifest.name}.dump.gz` };
  }

  async promoteStandby(spec: InstanceSpec, failover: { fromNode: string; toNode: string }): Promise<{ standby: string }> {
    this.maybeFail('promoteStandby');
    checkSpec('promoteStandby', spec);
    const key = `promote:${failover.fromNode}>${failover.toNode}`;
    const known = await this.live('promoteStandby', spec);
    const done = known.operations[key];
    if (done) return { standby: String(done.result?.standby) };
    const dbNodes = new Set([...spec.nodes, ...known.nodes].map((n) => n.name).filter((name) => DB_NODE.test(name)));
    if (!dbNodes.has(failover.toNode)) {
      throw new DriverError('promoteStandby', `${failover.toNode} is not a database node of this instance`, false);
    }
    await this.sleep(this.latencyMs.promoteStandby);
    return this.mutate('promoteStandby', spec, (state) => {
      const recorded = state.operations[key];
      if (recorded) return { standby: String(recorded.result?.standby) };
      const current = [...spec.nodes, ...state.nodes];
      const highest = Math.max(0, ...current.map((n) => Number(DB_NODE.exec(n.name)?.[1] ?? 0)));
      const standby = `${spec.resourceId}-db-${highest + 1}`;
      const others = state.nodes.filter(
        (n) => n.role !== 'leader' && n.role !== 'standby' && n.name !== failover.fromNode && n.name !== failover.toNode,
      );
      state.nodes = [{ name: failover.toNode, role: 'leader' }, { name: standby, role: 'standby' }, ...others];
      state.status = 'up';
      this.record(state, key, { standby });
      return { standby };
    });
  }

  async restore(spec: InstanceSpec, source: { backupId: string } | { pointInTime: string }): Promise<void> {
    this.maybeFail('restore');
    checkSpec('restore', spec);
    const key = 'backupId' in source ? `restore:backup:${source.backupId}` : `restore:pitr:${source.pointInTime}`;
    const known = await this.live('restore', spec);
    // The port carries no restore id: a restore of the same source right after the same
    // restore is the same call again (and would leave the same data anyway).
    if (known.operations[key] && known.lastOperation === key) return;
    if ('backupId' in source) {
      checkId('restore', source.backupId);
      const archive = await this.archives.verify(spec.addonId, source.backupId);
      if (archive !== 'ok') {
        const why = archive === 'missing' ? 'is gone' : 'fails its checksum in every replica';
        throw new DriverError('restore', `the archive of backup ${source.backupId} ${why}`, false);
      }
    }
    // Point-in-time: the domain checked the recovery window; the WAL is always there here.
    await this.mutate('restore', spec, (state) => {
      state.status = 'restoring';
    });
    await this.sleep(this.latencyMs.restore);
    await this.mutate('restore', spec, (state) => {
      state.status = 'up';
      state.lastRestore = { source: key.slice('restore:'.length), at: this.clock.now().toISOString() };
      this.record(state, key);
    });
  }

  async maintain(spec: InstanceSpec, maintenanceId: string): Promise<void> {
    this.maybeFail('maintain');
    checkSpec('maintain', spec);
    const key = `maintain:${maintenanceId}`;
    const known = await this.live('maintain', spec);
    if (known.operations[key]) return;
    await this.mutate('maintain', spec, (state) => {
      state.status = 'maintenance';
    });
    await this.sleep(this.latencyMs.maintain);
    await this.mutate('maintain', spec, (state) => {
      state.status = 'up';
      this.record(state, key);
    });
  }

  async deprovision(addonId: string): Promise<void> {
    this.maybeFail('deprovision');
    checkId('deprovision', addonId);
    const known = await this.instances.read(addonId);
    // Never created here, or destroyed already: nothing left to do.
    if (!known || known.status === 'deprovisioned') return;
    await this.sleep(this.latencyMs.deprovision);
    await this.exclusive(`instance:${addonId}`, async () => {
      const state = await this.instances.read(addonId);
      if (!state || state.status === 'deprovisioned') return;
      state.status = 'deprovisioned';
      state.nodes = [];
      this.record(state, 'deprovision');
      await this.instances.write(state);
    });
  }

  // ----- internals -----

  /** The instance as known, or as the spec describes it (one created before this driver kept files); refused once destroyed. */
  private async live(operation: DriverOperation, spec: InstanceSpec): Promise<InstanceState> {
    const known = await this.instances.read(spec.addonId);
    if (known?.status === 'deprovisioned') throw gone(operation, spec.addonId);
    return known ?? adopt(spec);
  }

  /** Stopped for the downtime (state `down` meanwhile), then started again. */
  private async restartFor(operation: DriverOperation, spec: InstanceSpec, downtimeSeconds: number): Promise<void> {
    if (downtimeSeconds <= 0) return;
    await this.mutate(operation, spec, (state) => {
      state.status = 'down';
    });
    await this.sleep(downtimeSeconds * 1000);
  }

  /** Reads, changes and writes an instance's file, one change at a time per add-on. */
  private mutate<T>(operation: DriverOperation, spec: InstanceSpec, change: (state: InstanceState) => T): Promise<T> {
    return this.exclusive(`instance:${spec.addonId}`, async () => {
      const state = (await this.instances.read(spec.addonId)) ?? adopt(spec);
      if (state.status === 'deprovisioned') throw gone(operation, spec.addonId);
      const result = change(state);
      await this.instances.write(state);
      return result;
    });
  }

  private record(state: InstanceState, key: string, result?: Record<string, unknown>): void {
    state.operations[key] = { at: this.clock.now().toISOString(), ...(result && { result }) };
    state.lastOperation = key;
  }

  private async exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  private maybeFail(operation: DriverOperation): void {
    const queue = this.injected.get(operation);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.injected.delete(operation);
    if (next) throw new DriverError(operation, next.reason, next.retryable);
    if (this.failureRate === 0 || CHAOS_SPARED.has(operation)) return;
    if (this.chaos.next() >= this.failureRate) return;
    const final = this.chaos.next() < CHAOS_FINAL_SHARE;
    throw new DriverError(operation, this.chaos.pick(final ? CHAOS_FINAL_REASONS : CHAOS_REASONS), !final);
  }

  private scaled(ms: number): number {
    return Math.round(ms * this.latencyScale);
  }

  private async sleep(ms: number): Promise<void> {
    const scaled = this.scaled(ms);
    if (scaled > 0) await this.clock.sleep(scaled);
  }
}

/** A deterministic downtime of the kind decided, for this add-on and change. */
export function downtimeOf(addonId: string, changeKey: string, downtime: Downtime): number {
  const [min, max] = DOWNTIME_SECONDS[downtime];
  if (max === 0) return 0;
  return new SeededRandom(seedOf('downtime', addonId, changeKey)).int(min, max);
}

function specFields(spec: InstanceSpec) {
  return {
    resourceId: spec.resourceId,
    providerId: spec.providerId,
    planId: spec.planId,
    version: spec.version,
    nodes: spec.nodes.map((n: AddonNode) => ({ name: n.name, role: n.role })),
  };
}

function adopt(spec: InstanceSpec): InstanceState {
  return { format: 1, addonId: spec.addonId, ...specFields(spec), status: 'up', operations: {} };
}

function dumpInput(spec: InstanceSpec, backup: { backupId: string; name: string; createdAt: string }) {
  return {
    addonId: spec.addonId,
    resourceId: spec.resourceId,
    providerId: spec.providerId,
    version: spec.version,
    backupId: backup.backupId,
    name: backup.name,
    createdAt: backup.createdAt,
  };
}

function gone(operation: string, addonId: string): DriverError {
  return new DriverError(operation, `instance ${addonId} has been deprovisioned`, false);
}

function checkId(operation: string, id: string): string {
  if (typeof id !== 'string' || !SAFE_ID.test(id)) {
    throw new DriverError(operation, 'ids are 1 to 128 of A-Z a-z 0-9 _ -', false);
  }
  return id;
}

function checkSpec(operation: string, spec: InstanceSpec): void {
  checkId(operation, spec.addonId);
}
