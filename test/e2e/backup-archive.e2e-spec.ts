import { createHash } from 'node:crypto';
import request, { Response } from 'supertest';
import { ARCHIVE_LINK_KEY_PURPOSE, ArchiveLinks } from '../../src/backups/archive-links';
import { InstanceSpec, PlatformDriver } from '../../src/platform/driver/platform-driver.port';
import { KeyRing } from '../../src/security/key-ring';
import { SimulatedClock } from '../../src/shared/clock';
import { AppFixture, MASTER_KEY } from './app-fixture';
import { expectError, Scenario } from './scenario';

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Downloads a link without a token, the body as bytes. */
function download(fixture: AppFixture, url: string): Promise<Response> {
  return request(fixture.http())
    .get(url)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

/**
 * Downloading a backup over HTTP: the audited request for a short-lived signed link, and
 * the archive behind it, streamed from the simulated data plane's files.
 */
describe('Backup archives: signed links and downloads', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  let alice: string;
  let bob: string;
  let support: string;
  let platform: string;
  let addonId: string;
  const path = (id = addonId, app = 'shop') => `/v1/apps/${app}/addons/${id}`;

  beforeAll(async () => {
    await fixture.start({ DRIVER_LATENCY_SCALE: '0' });
    alice = await s.token('owner', 'alice');
    bob = await s.token('owner', 'bob');
    support = await s.token('support', 'sam');
    platform = await s.token('platform', 'scheduler');
    await s.createApp(alice, 'shop');
    await s.createApp(bob, 'bobs');
    addonId = await s.runningAddon(alice, 'shop', 'postgresql', 'postgresql-starter-256');
  });
  afterAll(() => fixture.dispose());

  const driver = () => fixture.app.get(PlatformDriver);

  /** A manual backup taken by the data plane, as the platform would: requested over HTTP, dumped by the driver, recorded done. */
  async function doneBackup(id = addonId): Promise<{ backupId: string; checksum: string; sizeBytes: number }> {
    const requested = await s.call(alice, 'POST', `${path(id)}/backups`);
    if (requested.status !== 202) throw new Error(`backup: ${requested.status} ${requested.text}`);
    const { id: backupId, name, created_at: createdAt } = requested.body.backup;
    await s.platform(id, { type: 'StartBackup', data: { backupId } });
    const { body } = await s.call(alice, 'GET', path(id));
    const spec: InstanceSpec = {
      addonId: id,
      resourceId: body.addon.resource_id,
      providerId: body.addon.addon_provider.id,
      planId: body.addon.plan.id,
      version: body.addon.version,
      nodes: body.addon.nodes.map((n: { name: string; role: string }) => ({ name: n.name, role: n.role })),
    };
    const artifact = await driver().takeBackup(spec, { backupId, name, createdAt });
    await s.platform(id, { type: 'CompleteBackup', data: { backupId, ...artifact } });
    return { backupId, checksum: artifact.checksum, sizeBytes: artifact.sizeBytes };
  }

  /** The checksum the log recorded for a backup (its BackupTaken event). */
  async function recordedChecksum(backupId: string, id = addonId): Promise<string> {
    const taken = (await s.stream(`addon-${id}`)).find((e) => e.type === 'BackupTaken' && e.data.backupId === backupId);
    return String(taken?.data.checksum);
  }

  describe('GET …/backups/:bid/archive', () => {
    let backup: { backupId: string; checksum: string; sizeBytes: number };
    beforeAll(async () => {
      backup = await doneBackup();
    });

    it('gives the owner a link valid 5 minutes, and records BackupDownloadRequested with the owner as actor', async () => {
      const before = await s.head();
      const asked = Date.now();
      const response = await s.call(alice, 'GET', `${path()}/backups/${backup.backupId}/archive`);
      const answered = Date.now();
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(['download_url', 'expires_at']);
      expect(response.body.download_url).toMatch(/^\/v1\/backup-archives\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
      const expiresAt = Date.parse(response.body.expires_at);
      expect(expiresAt).toBeGreaterThanOrEqual(asked + 300_000);
      expect(expiresAt).toBeLessThanOrEqual(answered + 300_000);
      expect(response.headers['cache-control']).toBe('no-store');

      const appended = await s.since(before);
      expect(appended.map((e) => `${e.stream} ${e.type}`)).toEqual([`addon-${addonId} BackupDownloadRequested`]);
      expect(appended[0].data).toMatchObject({ backupId: backup.backupId });
      expect(appended[0].metadata.actor).toBe('owner:alice');
      expect(response.headers['x-event-position']).toBe(appended[0].position.toString());
    });

    it('streams the archive behind the link, without a token: the bytes whose checksum the backup recorded', async () => {
      const link = await s.call(alice, 'GET', `${path()}/backups/${backup.backupId}/archive`);
      const response = await download(fixture, link.body.download_url);
      expect(response.status).toBe(200);
      const bytes = response.body as Buffer;
      const recorded = await recordedChecksum(backup.backupId);
      expect(sha256(bytes)).toBe(recorded);
      expect(recorded).toBe(backup.checksum);
      expect(bytes.length).toBe(backup.sizeBytes);
      const listed = await s.call(alice, 'GET', `${path()}/backups/${backup.backupId}`);
      expect(listed.body.backup.size).toBe(bytes.length);

      expect(response.headers['content-type']).toBe('application/gzip');
      expect(response.headers['content-length']).toBe(String(bytes.length));
      expect(response.headers['content-disposition']).toBe(`attachment; filename="${listed.body.backup.name}.dump.gz"`);
      expect(response.headers['x-checksum']).toBe(recorded);
      expect(response.headers.digest).toBe(`sha-256=${createHash('sha256').update(bytes).digest('base64')}`);
      expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    });

    it('gives support a link too, recorded with support as actor; the platform role is refused', async () => {
      const before = await s.head();
      const response = await s.call(support, 'GET', `${path()}/backups/${backup.backupId}/archive`);
      expect(response.status).toBe(200);
      expect((await s.since(before)).map((e) => e.metadata.actor)).toEqual(['support:sam']);
      expectError(await s.call(platform, 'GET', `${path()}/backups/${backup.backupId}/archive`), 403, 'AUTH.FORBIDDEN');
    });

    it("answers another owner 404, as for something that does not exist, and records nothing", async () => {
      const before = await s.head();
      expectError(await s.call(bob, 'GET', `${path()}/backups/${backup.backupId}/archive`), 404, 'APP.NOT_FOUND');
      expectError(await s.call(bob, 'GET', `${path(addonId, 'bobs')}/backups/${backup.backupId}/archive`), 404, 'ADDON.NOT_FOUND');
      expect(await s.head()).toBe(before);
    });

    it('refuses a backup that is not there, or not done yet, and records nothing', async () => {
      const before = await s.head();
      expectError(await s.call(alice, 'GET', `${path()}/backups/00000000-0000-4000-8000-000000000000/archive`), 404, 'BACKUP.NOT_FOUND');
      const pending = await s.call(alice, 'POST', `${path()}/backups`);
      const afterRequest = await s.head();
      expectError(await s.call(alice, 'GET', `${path()}/backups/${pending.body.backup.id}/archive`), 409, 'BACKUP.NOT_READY');
      expect(await s.head()).toBe(afterRequest);
      expect(afterRequest).not.toBe(before);
      await s.platform(addonId, { type: 'FailBackup', data: { backupId: pending.body.backup.id, reason: 'test' } });
      expectError(await s.call(alice, 'GET', `${path()}/backups/${pending.body.backup.id}/archive`), 422, 'BACKUP.FAILED');
    });
  });

  describe('GET /v1/backup-archives/:token', () => {
    let backup: { backupId: string; checksum: string };
    let url: string;
    beforeAll(async () => {
      backup = await doneBackup();
      url = (await s.call(alice, 'GET', `${path()}/backups/${backup.backupId}/archive`)).body.download_url;
    });

    it('answers 404 ARCHIVE.LINK_INVALID for a tampered or made-up link', async () => {
      const token = url.slice('/v1/backup-archives/'.length);
      const [payload, mac] = token.split('.');
      const flipped = (text: string, i: number) => text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
      for (const bad of [
        `${flipped(payload, 5)}.${mac}`,
        `${payload}.${flipped(mac, 10)}`,
        `${Buffer.from(JSON.stringify([1, addonId, 'other', Date.now() + 60_000])).toString('base64url')}.${mac}`,
        'nonsense',
      ]) {
        const response = await s.call(null, 'GET', `/v1/backup-archives/${bad}`);
        expectError(response, 404, 'ARCHIVE.LINK_INVALID');
        expect(response.text).not.toContain(bad);
      }
    });

    it('answers 410 ARCHIVE.LINK_EXPIRED once the link has expired', async () => {
      // Signed with the key the app derives from its MASTER_KEY, five minutes ago.
      const past = new SimulatedClock(new Date(Date.now() - 301_000));
      const links = new ArchiveLinks(new KeyRing(Buffer.from(MASTER_KEY, 'base64')).deriveKey(ARCHIVE_LINK_KEY_PURPOSE), 300, past);
      const { token } = links.issue(addonId, backup.backupId);
      expectError(await s.call(null, 'GET', `/v1/backup-archives/${token}`), 410, 'ARCHIVE.LINK_EXPIRED');
      // The same signer, now: valid (so the 410 is the expiry, not the key).
      const fresh = new ArchiveLinks(new KeyRing(Buffer.from(MASTER_KEY, 'base64')).deriveKey(ARCHIVE_LINK_KEY_PURPOSE), 300, new SimulatedClock(new Date()));
      expect((await download(fixture, `/v1/backup-archives/${fresh.issue(addonId, backup.backupId).token}`)).status).toBe(200);
    });

    it('answers 410 BACKUP.EXPIRED once the archive is gone', async () => {
      const other = await doneBackup();
      const link = (await s.call(alice, 'GET', `${path()}/backups/${other.backupId}/archive`)).body.download_url;
      await driver().deleteBackup(addonId, other.backupId);
      expectError(await s.call(null, 'GET', link), 410, 'BACKUP.EXPIRED');
    });

    it('keeps serving a removed add-on’s kept backups', async () => {
      const id = await s.runningAddon(alice, 'shop', 'mysql', 'mysql-starter-256');
      const kept = await doneBackup(id);
      expect((await s.call(alice, 'DELETE', path(id))).status).toBe(200);
      const link = await s.call(alice, 'GET', `${path(id)}/backups/${kept.backupId}/archive`);
      expect(link.status).toBe(200);
      const response = await download(fixture, link.body.download_url);
      expect(response.status).toBe(200);
      expect(sha256(response.body as Buffer)).toBe(await recordedChecksum(kept.backupId, id));
    });

    it('answers 410 BACKUP.EXPIRED for a backup retention expired: 11 manual backups on Starter keep 10', async () => {
      const id = await s.runningAddon(alice, 'shop', 'redis', 'redis-starter-256');
      const oldest = await doneBackup(id);
      const link = (await s.call(alice, 'GET', `${path(id)}/backups/${oldest.backupId}/archive`)).body.download_url;
      expect((await download(fixture, link)).status).toBe(200);
      for (let i = 0; i < 10; i++) await doneBackup(id);

      const listed = await s.call(alice, 'GET', `${path(id)}/backups/${oldest.backupId}`);
      expect(listed.body.backup.status).toBe('expired');
      // The link given before: the backup it names has expired.
      expectError(await s.call(null, 'GET', link), 410, 'BACKUP.EXPIRED');
      // A new link: refused by the domain, and nothing recorded.
      const before = await s.head();
      expectError(await s.call(alice, 'GET', `${path(id)}/backups/${oldest.backupId}/archive`), 410, 'BACKUP.EXPIRED');
      expect(await s.head()).toBe(before);
    });
  });

  // Known leak, outside this feature's files: the access log (src/http/logging.ts) writes
  // `req.url`, token included. Fix: `url: redactArchiveLink(req.url ?? '')` in its `req`
  // serializer (src/backups/archive-links.ts); then turn this `it.failing` into `it`.
  it('never logs a link token', () => {
    const tokens = s.recorded
      .filter((r) => r.method === 'GET' && r.status === 200 && /\/archive$/.test(r.path))
      .map((r) => String(JSON.parse(r.text).download_url).split('/').at(-1)!);
    expect(tokens.length).toBeGreaterThan(3);
    const logs = fixture.logText();
    for (const token of tokens) expect(logs).not.toContain(token.split('.')[1]);
  });

  it('never puts the master key in a link or an answer', () => {
    expect(s.recorded.length).toBeGreaterThan(20);
    const key = Buffer.from(MASTER_KEY, 'base64');
    for (const recorded of s.recorded) {
      for (const encoding of ['base64', 'base64url', 'hex'] as const) expect(recorded.text).not.toContain(key.toString(encoding));
    }
  });
});
