import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { SimulatedClock } from '../../shared/clock';
import { REPLICAS } from './backup-archive-store';
import { DriverError, InstanceSpec } from './platform-driver.port';
import { SimulatedDriverOptions, SimulatedPlatformDriver } from './simulated-platform-driver';

const T0 = '2025-03-03T10:00:00.000Z';
const ADDON = '6f1c2b9e-4d3a-4c55-9a0e-0b7d5f2e8a11';
const OTHER = '0e3b9d47-1a2c-4f6e-8b5d-9c0a7e6f1b22';
const RESOURCE = 'my-app-3030';

const starter: InstanceSpec = {
  addonId: ADDON,
  resourceId: RESOURCE,
  providerId: 'postgresql',
  planId: 'postgresql-starter-512',
  version: '16.8.0',
  nodes: [{ name: `${RESOURCE}-db-1`, role: 'leader' }],
};

const business: InstanceSpec = {
  ...starter,
  planId: 'postgresql-business-1024',
  nodes: [
    { name: `${RESOURCE}-db-1`, role: 'leader' },
    { name: `${RESOURCE}-db-2`, role: 'standby' },
  ],
};

const backup = (backupId: string, createdAt = T0) => ({ backupId, name: `${createdAt.replace(/[-:TZ.]/g, '').slice(0, 14)}_${RESOURCE}`, createdAt });

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Lets file I/O run, moving simulated time to each sleeper, until `work` settles. */
async function drive<T>(clock: SimulatedClock, work: Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const start = clock.now().getTime();
  let settled = false;
  work.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    const wake = clock.nextWake();
    if (wake) await clock.advanceTo(wake);
  }
  return { value: await work, elapsedMs: clock.now().getTime() - start };
}

/** Resolves once something sleeps on the clock; answers when it wakes. */
async function firstWake(clock: SimulatedClock): Promise<Date> {
  for (let i = 0; i < 500; i++) {
    const wake = clock.nextWake();
    if (wake) return wake;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error('nothing slept on the clock');
}

describe('SimulatedPlatformDriver', () => {
  let dataDir: string;
  let clock: SimulatedClock;
  let driver: SimulatedPlatformDriver;
  const make = (options: Partial<SimulatedDriverOptions> = {}) => new SimulatedPlatformDriver({ dataDir, clock, ...options });

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'driver-'));
    clock = new SimulatedClock(T0);
    driver = make();
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  describe('latency, on the injected clock', () => {
    it('provisioning takes 30 s of simulated time, and not a moment less', async () => {
      let done = false;
      const work = driver.provision(starter).then(() => (done = true));
      expect((await firstWake(clock)).toISOString()).toBe('2025-03-03T10:00:30.000Z');
      await clock.advance(29_999);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(done).toBe(false);
      await clock.advance(1);
      await work;
      expect(clock.now().toISOString()).toBe('2025-03-03T10:00:30.000Z');
      expect(await driver.instance(ADDON)).toMatchObject({ status: 'up', planId: starter.planId, version: '16.8.0' });
    });

    it.each([
      ['takeBackup', 120_000],
      ['deleteBackup', 1_000],
      ['promoteStandby', 20_000],
      ['upgrade', 60_000],
      ['restore', 180_000],
      ['maintain', 1_800_000],
      ['deprovision', 10_000],
    ] as const)('%s defaults to %i ms', (operation, ms) => {
      expect(driver.latencyOf(operation)).toBe(ms);
    });

    it('scales every latency by DRIVER_LATENCY_SCALE, and takes none at 0', async () => {
      const fast = make({ latencyScale: 0.001 });
      expect((await drive(clock, fast.provision(starter))).elapsedMs).toBe(30);
      const instant = make({ latencyScale: 0, dataDir: mkdtempSync(join(dataDir, 'other-')) });
      expect((await drive(clock, instant.takeBackup(starter, backup('b0')))).elapsedMs).toBe(0);
    });

    it('takes a per-operation latency from the options', async () => {
      const custom = make({ latencyMs: { provision: 5_000 } });
      expect((await drive(clock, custom.provision(starter))).elapsedMs).toBe(5_000);
    });
  });

  describe('plan changes and upgrades: the downtime of their kind, included in the latency', () => {
    const change = (downtime: 'none' | 'seconds') => ({
      fromPlanId: 'postgresql-starter-512',
      toPlanId: downtime === 'none' ? 'postgresql-business-1024' : 'postgresql-starter-1024',
      downtime,
    });

    it("'none' (onto a Business cluster): no downtime, no wait", async () => {
      const { value, elapsedMs } = await drive(clock, driver.changePlan(business, change('none')));
      expect(value).toEqual({ downtimeSeconds: 0 });
      expect(elapsedMs).toBe(0);
      expect(await driver.instance(ADDON)).toMatchObject({ planId: 'postgresql-business-1024', nodes: business.nodes, status: 'up' });
    });

    it("'seconds': 2 to 10 s, the same for the same change, slept in full", async () => {
      const { value, elapsedMs } = await drive(clock, driver.changePlan(starter, change('seconds')));
      expect(value.downtimeSeconds).toBeGreaterThanOrEqual(2);
      expect(value.downtimeSeconds).toBeLessThanOrEqual(10);
      expect(elapsedMs).toBe(value.downtimeSeconds * 1000);
      const elsewhere = make({ dataDir: mkdtempSync(join(dataDir, 'other-')) });
      expect((await drive(clock, elsewhere.changePlan(starter, change('seconds')))).value).toEqual(value);
    });

    it('answers a repeated change with the first answer, without restarting again', async () => {
      const first = await drive(clock, driver.changePlan(starter, change('seconds')));
      const again = await drive(clock, driver.changePlan(starter, change('seconds')));
      expect(again).toEqual({ value: first.value, elapsedMs: 0 });
    });

    it("an upgrade with 'downtime' is down 30 to 120 s on top of its minute", async () => {
      const upgrade = { fromVersion: '16.9.0', toVersion: '17.4.0', downtime: 'downtime' as const };
      const { value, elapsedMs } = await drive(clock, driver.upgrade({ ...starter, version: '16.9.0' }, upgrade));
      expect(value.downtimeSeconds).toBeGreaterThanOrEqual(30);
      expect(value.downtimeSeconds).toBeLessThanOrEqual(120);
      expect(elapsedMs).toBe(60_000 + value.downtimeSeconds * 1000);
      expect((await driver.instance(ADDON))?.version).toBe('17.4.0');
      expect(await drive(clock, driver.upgrade({ ...starter, version: '16.9.0' }, upgrade))).toEqual({ value, elapsedMs: 0 });
    });

    it('is down while it restarts, up after', async () => {
      const work = driver.changePlan(starter, change('seconds'));
      await firstWake(clock);
      expect((await driver.instance(ADDON))?.status).toBe('down');
      await drive(clock, work);
      expect((await driver.instance(ADDON))?.status).toBe('up');
    });
  });

  describe('backups: real archives in three replicas', () => {
    it('writes the gzip and its manifest in each replica, after two minutes', async () => {
      const { value: artifact, elapsedMs } = await drive(clock, driver.takeBackup(starter, backup('b1')));
      expect(elapsedMs).toBe(120_000);
      expect(artifact.replicas).toEqual([
        { site: 'dc-primary', path: `/${ADDON}/b1.dump.gz` },
        { site: 'dc-secondary', path: `/${ADDON}/b1.dump.gz` },
        { site: 'provider-snapshot', path: `/${ADDON}/b1.dump.gz` },
      ]);
      for (const replica of REPLICAS) {
        const bytes = readFileSync(join(dataDir, 'backups', replica, ADDON, 'b1.dump.gz'));
        expect(sha256(bytes)).toBe(artifact.checksum);
        expect(bytes.length).toBe(artifact.sizeBytes);
        const manifest = JSON.parse(readFileSync(join(dataDir, 'backups', replica, ADDON, 'b1.manifest.json'), 'utf8'));
        expect(manifest).toEqual({
          format: 1,
          backup_id: 'b1',
          addon_id: ADDON,
          resource_id: RESOURCE,
          name: backup('b1').name,
          type: 'postgresql',
          version: '16.8.0',
          created_at: T0,
          size: artifact.sizeBytes,
          checksum: artifact.checksum,
        });
      }
      expect(artifact.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
      const dump = gunzipSync(readFileSync(join(dataDir, 'backups', 'dc-primary', ADDON, 'b1.dump.gz'))).toString('utf8');
      expect(dump).toContain('simulated postgresql 16.8.0 dump');
      expect(dump).toContain('INSERT INTO "events"');
    });

    it('answers the same artifact, byte for byte, when asked again for the same backup (even on another version)', async () => {
      const first = (await drive(clock, driver.takeBackup(starter, backup('b1')))).value;
      const file = join(dataDir, 'backups', 'dc-primary', ADDON, 'b1.dump.gz');
      const bytes = readFileSync(file);
      const again = await drive(clock, driver.takeBackup({ ...starter, version: '16.9.0' }, backup('b1')));
      expect(again).toEqual({ value: first, elapsedMs: 0 });
      expect(readFileSync(file).equals(bytes)).toBe(true);
      const restarted = make();
      expect((await drive(clock, restarted.takeBackup(starter, backup('b1')))).value).toEqual(first);
    });

    it('varies in size and content with the add-on, the version and the backup', async () => {
      const instant = make({ latencyScale: 0 });
      const artifacts = [
        await instant.takeBackup(starter, backup('b1')),
        await instant.takeBackup(starter, backup('b2', '2025-03-04T00:00:00.000Z')),
        await instant.takeBackup({ ...starter, addonId: OTHER }, backup('b1')),
        await instant.takeBackup({ ...starter, addonId: OTHER, providerId: 'redis', version: '7.2.7' }, backup('b3')),
      ];
      expect(new Set(artifacts.map((a) => a.checksum)).size).toBe(4);
      expect(new Set(artifacts.map((a) => a.sizeBytes)).size).toBeGreaterThan(1);
      for (const { sizeBytes } of artifacts) {
        expect(sizeBytes).toBeGreaterThan(1_000);
        expect(sizeBytes).toBeLessThan(500_000);
      }
    });

    it('restores a lost or damaged copy from a good one when taken again', async () => {
      const artifact = (await drive(clock, driver.takeBackup(starter, backup('b1')))).value;
      const primary = join(dataDir, 'backups', 'dc-primary', ADDON, 'b1.dump.gz');
      const snapshot = join(dataDir, 'backups', 'provider-snapshot', ADDON, 'b1.dump.gz');
      unlinkSync(primary);
      writeFileSync(snapshot, 'garbage');
      expect((await drive(clock, driver.takeBackup(starter, backup('b1')))).value).toEqual(artifact);
      expect(sha256(readFileSync(primary))).toBe(artifact.checksum);
      expect(sha256(readFileSync(snapshot))).toBe(artifact.checksum);
    });

    it('opens the primary copy after checking its checksum', async () => {
      const artifact = (await drive(clock, driver.takeBackup(starter, backup('b1')))).value;
      const opened = await driver.openBackup(ADDON, 'b1');
      expect(opened).toMatchObject({ sizeBytes: artifact.sizeBytes, checksum: artifact.checksum, fileName: `${backup('b1').name}.dump.gz` });
      const bytes = await bytesOf(opened!.stream);
      expect(sha256(bytes)).toBe(artifact.checksum);
    });

    it('falls back to another replica when the primary is missing or damaged, and refuses when all are', async () => {
      const artifact = (await drive(clock, driver.takeBackup(starter, backup('b1')))).value;
      writeFileSync(join(dataDir, 'backups', 'dc-primary', ADDON, 'b1.dump.gz'), 'tampered');
      unlinkSync(join(dataDir, 'backups', 'dc-secondary', ADDON, 'b1.dump.gz'));
      const opened = await driver.openBackup(ADDON, 'b1');
      expect(sha256(await bytesOf(opened!.stream))).toBe(artifact.checksum);

      writeFileSync(join(dataDir, 'backups', 'provider-snapshot', ADDON, 'b1.dump.gz'), 'tampered too');
      await expect(driver.openBackup(ADDON, 'b1')).rejects.toMatchObject({ operation: 'openBackup', retryable: false });
      await expect(drive(clock, driver.restore(starter, { backupId: 'b1' }))).rejects.toMatchObject({
        operation: 'restore',
        retryable: false,
      });
    });

    it('deletes every replica, and deleting again is fine', async () => {
      await drive(clock, driver.takeBackup(starter, backup('b1')));
      await drive(clock, driver.takeBackup(starter, backup('b2')));
      expect((await drive(clock, driver.deleteBackup(ADDON, 'b1'))).elapsedMs).toBe(1_000);
      for (const replica of REPLICAS) {
        expect(existsSync(join(dataDir, 'backups', replica, ADDON, 'b1.dump.gz'))).toBe(false);
        expect(existsSync(join(dataDir, 'backups', replica, ADDON, 'b1.manifest.json'))).toBe(false);
        expect(existsSync(join(dataDir, 'backups', replica, ADDON, 'b2.dump.gz'))).toBe(true);
      }
      await drive(clock, driver.deleteBackup(ADDON, 'b1'));
      expect(await driver.openBackup(ADDON, 'b1')).toBeNull();
      await drive(clock, driver.deleteBackup(ADDON, 'never-taken'));
    });

    it('never reads outside its folder, whatever the ids', async () => {
      expect(await driver.openBackup('..', 'b1')).toBeNull();
      expect(await driver.openBackup(ADDON, '../../instances/x')).toBeNull();
      await expect(driver.takeBackup({ ...starter, addonId: '../x' }, backup('b1'))).rejects.toBeInstanceOf(DriverError);
      await expect(driver.deleteBackup(ADDON, '../b1')).rejects.toBeInstanceOf(DriverError);
    });
  });

  describe('failure injection', () => {
    it('fails the next calls of an operation, retryable by default, before doing anything', async () => {
      driver.failNext('provision', { times: 2, reason: 'host busy' });
      for (let i = 0; i < 2; i++) {
        const error = await driver.provision(starter).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DriverError);
        expect(error).toMatchObject({ operation: 'provision', reason: 'host busy', retryable: true });
      }
      expect(await driver.instance(ADDON)).toBeNull();
      await drive(clock, driver.provision(starter));
      expect((await driver.instance(ADDON))?.status).toBe('up');
    });

    it('injects a final failure with its reason, for that operation only', async () => {
      driver.failNext('takeBackup', { retryable: false, reason: 'disk full' });
      await drive(clock, driver.provision(starter));
      await expect(driver.takeBackup(starter, backup('b1'))).rejects.toMatchObject({
        message: 'takeBackup failed: disk full',
        retryable: false,
      });
      expect(existsSync(join(dataDir, 'backups', 'dc-primary', ADDON, 'b1.dump.gz'))).toBe(false);
    });

    it('fails calls at DRIVER_FAILURE_RATE, the same ones for the same seed', async () => {
      const outcomes = async (seed: number) => {
        const chaotic = make({ failureRate: 0.5, seed, latencyScale: 0, dataDir: mkdtempSync(join(dataDir, 'chaos-')) });
        const seen: string[] = [];
        for (let i = 0; i < 40; i++) {
          seen.push(
            await chaotic.deleteBackup(ADDON, `b${i}`).then(
              () => 'ok',
              (error: DriverError) => (error.retryable ? 'retry' : 'final'),
            ),
          );
        }
        return seen;
      };
      const first = await outcomes(7);
      expect(await outcomes(7)).toEqual(first);
      expect(await outcomes(8)).not.toEqual(first);
      expect(first).toContain('ok');
      expect(first).toContain('retry');
    });

    it('leaves reads of archives alone in chaos runs', async () => {
      await make({ latencyScale: 0 }).takeBackup(starter, backup('b1'));
      const chaotic = make({ failureRate: 1 });
      await expect(chaotic.provision(starter)).rejects.toBeInstanceOf(DriverError);
      const opened = await chaotic.openBackup(ADDON, 'b1');
      expect(opened).not.toBeNull();
      opened?.stream.destroy();
    });
  });

  describe('state on disk, idempotence', () => {
    it('survives a new driver on the same DATA_DIR: a repeated provision is answered at once', async () => {
      await drive(clock, driver.provision(business));
      const restarted = make();
      expect(await restarted.instance(ADDON)).toEqual(await driver.instance(ADDON));
      expect((await drive(clock, restarted.provision(business))).elapsedMs).toBe(0);
      expect(existsSync(join(dataDir, 'instances', `${ADDON}.json`))).toBe(true);
    });

    it('promotes the standby and names the rebuilt one after the highest db node, stably', async () => {
      await drive(clock, driver.provision(business));
      const failover = { fromNode: `${RESOURCE}-db-1`, toNode: `${RESOURCE}-db-2` };
      const { value, elapsedMs } = await drive(clock, driver.promoteStandby(business, failover));
      expect(value).toEqual({ standby: `${RESOURCE}-db-3` });
      expect(elapsedMs).toBe(20_000);
      expect((await driver.instance(ADDON))?.nodes).toEqual([
        { name: `${RESOURCE}-db-2`, role: 'leader' },
        { name: `${RESOURCE}-db-3`, role: 'standby' },
      ]);
      // The flow resumed after a crash, on another process: the same answer, at once.
      expect(await drive(clock, make().promoteStandby(business, failover))).toEqual({ value, elapsedMs: 0 });

      const after: InstanceSpec = {
        ...business,
        nodes: [
          { name: `${RESOURCE}-db-2`, role: 'leader' },
          { name: `${RESOURCE}-db-3`, role: 'standby' },
        ],
      };
      const next = await drive(clock, driver.promoteStandby(after, { fromNode: `${RESOURCE}-db-2`, toNode: `${RESOURCE}-db-3` }));
      expect(next.value).toEqual({ standby: `${RESOURCE}-db-4` });
    });

    it('keeps the sentinels and gateways of a Redis cluster through a failover', async () => {
      const redis: InstanceSpec = {
        ...business,
        providerId: 'redis',
        planId: 'redis-business-1024',
        nodes: [...business.nodes, { name: `${RESOURCE}-sentinel-1`, role: 'sentinel' }, { name: `${RESOURCE}-gateway-1`, role: 'gateway' }],
      };
      const { value } = await drive(clock, driver.promoteStandby(redis, { fromNode: `${RESOURCE}-db-1`, toNode: `${RESOURCE}-db-2` }));
      expect(value.standby).toBe(`${RESOURCE}-db-3`);
      expect((await driver.instance(ADDON))?.nodes.map((n) => n.name)).toEqual([
        `${RESOURCE}-db-2`,
        `${RESOURCE}-db-3`,
        `${RESOURCE}-sentinel-1`,
        `${RESOURCE}-gateway-1`,
      ]);
    });

    it('restores from a backup whose archive is there, or to a point in time, in three minutes', async () => {
      await drive(clock, driver.takeBackup(starter, backup('b1')));
      expect((await drive(clock, driver.restore(starter, { backupId: 'b1' }))).elapsedMs).toBe(180_000);
      expect((await driver.instance(ADDON))?.lastRestore).toEqual({ source: 'backup:b1', at: clock.now().toISOString() });
      expect((await drive(clock, driver.restore(starter, { backupId: 'b1' }))).elapsedMs).toBe(0);
      expect((await drive(clock, driver.restore(starter, { pointInTime: '2025-03-03T09:00:00.000Z' }))).elapsedMs).toBe(180_000);
      await expect(drive(clock, driver.restore(starter, { backupId: 'gone' }))).rejects.toMatchObject({
        operation: 'restore',
        retryable: false,
      });
    });

    it('runs a maintenance once per id', async () => {
      expect((await drive(clock, driver.maintain(starter, 'm1'))).elapsedMs).toBe(1_800_000);
      expect((await drive(clock, driver.maintain(starter, 'm1'))).elapsedMs).toBe(0);
      expect((await drive(clock, driver.maintain(starter, 'm2'))).elapsedMs).toBe(1_800_000);
    });

    it('deprovisions once; the instance is gone for good, its backups stay', async () => {
      await drive(clock, driver.provision(starter));
      await drive(clock, driver.takeBackup(starter, backup('b1')));
      expect((await drive(clock, driver.deprovision(ADDON))).elapsedMs).toBe(10_000);
      expect((await drive(clock, driver.deprovision(ADDON))).elapsedMs).toBe(0);
      expect((await driver.instance(ADDON))?.status).toBe('deprovisioned');
      await expect(driver.provision(starter)).rejects.toMatchObject({ retryable: false });
      await expect(driver.takeBackup(starter, backup('b2'))).rejects.toMatchObject({ retryable: false });
      const opened = await driver.openBackup(ADDON, 'b1');
      expect(opened).not.toBeNull();
      opened?.stream.destroy();
    });
  });
});
