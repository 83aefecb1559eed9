import { Value } from '@sinclair/typebox/value';
import type { AddonEvent } from '../addons/domain/addon.events';
import type { AppEvent } from '../apps/domain/app.events';
import type { JsonObject, JsonValue, StoredEvent } from '../event-store/event-store.port';
import { isPublicEventType, PUBLIC_EVENT_DATA, PUBLIC_EVENT_VERSIONS, PublicEvent, PublicEventType } from './public-event.schemas';

/** The streams whose events are public: apps and add-ons (never tokens, webhooks or other internal streams). */
export const PUBLIC_STREAMS = { streamPrefixes: ['addon-', 'app-'] } as const;

/** What an event concerns, beside what it says: the app (resolved for add-on events) and the add-on. */
export interface EventScope {
  app: string;
  addonId: string | null;
}

/** The add-on an event concerns: its stream's, or the one an app event names. */
export function addonOf(event: Pick<StoredEvent, 'stream' | 'data'>): string | null {
  if (event.stream.startsWith('addon-')) return event.stream.slice('addon-'.length);
  const addonId = (event.data as { addonId?: unknown }).addonId;
  return typeof addonId === 'string' ? addonId : null;
}

/**
 * Shapes that differ from the internal data beyond renaming to snake_case: what is left out
 * or reshaped on purpose. Every other field is kept only when the published schema has it
 * (`Value.Clean`), so a field added to an internal event stays internal until the public
 * schema names it.
 */
const RESHAPED: { [T in PublicEventType]?: (data: JsonObject) => JsonObject } = {
  // Values may be secrets (and connection URLs are resolved from sealed credentials): names only.
  AppVariablesSet: (data) => ({ names: (data as unknown as Extract<AppEvent, { type: 'AppVariablesSet' }>['data']).variables.map((v) => v.name) }),
  AddonProvisioned: (data) => {
    const { appName, connection, ...rest } = data as unknown as Extract<AddonEvent, { type: 'AddonProvisioned' }>['data'];
    // Never the sealed password nor the wrapped data key.
    return { ...(rest as unknown as JsonObject), app: appName, connection: { scheme: connection.scheme, host: connection.host, port: connection.port, user: connection.user } };
  },
  // Where the copies lie on disk is the platform's business: only their sites.
  BackupTaken: (data) => {
    const { replicas, ...rest } = data as unknown as { replicas: Array<{ site: string; path: string }> };
    return { ...(rest as unknown as JsonObject), replicas: replicas.map((replica) => ({ site: replica.site })) };
  },
};

/**
 * The public event of a stored one, or null when its type is not public. `event` must be
 * at its current schema version (the event store upcasts on read).
 */
export function toPublicEvent(event: StoredEvent, scope: EventScope): PublicEvent | null {
  if (!isPublicEventType(event.type) || !(event.stream.startsWith('addon-') || event.stream.startsWith('app-'))) return null;
  const type = event.type;
  const { at: _at, ...data } = event.data;
  const reshaped = RESHAPED[type]?.(data) ?? data;
  const clean = Value.Clean(PUBLIC_EVENT_DATA[type], snakeCase(reshaped)) as JsonObject;
  return {
    id: event.id,
    position: event.position.toString(),
    type,
    schema_version: PUBLIC_EVENT_VERSIONS[type],
    occurred_at: String(event.metadata.occurredAt),
    app: scope.app,
    addon_id: scope.addonId,
    actor: String(event.metadata.actor),
    correlation_id: String(event.metadata.$correlationId),
    data: clean,
  } as PublicEvent;
}

/** A deep copy with object keys in snake_case (`backupId` → `backup_id`). */
function snakeCase(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(snakeCase);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeCase(v)]));
}
