import type { EventBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { map } from 'rxjs';
import { SqliteEventStore } from '../../event-store/sqlite/sqlite-event-store';
import { SystemClock } from '../../shared/clock';
import { LogContextFields, logContextFields } from '../../shared/logging/log-context';
import type { Saga } from '../sagas/saga';
import { RuntimeStore } from './runtime-store';
import { SagaRunner } from './saga-runner';

/**
 * What a saga (and whatever it calls) logs while reacting to an event carries that event's
 * correlation id: the request's X-Request-Id, or the process behind it.
 */
describe('SagaRunner, on real files: the log context of a reaction', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-addons-sagas-'));
  let store: SqliteEventStore;
  let runtime: RuntimeStore;
  const seen: Array<{ type: string; fields: LogContextFields }> = [];
  const recording: Saga = {
    name: 'recording',
    react: (events$) =>
      events$.pipe(
        map((e) => {
          seen.push({ type: e.event.type, fields: logContextFields() });
          return { job: { kind: 'provision', addonId: e.streamId } } as const;
        }),
      ),
  };
  const published: unknown[] = [];
  const bus = { publish: (message: unknown) => published.push(message) } as unknown as EventBus;

  beforeAll(async () => {
    store = await SqliteEventStore.open({ file: join(dir, 'events.sqlite') });
    runtime = await RuntimeStore.open(join(dir, 'runtime.sqlite'));
  });
  afterAll(async () => {
    await runtime.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = (type: string, correlationId: string) =>
    store.append(`addon-${randomUUID()}`, [
      {
        id: randomUUID(),
        type,
        data: {},
        metadata: { $correlationId: correlationId, $causationId: randomUUID(), actor: 'owner:alice', occurredAt: new Date().toISOString(), schemaVersion: 1 },
      },
    ], { expectedRevision: 'no_stream' });

  it("runs each reaction in its event's correlation id, and nothing outside it", async () => {
    await append('First', 'request-1');
    await append('Second', 'request-2');
    const runner = new SagaRunner(store, runtime, [recording], bus, new SystemClock());
    expect(await runner.catchUp()).toBe(2);
    expect(seen).toEqual([
      { type: 'First', fields: { correlation_id: 'request-1' } },
      { type: 'Second', fields: { correlation_id: 'request-2' } },
    ]);
    expect(published).toHaveLength(2);
    expect(logContextFields().correlation_id).toMatch(/^process:/);
  });
});
