import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject, StoredEvent } from '../event-store/event-store.port';
import { addonOf, toPublicEvent } from './public-event';
import { PUBLIC_EVENT_TYPES, PUBLIC_EVENT_VERSIONS, PublicEvent } from './public-event.schemas';
import { SCHEMA_DIR, schemaFiles } from './schema-files';

const ADDON = randomUUID();
const BACKUP = randomUUID();
const SECRET = { iv: 'aXY', ciphertext: 'c2VhbGVk', tag: 'dGFn' };

function stored(stream: string, type: string, data: JsonObject, version = 1): StoredEvent {
  return {
    id: randomUUID(),
    type,
    data: { ...data, at: '2025-03-05T12:00:00.000Z' },
    metadata: { $correlationId: 'req-1', $causationId: 'req-1', actor: 'owner:alice', occurredAt: '2025-03-05T12:00:00.000Z', schemaVersion: version },
    stream,
    revision: 0n,
    position: 42n,
    recordedAt: new Date(),
  };
}

const provisioned = () =>
  stored(`addon-${ADDON}`, 'AddonProvisioned', {
    addonId: ADDON,
    appName: 'shop',
    resourceId: 'shop-1234',
    providerId: 'redis',
    planId: 'redis-starter-256',
    version: '7.2.5',
    features: ['redis-rdb'],
    maintenanceWindow: { weekdayUtc: 3, startingHourUtc: 2, durationHours: 8 },
    backupSchedule: { enabled: true, hour: 1, timezone: 'Europe/Paris' },
    nodes: [{ name: 'shop-1234-db-1', role: 'leader' }],
    connection: { scheme: 'redis', user: 'shop-1234', host: 'shop-1234.redis.example.test', port: 30996, password: SECRET, dataKey: { wrapped: 'd3JhcHBlZA' } },
  });

describe('public events', () => {
  const ajv = addFormats(new Ajv({ allErrors: true, strict: true }));
  const validators = new Map(schemaFiles().map(({ content }) => {
    const schema = JSON.parse(content) as { title: string };
    return [schema.title, ajv.compile(schema)] as const;
  }));
  const valid = (event: unknown) => {
    const validate = validators.get((event as { type: string }).type)!;
    const ok = validate(event);
    if (!ok) throw new Error(`${(event as { type: string }).type}: ${ajv.errorsText(validate.errors)}`);
    return ok;
  };

  it('publishes one JSON Schema per public event type, at its current version, committed as the code makes it', () => {
    const files = schemaFiles();
    expect(files.map((f) => f.name).sort()).toEqual(PUBLIC_EVENT_TYPES.map((t) => `${t}.v${PUBLIC_EVENT_VERSIONS[t]}.json`).sort());
    // `npm run schemas` writes them; a change to the code without it fails here.
    expect(readdirSync(SCHEMA_DIR).sort()).toEqual(files.map((f) => f.name).sort());
    for (const { name, content } of files) expect(readFileSync(join(SCHEMA_DIR, name), 'utf8')).toBe(content);
  });

  it('AddonProvisioned: snake_case, the app named, the connection without its sealed password or data key', () => {
    const event = toPublicEvent(provisioned(), { app: 'shop', addonId: ADDON })!;
    expect(valid(event)).toBe(true);
    expect(event).toMatchObject({ type: 'AddonProvisioned', schema_version: 1, app: 'shop', addon_id: ADDON, actor: 'owner:alice', correlation_id: 'req-1', position: '42' });
    expect(event.data).toEqual({
      addon_id: ADDON,
      app: 'shop',
      resource_id: 'shop-1234',
      provider_id: 'redis',
      plan_id: 'redis-starter-256',
      version: '7.2.5',
      features: ['redis-rdb'],
      maintenance_window: { weekday_utc: 3, starting_hour_utc: 2, duration_hours: 8 },
      backup_schedule: { enabled: true, hour: 1, timezone: 'Europe/Paris' },
      nodes: [{ name: 'shop-1234-db-1', role: 'leader' }],
      connection: { scheme: 'redis', host: 'shop-1234.redis.example.test', port: 30996, user: 'shop-1234' },
    });
    expect(JSON.stringify(event)).not.toMatch(/c2VhbGVk|d3JhcHBlZA|password|data_?key/i);
  });

  it('AppVariablesSet lists the names only: a value may be a secret', () => {
    const event = toPublicEvent(
      stored('app-shop', 'AppVariablesSet', { variables: [{ name: 'API_KEY', value: 'sk_live_hunter2' }, { name: 'REDIS_URL', addonUrl: ADDON }] }),
      { app: 'shop', addonId: null },
    )!;
    expect(valid(event)).toBe(true);
    expect(event.data).toEqual({ names: ['API_KEY', 'REDIS_URL'] });
    expect(JSON.stringify(event)).not.toContain('hunter2');
  });

  it('BackupTaken gives the replicas\' sites, not where they lie on disk', () => {
    const event = toPublicEvent(
      stored(`addon-${ADDON}`, 'BackupTaken', {
        backupId: BACKUP,
        sizeBytes: 2048,
        checksum: 'sha256:beef',
        replicas: [{ site: 'dc-primary', path: `/${ADDON}/${BACKUP}.dump.gz` }, { site: 'provider-snapshot', path: `/${ADDON}/${BACKUP}.dump.gz` }],
      }, PUBLIC_EVENT_VERSIONS.BackupTaken),
      { app: 'shop', addonId: ADDON },
    )!;
    expect(valid(event)).toBe(true);
    expect(event.data).toEqual({ backup_id: BACKUP, size_bytes: 2048, checksum: 'sha256:beef', replicas: [{ site: 'dc-primary' }, { site: 'provider-snapshot' }] });
  });

  it('drops a field the published schema does not name (an internal addition stays internal)', () => {
    const event = toPublicEvent(stored(`addon-${ADDON}`, 'BackupFailed', { backupId: BACKUP, reason: 'disk full', hostInternalIp: '10.0.0.7' }), { app: 'shop', addonId: ADDON })!;
    expect(event.data).toEqual({ backup_id: BACKUP, reason: 'disk full' });
    expect(valid(event)).toBe(true);
  });

  it('a union keeps its variant: a restore from a point in time', () => {
    const event = toPublicEvent(
      stored(`addon-${ADDON}`, 'RestoreStarted', { restoreId: BACKUP, source: { pointInTime: '2025-03-05T11:00:00.000Z' } }),
      { app: 'shop', addonId: ADDON },
    )!;
    expect(event.data).toEqual({ restore_id: BACKUP, source: { point_in_time: '2025-03-05T11:00:00.000Z' } });
    expect(valid(event)).toBe(true);
  });

  it('is null for events that are not public: tokens, other streams, unknown types', () => {
    expect(toPublicEvent(stored('token-abc', 'TokenIssued', { role: 'owner', subject: 'alice', tokenId: 'x' }), { app: 'x', addonId: null })).toBeNull();
    expect(toPublicEvent(stored('webhook-1', 'AppCreated', { name: 'x', owner: 'y' }), { app: 'x', addonId: null })).toBeNull();
    expect(toPublicEvent(stored('app-shop', 'SomethingNew', {}), { app: 'shop', addonId: null })).toBeNull();
  });

  it('an app event about an add-on names it; an add-on event names its own', () => {
    expect(addonOf(stored('app-shop', 'AddonAttached', { addonId: ADDON, providerId: 'redis' }))).toBe(ADDON);
    expect(addonOf(stored('app-shop', 'AppCreated', { name: 'shop', owner: 'alice' }))).toBeNull();
    expect(addonOf(stored(`addon-${ADDON}`, 'AddonRunning', {}))).toBe(ADDON);
  });

  it('a schema refuses what breaks the contract: an extra field, a missing one, a wrong version', () => {
    const event = toPublicEvent(provisioned(), { app: 'shop', addonId: ADDON }) as PublicEvent<'AddonProvisioned'>;
    const validate = validators.get('AddonProvisioned')!;
    expect(validate({ ...event, data: { ...event.data, password: 'x' } })).toBe(false);
    expect(validate({ ...event, data: { ...event.data, connection: { ...event.data.connection, password: 'x' } } })).toBe(false);
    const { app: _app, ...withoutApp } = event;
    expect(validate(withoutApp)).toBe(false);
    expect(validate({ ...event, schema_version: 99 })).toBe(false);
  });
});
