import { Static, TObject, TProperties, Type } from '@sinclair/typebox';
import { ADDON_EVENT_SCHEMA_VERSIONS, AddonEvent } from '../addons/domain/addon.events';
import { APP_EVENT_SCHEMA_VERSIONS, AppEvent } from '../apps/domain/app.events';
import { DATABASE_TYPES, FEATURES } from '../catalogue/domain/catalogue';

/**
 * The public events: what other systems (billing, notifications, dashboards) receive from
 * `GET /v1/events` and webhooks. Each is a stable, documented projection of an internal
 * event of an app or an add-on: snake_case like the REST API, chosen fields only (never a
 * password, a key, a variable's value or a storage path), every object closed
 * (`additionalProperties: false`), so the published JSON Schema is exact.
 *
 * `schema_version` is the event type's current version: stored events of older versions
 * are upcast on read, so a subscriber only ever sees the current one.
 */

const closed = <P extends TProperties>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description && { description }) });
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const Uuid = Type.String({ format: 'uuid' });
const Time = Type.String({ format: 'date-time' });
const Text = Type.String({ minLength: 1 });
const Nodes = Type.Array(closed({ name: Text, role: literals(['leader', 'standby', 'sentinel', 'gateway'] as const) }));
const Feature = literals(FEATURES);
const Downtime = literals(['none', 'seconds', 'downtime'] as const);
const MaintenanceWindow = {
  weekday_utc: Type.Integer({ minimum: 0, maximum: 6, description: '0 = Sunday' }),
  starting_hour_utc: Type.Integer({ minimum: 0, maximum: 23 }),
  duration_hours: Type.Integer({ minimum: 1 }),
};
const BackupSchedule = { enabled: Type.Boolean(), hour: Type.Integer({ minimum: 0, maximum: 23 }), timezone: Text };

/**
 * Events of app and add-on streams that are never published: platform bookkeeping with no
 * meaning outside (an abandoned provisioning's stream belongs to no app; the app's
 * `AddonDetached` is what subscribers see).
 */
export const INTERNAL_EVENT_TYPES = ['AddonProvisioningAbandoned'] as const;
type InternalEventType = (typeof INTERNAL_EVENT_TYPES)[number];

/** The data of each public event, by type. */
export const PUBLIC_EVENT_DATA = {
  // ---- app streams ----
  AppCreated: closed({ name: Text, owner: Text }, 'An app was created; `owner` is the subject of the owner token that created it.'),
  AddonAttached: closed({ addon_id: Uuid, provider_id: Text }, 'An add-on was attached to the app (its provisioning starts).'),
  AddonDetached: closed({ addon_id: Uuid }, 'A removed add-on left the app.'),
  AppVariablesSet: closed({ names: Type.Array(Text) }, "Environment variables were set on the app. Only their names: a variable's value may be a secret."),
  AppVariablesUnset: closed({ names: Type.Array(Text) }, 'Environment variables were removed from the app.'),
  AppRestartRequested: closed(
    { reason: literals(['plan-change', 'upgrade', 'restore', 'variables', 'request'] as const), addon_id: Type.Optional(Uuid) },
    'The app is asked to restart, after a change of one of its add-ons (`addon_id`) or of its variables.',
  ),
  // ---- add-on streams ----
  AddonProvisioned: closed(
    {
      addon_id: Uuid,
      app: Text,
      resource_id: Text,
      provider_id: literals(DATABASE_TYPES),
      plan_id: Text,
      version: Text,
      features: Type.Array(Feature),
      maintenance_window: closed(MaintenanceWindow),
      backup_schedule: closed(BackupSchedule),
      nodes: Nodes,
      connection: closed({ scheme: Text, host: Text, port: Type.Integer({ minimum: 1, maximum: 65_535 }), user: Text }, 'Never the password.'),
    },
    'An add-on is being provisioned on a plan; it runs once `AddonRunning` follows.',
  ),
  AddonRunning: closed({}, 'The add-on runs and its connection variables are set on the app.'),
  AddonProvisioningFailed: closed({ reason: Text }, 'The data plane could not provision the add-on.'),
  PlanChanged: closed(
    { from_plan_id: Text, to_plan_id: Text, downtime: Downtime, downgrade: Type.Boolean(), nodes: Nodes },
    'A plan change started (`downgrade`: the new plan has less memory).',
  ),
  PlanChangeFailed: closed({ from_plan_id: Text, to_plan_id: Text, reason: Text }, 'A plan change failed; the add-on stays on `from_plan_id`.'),
  AddonRestarted: closed(
    { reason: literals(['plan-change', 'upgrade', 'restore'] as const), downtime_seconds: Type.Number({ minimum: 0 }) },
    'The database restarted after a change the owner asked for.',
  ),
  FeatureEnabled: closed({ feature: Feature }),
  FeatureDisabled: closed({ feature: Feature }),
  MaintenanceWindowSet: closed(MaintenanceWindow, 'The weekly maintenance window changed.'),
  BackupScheduleSet: closed(BackupSchedule, 'The daily backup schedule changed (`hour` in `timezone`).'),
  BackupRequested: closed({ backup_id: Uuid, name: Text, method: literals(['periodic', 'manual'] as const) }, 'A backup was requested (status `scheduled`).'),
  BackupStarted: closed({ backup_id: Uuid }),
  BackupTaken: closed(
    {
      backup_id: Uuid,
      size_bytes: Type.Integer({ minimum: 0 }),
      checksum: Type.String({ pattern: '^sha256:[0-9a-f]+$' }),
      replicas: Type.Array(closed({ site: literals(['dc-primary', 'dc-secondary', 'provider-snapshot'] as const) })),
    },
    'A backup is done, stored in its replicas.',
  ),
  BackupFailed: closed({ backup_id: Uuid, reason: Text }),
  BackupExpired: closed({ backup_id: Uuid, reason: literals(['retention', 'after-removal'] as const) }, 'A backup fell out of retention and was deleted.'),
  BackupDownloadRequested: closed({ backup_id: Uuid }, 'A download link for a backup was issued.'),
  VersionUpgradeStarted: closed({ from_version: Text, to_version: Text, kind: literals(['major', 'minor'] as const), downtime: Downtime }),
  VersionUpgraded: closed({ from_version: Text, to_version: Text }),
  VersionUpgradeFailed: closed({ from_version: Text, to_version: Text, reason: Text }),
  RestoreStarted: closed({
    restore_id: Uuid,
    source: Type.Union([closed({ backup_id: Uuid }), closed({ point_in_time: Time })]),
  }),
  RestoreCompleted: closed({ restore_id: Uuid }),
  RestoreFailed: closed({ restore_id: Uuid, reason: Text }),
  NodeFailureDetected: closed({ node: Text, role: literals(['leader', 'standby', 'sentinel', 'gateway'] as const) }, 'Monitoring reported a node down.'),
  NodeRecovered: closed({ node: Text }),
  AddonUnavailable: closed({ reason: Text }, 'The add-on is down (unplanned; it counts against the SLA).'),
  AddonRecovered: closed({}),
  FailoverTriggered: closed({ reason: literals(['automatic', 'switchover'] as const), from_node: Text, to_node: Text }),
  FailoverCompleted: closed({ leader: Text, standby: Text }, 'The standby leads; a new standby is being rebuilt. The connection URL does not change.'),
  FailoverFailed: closed({ from_node: Text, to_node: Text, reason: Text }),
  AddonDeprovisioned: closed({ manual_backups_kept_until: Type.Union([Time, Type.Null()]) }, 'The add-on was removed; its backups age out.'),
  MaintenanceAnnounced: closed({ maintenance_id: Text, reason: Text, starts_at: Time, ends_at: Time }),
  MaintenanceStarted: closed({ maintenance_id: Text }),
  MaintenanceCompleted: closed({ maintenance_id: Text }),
  MaintenanceCancelled: closed({ maintenance_id: Text, reason: Text }),
  MaintenanceFailed: closed({ maintenance_id: Text, reason: Text }),
} satisfies Record<Exclude<AddonEvent['type'] | AppEvent['type'], InternalEventType>, TObject>;

export type PublicEventType = keyof typeof PUBLIC_EVENT_DATA;
export type PublicEventData<T extends PublicEventType = PublicEventType> = Static<(typeof PUBLIC_EVENT_DATA)[T]>;

export const PUBLIC_EVENT_TYPES = Object.keys(PUBLIC_EVENT_DATA) as PublicEventType[];

/** The current version of each public event: the internal event's. */
export const PUBLIC_EVENT_VERSIONS: Readonly<Record<PublicEventType, number>> = { ...APP_EVENT_SCHEMA_VERSIONS, ...ADDON_EVENT_SCHEMA_VERSIONS };


export const isPublicEventType = (type: string): type is PublicEventType => Object.prototype.hasOwnProperty.call(PUBLIC_EVENT_DATA, type);

/** What every public event carries beside its data. */
const ENVELOPE = {
  id: Type.String({ format: 'uuid', description: 'The event id: the same event always has the same id.' }),
  position: Type.String({ pattern: '^[0-9]+$', description: 'Its position in the global log, increasing; resume a feed after it.' }),
  occurred_at: Type.String({ format: 'date-time' }),
  app: Type.String({ minLength: 1, description: 'The app the event concerns.' }),
  addon_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The add-on it concerns, if any.' }),
  actor: Type.String({ minLength: 1, description: 'Who did it: `owner:<subject>`, `platform:<component>`…' }),
  correlation_id: Type.String({ minLength: 1, description: 'The request or process it belongs to (X-Request-Id).' }),
};

/** The JSON Schema (draft-07) of one public event, envelope and data. */
export function publicEventSchema<T extends PublicEventType>(type: T) {
  const data = PUBLIC_EVENT_DATA[type];
  return Type.Object(
    {
      ...ENVELOPE,
      type: Type.Literal(type),
      schema_version: Type.Literal(PUBLIC_EVENT_VERSIONS[type]),
      data,
    },
    {
      $id: `https://db-addons.example/schemas/events/${type}.v${PUBLIC_EVENT_VERSIONS[type]}.json`,
      title: type,
      additionalProperties: false,
      ...(data.description && { description: data.description }),
    },
  );
}

export type PublicEvent<T extends PublicEventType = PublicEventType> = {
  [K in T]: Static<ReturnType<typeof publicEventSchema<K>>>;
}[T];
