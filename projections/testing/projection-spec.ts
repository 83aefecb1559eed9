import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { ADDON_EVENT_SCHEMA_VERSIONS, AddonEvent } from '../../src/addons/domain/addon.events';
import { APP_EVENT_SCHEMA_VERSIONS, AppEvent } from '../../src/apps/domain/app.events';
import type { EventStore, JsonObject } from '../../src/event-store/event-store.port';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { physicalTable, Projection } from '../projection';
import { ProjectionRunner, ProjectionRunnerOptions } from '../projection-runner';
import { openReadStore } from '../read-store';

/**
 * Given-events / then-query for projections, on real SQLite files in a temp folder: the
 * events go to a fresh embedded event store, a fresh read store is migrated, and a runner
 * catches the projection up. The spec then queries `db`.
 */

/** One event to append; `data.at` is also its `occurredAt`. */
export interface GivenEvent {
  stream: string;
  type: string;
  data: object;
  actor?: string;
  correlationId?: string;
  /** Default: the type's current schema version (1 for a type of no aggregate), as the app writes it. */
  schemaVersion?: number;
}

export const DEFAULT_ACTOR = 'user:alice';
const FALLBACK_AT = '2025-01-01T00:00:00.000Z';
const SCHEMA_VERSIONS: Readonly<Record<string, number>> = { ...ADDON_EVENT_SCHEMA_VERSIONS, ...APP_EVENT_SCHEMA_VERSIONS };

/** Add-on events (e.g. from addon-fixtures) on the stream of `addonId`. */
export const onAddon = (addonId: string, events: readonly AddonEvent[], extra: Partial<GivenEvent> = {}): GivenEvent[] =>
  events.map((e) => ({ stream: `addon-${addonId}`, type: e.type, data: e.data, ...extra }));

/** App events on the stream of app `appName`. */
export const onApp = (appName: string, events: readonly AppEvent[], extra: Partial<GivenEvent> = {}): GivenEvent[] =>
  events.map((e) => ({ stream: `app-${appName}`, type: e.type, data: e.data, ...extra }));

/** Appends each event in order, with the metadata every event carries; answers the new events' ids. */
export async function appendEvents(store: EventStore, events: readonly GivenEvent[]): Promise<string[]> {
  const ids: string[] = [];
  for (const { stream, type, data, actor, correlationId, schemaVersion } of events) {
    const id = randomUUID();
    const at = (data as { at?: unknown }).at;
    await store.append(
      stream,
      [
        {
          id,
          type,
          data: data as JsonObject,
          metadata: {
            $correlationId: correlationId ?? `req-${id}`,
            $causationId: correlationId ?? `req-${id}`,
            actor: actor ?? DEFAULT_ACTOR,
            occurredAt: typeof at === 'string' ? at : FALLBACK_AT,
            schemaVersion: schemaVersion ?? SCHEMA_VERSIONS[type] ?? 1,
          },
        },
      ],
      { expectedRevision: 'any' },
    );
    ids.push(id);
  }
  return ids;
}

/** A temp folder and the files in it; `remove` deletes it all. */
export function tempFiles(prefix = 'db-addons-projection-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (name: string) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ProjectionFixture {
  db: DataSource;
  /** The physical name of one of the projection's tables, for its version. */
  table(name: string): string;
  store: EventStore;
  runner: ProjectionRunner;
  /** Ids of the given events, in order. */
  ids: string[];
  files: ReturnType<typeof tempFiles>;
  dispose(): Promise<void>;
}

export async function givenEvents(
  projection: Projection,
  events: readonly GivenEvent[],
  options: Partial<ProjectionRunnerOptions> = {},
): Promise<ProjectionFixture> {
  const files = tempFiles();
  const store = await SqliteEventStore.open({ file: files.file('events.sqlite') });
  const db = await openReadStore(files.file('read.sqlite'));
  const ids = await appendEvents(store, events);
  const runner = new ProjectionRunner(projection, store, db, { batchSize: 50, idleMs: 10, ...options });
  await runner.prepare();
  await runner.catchUp();
  return {
    db,
    table: (name) => physicalTable(name, projection.version),
    store,
    runner,
    ids,
    files,
    async dispose() {
      await runner.stop();
      await db.destroy();
      await store.close();
      files.remove();
    },
  };
}
