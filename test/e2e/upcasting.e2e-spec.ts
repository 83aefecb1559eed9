import { EventBus } from '@nestjs/cqrs';
import { createHash } from 'node:crypto';
import request from 'supertest';
import type { AddonState } from '../../src/addons/domain/addon.state';
import { replayAddon } from '../../src/audit/replay/addon-replay';
import { loadConfig, openEventStore } from '../../src/cli/cli-support';
import { StoredEvent } from '../../src/event-store/event-store.port';
import { InstanceSpec, PlatformDriver } from '../../src/platform/driver/platform-driver.port';
import { RuntimeStore } from '../../src/platform/runtime/runtime-store';
import { SagaRunner } from '../../src/platform/runtime/saga-runner';
import { StoredEventMessage } from '../../src/shared/cqrs/stored-event.message';
import { ADMIN_TOKEN, AppFixture } from './app-fixture';
import { Scenario } from './scenario';
import { REPLICA_SITES } from '../../src/addons/domain/addon.events';
import type { PublicEvent } from '../../src/public-events/public-event.schemas';
import { schemaErrors } from '../support/published-events';
import { WebhookReceiver } from '../support/webhook-receiver';
import { SseClient } from './sse-client';
import { appendBackupTakenV1, backupTakenV2, replicasV1, TakenBackup } from './stored-v1-events';

/**
 * An add-on whose backup an older build recorded as BackupTaken schema version 1 (each
 * replica one `<site>:<path>` string), appended raw to the DATA_DIR's embedded store, then
 * the current build started on it: every reader of the log sees version 2.
 */
describe('A stored BackupTaken v1 is read as version 2 by every consumer', () => {
  const fixture = new AppFixture();
  const s = new Scenario(fixture);
  let alice: string;
  let addonId: string;
  const receiver = new WebhookReceiver();
  const env = { DRIVER_LATENCY_SCALE: '0', WEBHOOK_ALLOWED_RANGES: 'loopback' };
  let backup: TakenBackup;
  /** The v1 fixture as it sits in the store. */
  let stored: StoredEvent;
  const stream = () => `addon-${addonId}`;
  const path = () => `/v1/apps/shop/addons/${addonId}`;
  /** The fixture as every consumer must see it: the stored envelope, with v2 data and schemaVersion 2. */
  const upcast = (): StoredEvent => ({
    ...stored,
    data: backupTakenV2(addonId, backup) as unknown as StoredEvent['data'],
    metadata: { ...stored.metadata, schemaVersion: 2 },
  });

  beforeAll(async () => {
    await receiver.start();
    await fixture.start(env);
    alice = await s.token('owner', 'alice');
    await s.createApp(alice, 'shop');
    // A subscriber made before the old build recorded the backup: it gets the event once the current build runs.
    const hook = await s.call(alice, 'POST', '/v1/webhooks', { body: { url: receiver.url('/hook'), event_types: ['BackupTaken'] } });
    expect(hook.status).toBe(201);
    receiver.expect('/hook', hook.body.secret);
    addonId = await s.runningAddon(alice, 'shop', 'postgresql', 'postgresql-starter-256');
    // A manual backup, requested and started; the data plane dumps it (a real archive on disk).
    const requested = await s.call(alice, 'POST', `${path()}/backups`);
    expect(requested.status).toBe(202);
    const { id: backupId, name, created_at: createdAt } = requested.body.backup;
    await s.platform(addonId, { type: 'StartBackup', data: { backupId } });
    const { body } = await s.call(alice, 'GET', path());
    const spec: InstanceSpec = {
      addonId,
      resourceId: body.addon.resource_id,
      providerId: body.addon.addon_provider.id,
      planId: body.addon.plan.id,
      version: body.addon.version,
      nodes: body.addon.nodes,
    };
    const artifact = await fixture.app.get(PlatformDriver).takeBackup(spec, { backupId, name, createdAt });
    backup = { backupId, sizeBytes: artifact.sizeBytes, checksum: artifact.checksum, at: new Date().toISOString() };

    // The old build recorded it done, in version 1, and stopped; the current build starts on its DATA_DIR.
    await fixture.stop();
    stored = await appendBackupTakenV1(fixture.dataDir, addonId, backup);
    expect(stored.metadata.schemaVersion).toBe(1);
    expect(stored.data.replicas).toEqual(replicasV1(addonId, backup.backupId));
    await fixture.start(env);
  });
  afterAll(async () => {
    await fixture.dispose();
    await receiver.stop();
  });

  describe('(a) the event store the app injects, and the one the CLIs open', () => {
    it('readStream, readAll and subscribeToAll give the stored envelope with version 2 data', async () => {
      expect((await s.store.readStream(stream())).at(-1)).toEqual(upcast());
      expect(await s.store.readStream(stream(), { fromRevision: stored.revision })).toEqual([upcast()]);
      const [fromLog] = await s.store.readAll({ fromPosition: stored.position, maxCount: 1 });
      expect(fromLog).toEqual(upcast());
      const subscription = s.store.subscribeToAll({ fromPosition: stored.position - 1n, filter: { streamPrefixes: [stream()] } });
      for await (const live of subscription) {
        expect(live).toEqual(upcast());
        break;
      }
    });

    it('`npm run audit` and `npm run projections` read through the same upcasters', async () => {
      const cliStore = await openEventStore(loadConfig());
      try {
        expect((await cliStore.readStream(stream())).at(-1)).toEqual(upcast());
      } finally {
        await cliStore.close();
      }
    });
  });

  describe('(b) replay: the command side and the history endpoints fold version 2', () => {
    it('the replayed state holds the backup done, with structured replicas', async () => {
      let state: AddonState | undefined;
      for await (const step of replayAddon(s.store, addonId)) state = step.state;
      expect(state).toMatchObject({
        status: 'running',
        backups: [{ id: backup.backupId, status: 'done', sizeBytes: backup.sizeBytes, checksum: backup.checksum, replicas: backupTakenV2(addonId, backup).replicas }],
      });
    });

    it('GET …/history and GET …/state show the step the v1 event is', async () => {
      const history = await s.call(alice, 'GET', `/v1/addons/${addonId}/history`);
      expect(history.status).toBe(200);
      const step = history.body.history.at(-1);
      expect(step).toMatchObject({
        position: stored.position.toString(),
        action: 'BackupTaken',
        actor: 'platform:backups',
        summary: `Backup ${backup.backupId} taken (${backup.sizeBytes} bytes)`,
        state: { id: addonId, status: 'running' },
      });
      const at = await s.call(alice, 'GET', `/v1/addons/${addonId}/state?at=${stored.position}`);
      expect(at.status).toBe(200);
      expect(at.body.step).toEqual(step);
    });

    it('a command decided on it: the backup is done, so its download link is issued and the archive matches', async () => {
      const link = await s.call(alice, 'GET', `${path()}/backups/${backup.backupId}/archive`);
      expect(link.status).toBe(200);
      const archive = await request(fixture.http()).get(link.body.download_url).buffer(true).parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
      expect(archive.status).toBe(200);
      expect(`sha256:${createHash('sha256').update(archive.body as Buffer).digest('hex')}`).toBe(backup.checksum);
    });
  });

  describe('(c) the read models', () => {
    it('the backup list shows it done, the audit log has its entry, no projection is parked', async () => {
      const list = await s.call(alice, 'GET', `${path()}/backups?min_position=${stored.position}`);
      expect(list.status).toBe(200);
      expect(list.body.backups).toEqual([expect.objectContaining({ id: backup.backupId, status: 'done', size: backup.sizeBytes })]);
      const audit = await s.call(alice, 'GET', `/v1/apps/shop/events?min_position=${stored.position}&type=BackupTaken`);
      expect(audit.status).toBe(200);
      expect(audit.body.entries).toEqual([
        expect.objectContaining({ position: stored.position.toString(), summary: `Backup ${backup.backupId} taken (${backup.sizeBytes} bytes)` }),
      ]);
      const overview = await s.call(ADMIN_TOKEN, 'GET', '/v1/admin/projections');
      expect(overview.body.projections.filter((p: { parked: unknown }) => p.parked !== null)).toEqual([]);
    });
  });

  describe('(d) the sagas', () => {
    it('the backups saga gets version 2 and reacts (retention rescheduled after a finished backup)', async () => {
      const published: StoredEventMessage[] = [];
      const subscription = fixture.app.get(EventBus).subscribe((message) => published.push(message as StoredEventMessage));
      try {
        await fixture.app.get(SagaRunner).catchUp();
      } finally {
        subscription.unsubscribe();
      }
      expect(fixture.app.get(SagaRunner).parked).toBeNull();
      const taken = published.filter((m) => m.type === 'BackupTaken');
      expect(taken.map((m) => m.event)).toEqual([upcast()]);
      expect(taken[0].data).toEqual(backupTakenV2(addonId, backup));
      // The job the backups saga asked for in reaction to that very event.
      const job = await fixture.app.get(RuntimeStore).find(`backups:${stored.id}:0`);
      expect(job?.job).toEqual({ kind: 'reschedule', addonId });
    });
  });

  describe('(e) the public event feed and webhooks', () => {
    const published = (): Partial<PublicEvent> => ({
      id: stored.id,
      position: stored.position.toString(),
      type: 'BackupTaken',
      schema_version: 2,
      data: { backup_id: backup.backupId, size_bytes: backup.sizeBytes, checksum: backup.checksum, replicas: REPLICA_SITES.map((site) => ({ site })) },
    });

    it('GET /v1/events gives it as BackupTaken version 2, valid against the published schema', async () => {
      const events = await s.stream(stream());
      const before = events[events.findIndex((e) => e.id === stored.id) - 1].position; // the BackupStarted before it
      const feed = await SseClient.open(fixture.http(), `/v1/events?after=${before}`, { headers: { Authorization: `Bearer ${alice}` } });
      try {
        await feed.until((c) => c.events.length >= 1, 'the BackupTaken');
        const [event] = feed.parsed<PublicEvent>();
        expect(event).toMatchObject(published());
        expect(schemaErrors(event)).toEqual([]);
      } finally {
        await feed.close();
      }
    });

    it('a webhook receives it as BackupTaken version 2, signed', async () => {
      await receiver.until(() => receiver.accepted('/hook').length >= 1, 'the delivery');
      const [delivery] = receiver.accepted('/hook');
      expect(delivery.verified).toBe(true);
      const event = JSON.parse(delivery.body) as PublicEvent;
      expect(event).toMatchObject(published());
      expect(schemaErrors(event)).toEqual([]);
    });
  });
});
