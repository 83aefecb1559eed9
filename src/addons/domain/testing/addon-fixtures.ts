import { CLASS_POLICIES, findPlan, newestVersion, PROVIDERS, ServiceClass } from '../../../catalogue/domain/catalogue';
import { compactUtc } from '../../../shared/domain/time';
import { spec } from '../../../shared/testing/decider-spec';
import { AddonCommand } from '../addon.commands';
import { addonDecider } from '../addon.decider';
import {
  AddonEvent,
  AddonNode,
  AddonProvisioned,
  BackupMethod,
  BackupReplica,
  Connection,
  MaintenanceWindow,
  REPLICA_SITES,
} from '../addon.events';

/**
 * Given-events for the add-on decider specs: an add-on of `my-app`, provisioned on Monday
 * 2 December 2024, builders for the events of its history, and `given`, the decider spec
 * helper for add-ons.
 */

type DeepPartial<T> = T extends readonly (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
type Like<E> = E extends AddonEvent ? { type: E['type']; data?: DeepPartial<E['data']> } : never;
/** An expected event: its type and only the parts of its data a spec is about. */
export type EventLike = Like<AddonEvent>;

/**
 * `spec(addonDecider).given(...)`, whose `thenMatches` takes any part of an event's data
 * (compared with `toMatchObject`), so that a spec states only what its rule is about.
 */
export function given(...events: AddonEvent[]) {
  const chain = spec(addonDecider).given(...events);
  return {
    state: chain.state,
    when(command: AddonCommand) {
      const outcome = chain.when(command);
      return {
        ...outcome,
        thenMatches: (...expected: EventLike[]) => outcome.thenMatches(...(expected as Parameters<typeof outcome.thenMatches>)),
      };
    },
  };
}

export const APP = 'my-app';
export const ADDON_ID = 'ad-0f1ab3e1';
export const RESOURCE_ID = 'my-app-3030';
export const PROVISIONED_AT = '2024-12-02T09:00:00.000Z';
/** The `at` of most commands: Wednesday 5 March 2025, 12:00 UTC. */
export const NOW = '2025-03-05T12:00:00.000Z';

/** Sealed by the credentials service: opaque to the domain, and never a plain password. */
export const CONNECTION: Connection = {
  scheme: 'redis',
  user: RESOURCE_ID,
  host: `${RESOURCE_ID}.redis.example.test`,
  port: 30996,
  password: { iv: 'aXY', ciphertext: 'c2VhbGVk', tag: 'dGFn' },
  dataKey: { wrapped: 'd3JhcHBlZA' },
};

/** The default slot drawn at provisioning: Wednesday 02:00–10:00 UTC, clear of the 00:00 UTC backups. */
export const WINDOW: MaintenanceWindow = { weekdayUtc: 3, startingHourUtc: 2, durationHours: 8 };

/** One plan of each class, of the type used when the type does not matter. */
export const PLAN_OF: Readonly<Record<ServiceClass, string>> = {
  sandbox: 'postgresql-sandbox',
  starter: 'postgresql-starter-1024',
  business: 'postgresql-business-1024',
};

export const db = (n: number, role: 'leader' | 'standby'): AddonNode => ({ name: `${RESOURCE_ID}-db-${n}`, role });
export const LEADER = db(1, 'leader');
export const STANDBY = db(2, 'standby');

/** The nodes of a fresh add-on on `planId`: a leader, a hot standby on Business, and Redis's sentinels and gateways. */
export function nodesOf(planId: string): AddonNode[] {
  const plan = findPlan(planId)!;
  if (CLASS_POLICIES[plan.class].databaseNodes === 1) return [LEADER];
  if (plan.type !== 'redis') return [LEADER, STANDBY];
  return [
    LEADER,
    STANDBY,
    ...[1, 2, 3].map((i): AddonNode => ({ name: `${RESOURCE_ID}-sentinel-${i}`, role: 'sentinel' })),
    ...[1, 2].map((i): AddonNode => ({ name: `${RESOURCE_ID}-gateway-${i}`, role: 'gateway' })),
  ];
}

export function provisioned(planId: string, data: Partial<AddonProvisioned['data']> = {}): AddonProvisioned {
  const type = findPlan(planId)!.type;
  return {
    type: 'AddonProvisioned',
    data: {
      addonId: ADDON_ID,
      appName: APP,
      resourceId: RESOURCE_ID,
      providerId: type,
      planId,
      version: newestVersion(type),
      features: [...PROVIDERS[type].defaultFeatures],
      maintenanceWindow: WINDOW,
      backupSchedule: { enabled: true, hour: 0, timezone: 'UTC' },
      nodes: nodesOf(planId),
      connection: CONNECTION,
      at: PROVISIONED_AT,
      ...data,
    },
  };
}

/** An add-on on `planId` that finished provisioning. */
export function running(planId: string, data: Partial<AddonProvisioned['data']> = {}): AddonEvent[] {
  return [provisioned(planId, data), { type: 'AddonRunning', data: { at: PROVISIONED_AT } }];
}

/** A finished plan change (the database restarted on its new host). */
export function planChangedTo(fromPlanId: string, toPlanId: string, at: string): AddonEvent[] {
  const [from, to] = [findPlan(fromPlanId)!, findPlan(toPlanId)!];
  return [
    {
      type: 'PlanChanged',
      data: { fromPlanId, toPlanId, downtime: 'seconds', downgrade: to.memoryMb < from.memoryMb, nodes: nodesOf(toPlanId), at },
    },
    { type: 'AddonRestarted', data: { reason: 'plan-change', downtimeSeconds: 4, at } },
  ];
}

/** `<UTC timestamp yyyyMMddHHmmss>_<resource id>`. */
export const backupName = (at: string): string => `${compactUtc(at)}_${RESOURCE_ID}`;

export function backupRequested(backupId: string, at: string, method: BackupMethod = 'manual'): AddonEvent {
  return { type: 'BackupRequested', data: { backupId, name: backupName(at), method, at } };
}

/** Where the data plane keeps the three copies of a backup of the add-on. */
export const replicasOf = (backupId: string, addonId = ADDON_ID): BackupReplica[] =>
  REPLICA_SITES.map((site) => ({ site, path: `/${addonId}/${backupId}.dump.gz` }));

/** A backup requested, started and taken at `at`. */
export function backupDone(backupId: string, at: string, method: BackupMethod = 'manual'): AddonEvent[] {
  return [
    backupRequested(backupId, at, method),
    { type: 'BackupStarted', data: { backupId, at } },
    { type: 'BackupTaken', data: { backupId, sizeBytes: 146_432, checksum: 'sha256:0f1a', replicas: replicasOf(backupId), at } },
  ];
}

export function backupFailed(backupId: string, at: string, method: BackupMethod = 'manual'): AddonEvent[] {
  return [
    backupRequested(backupId, at, method),
    { type: 'BackupStarted', data: { backupId, at } },
    { type: 'BackupFailed', data: { backupId, reason: 'disk full', at } },
  ];
}

/** `count` manual backups taken on consecutive days from `firstDay` (ids m1, m2, …). */
export function manualBackups(count: number, firstDay = '2025-01-01T08:00:00.000Z'): AddonEvent[] {
  const first = Date.parse(firstDay);
  return Array.from({ length: count }, (_, i) =>
    backupDone(`m${i + 1}`, new Date(first + i * 86_400_000).toISOString(), 'manual'),
  ).flat();
}

export const removed = (at: string, manualBackupsKeptUntil: string | null): AddonEvent => ({
  type: 'AddonDeprovisioned',
  data: { manualBackupsKeptUntil, at },
});

/** A plan change asked for and not finished yet: the add-on is changing plan. */
export const planChangeStarted = (fromPlanId: string, toPlanId: string, at: string = NOW): AddonEvent =>
  planChangedTo(fromPlanId, toPlanId, at)[0];

/** A version upgrade started and not finished yet: the add-on is upgrading. */
export function upgradeStarted(fromVersion: string, toVersion: string, at: string = NOW): AddonEvent {
  const kind = fromVersion.split('.')[0] === toVersion.split('.')[0] ? 'minor' : 'major';
  return { type: 'VersionUpgradeStarted', data: { fromVersion, toVersion, kind, downtime: 'downtime', at } };
}

const MAINTENANCE_HOURS_MS = 8 * 3_600_000;

/** A maintenance announced at `at` for the 8-hour window from `startsAt`. */
export function maintenanceAnnounced(
  maintenanceId: string,
  startsAt: string,
  at: string = NOW,
  reason = 'security patches',
): AddonEvent {
  const endsAt = new Date(Date.parse(startsAt) + MAINTENANCE_HOURS_MS).toISOString();
  return { type: 'MaintenanceAnnounced', data: { maintenanceId, reason, startsAt, endsAt, at } };
}

export const maintenanceStarted = (maintenanceId: string, at: string): AddonEvent => ({
  type: 'MaintenanceStarted',
  data: { maintenanceId, at },
});

export const maintenanceCompleted = (maintenanceId: string, at: string): AddonEvent => ({
  type: 'MaintenanceCompleted',
  data: { maintenanceId, at },
});
