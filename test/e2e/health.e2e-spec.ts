import { INestApplication } from '@nestjs/common';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { event } from '../contract/event-store.contract';
import { createApp } from '../../src/bootstrap';
import { EventStore } from '../../src/event-store/event-store.port';

describe('GET /health (the app on the embedded store)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'db-addons-e2e-'));
  let app: INestApplication;
  const saved = { ...process.env };

  beforeAll(async () => {
    delete process.env.EVENTSTORE_CONNECTION_STRING;
    process.env.DATA_DIR = join(dataDir, 'nested', 'data');
    process.env.LOG_LEVEL = 'warn';
    app = await createApp();
    await app.listen(0);
  });

  afterAll(async () => {
    await app.close();
    process.env = saved;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 200 with the store kind and no position on an empty log, without a token', async () => {
    const response = await request(app.getHttpServer()).get('/health').expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      info: { eventStore: { status: 'up', kind: 'sqlite', lastPosition: null } },
    });
    expect(existsSync(join(dataDir, 'nested', 'data', 'events.sqlite'))).toBe(true);
  });

  it('answers /health/live and /health/ready without a token: live checks nothing, ready is /health', async () => {
    const live = await request(app.getHttpServer()).get('/health/live').expect(200);
    expect(live.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    const ready = await request(app.getHttpServer()).get('/health/ready').expect(200);
    const health = await request(app.getHttpServer()).get('/health').expect(200);
    expect(Object.keys(ready.body.info).sort()).toEqual(['eventStore', 'platform', 'readModels', 'webhooks']);
    expect(Object.keys(health.body.info).sort()).toEqual(Object.keys(ready.body.info).sort());
    expect(ready.body.info.eventStore).toEqual(health.body.info.eventStore);
  });

  it('reports the position of the last event as a string', async () => {
    const store = app.get(EventStore);
    await store.append('addon-health', [event(), event()], { expectedRevision: 'no_stream' });
    const response = await request(app.getHttpServer()).get('/health').expect(200);
    expect(response.body.info.eventStore.lastPosition).toBe('2');
  });

  it('answers 503 and says the store is down when it cannot read the log', async () => {
    await app.get(EventStore).close();
    const response = await request(app.getHttpServer()).get('/health').expect(503);
    expect(response.body).toMatchObject({
      status: 'error',
      error: { eventStore: { status: 'down', kind: 'sqlite', message: 'the event store does not answer' } },
    });
    // Not ready, but alive: an orchestrator takes it out of rotation without restarting it.
    const ready = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(ready.body.error.eventStore).toMatchObject({ status: 'down' });
    // The sagas' lag cannot be read from a closed store: unknown, not a failure of its own.
    expect(ready.body.info.platform).toMatchObject({ status: 'up', sagas_lag: null });
    await request(app.getHttpServer()).get('/health/live').expect(200);
  });
});
