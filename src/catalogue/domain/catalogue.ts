/**
 * The catalogue as data: database types, their versions and plans, and the class table of
 * DOMAIN.md. Everything the rules need to know about a plan is read from here.
 */

export const DATABASE_TYPES = [
  'postgresql',
  'mysql',
  'mongodb',
  'redis',
  'elasticsearch',
  'influxdb',
  'opensearch',
] as const;
export type DatabaseType = (typeof DATABASE_TYPES)[number];

export const SERVICE_CLASSES = ['sandbox', 'starter', 'business'] as const;
export type ServiceClass = (typeof SERVICE_CLASSES)[number];

export const FEATURES = ['force-tls', 'internet-access', 'redis-rdb', 'redis-aof', 'redis-cache'] as const;
export type Feature = (typeof FEATURES)[number];

export type Downtime = 'none' | 'seconds' | 'downtime';

export interface RetentionCounts {
  /** One periodic backup per day for this many days. */
  daily: number;
  /** Sunday's backup, for this many weeks. */
  weekly: number;
  /** The first Sunday's backup of the month, for this many months. */
  monthly: number;
  /** The newest manual backups kept. */
  manual: number;
  /** How long manual backups outlive the removal of their add-on, in months. */
  manualMonthsAfterRemoval: number;
}

/** One row of the class table. */
export interface ClassPolicy {
  class: ServiceClass;
  purpose: string;
  /** Monthly availability promised, in percent; null when there is no SLA. */
  slaPercent: number | null;
  /** Downtime allowed by the SLA in a 30-day month, in minutes. */
  downtimeBudgetMinutesPer30Days: number | null;
  /** Database nodes: one, or a leader and a hot standby. */
  databaseNodes: 1 | 2;
  /** What happens when the node holding the data fails. */
  nodeFailure: 'down-until-recovery' | 'automatic-failover';
  /** Seconds within which failover starts after a failure is detected. */
  failoverWithinSeconds: number | null;
  scheduledBackups: boolean;
  manualBackups: boolean;
  retention: RetentionCounts;
  minorUpgrade: Downtime;
  majorUpgrade: Downtime;
}

const NO_RETENTION: RetentionCounts = { daily: 0, weekly: 0, monthly: 0, manual: 0, manualMonthsAfterRemoval: 0 };

export const CLASS_POLICIES: Readonly<Record<ServiceClass, ClassPolicy>> = {
  sandbox: {
    class: 'sandbox',
    purpose: 'tests, evaluation',
    slaPercent: null,
    downtimeBudgetMinutesPer30Days: null,
    databaseNodes: 1,
    nodeFailure: 'down-until-recovery',
    failoverWithinSeconds: null,
    scheduledBackups: false,
    manualBackups: false,
    retention: NO_RETENTION,
    minorUpgrade: 'downtime',
    majorUpgrade: 'downtime',
  },
  starter: {
    class: 'starter',
    purpose: 'dev, non-critical prod',
    slaPercent: 98,
    downtimeBudgetMinutesPer30Days: 864,
    databaseNodes: 1,
    nodeFailure: 'down-until-recovery',
    failoverWithinSeconds: null,
    scheduledBackups: true,
    manualBackups: true,
    retention: { daily: 7, weekly: 4, monthly: 0, manual: 10, manualMonthsAfterRemoval: 1 },
    minorUpgrade: 'downtime',
    majorUpgrade: 'downtime',
  },
  business: {
    class: 'business',
    purpose: 'critical prod',
    slaPercent: 99.96,
    downtimeBudgetMinutesPer30Days: 17.28,
    databaseNodes: 2,
    nodeFailure: 'automatic-failover',
    failoverWithinSeconds: 60,
    scheduledBackups: true,
    manualBackups: true,
    retention: { daily: 7, weekly: 8, monthly: 12, manual: 50, manualMonthsAfterRemoval: 12 },
    minorUpgrade: 'none',
    majorUpgrade: 'downtime',
  },
};

export interface GatewayTimeouts {
  clientIdleSeconds?: number;
  serverIdleSeconds?: number;
  halfClosedClientSeconds?: number;
  httpRequestSeconds?: number;
}

export interface DatabaseProvider {
  id: DatabaseType;
  name: string;
  /** Offered versions, oldest first (semver). */
  versions: readonly string[];
  /** `SCALINGO_<envName>_URL` and `<envName>_URL` on the app. */
  envName: string;
  scheme: string;
  /** Recovery point objective, in minutes. */
  rpoMinutes: number;
  continuousBackup: boolean;
  gatewayTimeouts: GatewayTimeouts | null;
  features: readonly Feature[];
  /** Features on at provisioning. */
  defaultFeatures: readonly Feature[];
}

const COMMON_FEATURES: readonly Feature[] = ['force-tls', 'internet-access'];
const DAY_MINUTES = 24 * 60;

export const PROVIDERS: Readonly<Record<DatabaseType, DatabaseProvider>> = {
  postgresql: {
    id: 'postgresql',
    name: 'PostgreSQL',
    versions: ['14.17.0', '14.18.0', '15.12.0', '15.13.0', '16.8.0', '16.9.0', '17.4.0', '17.5.0'],
    envName: 'POSTGRESQL',
    scheme: 'postgres',
    rpoMinutes: 30,
    continuousBackup: true,
    gatewayTimeouts: { clientIdleSeconds: 86_400, serverIdleSeconds: 1_800, halfClosedClientSeconds: 300 },
    features: COMMON_FEATURES,
    defaultFeatures: [],
  },
  mysql: {
    id: 'mysql',
    name: 'MySQL',
    versions: ['8.0.40', '8.0.42', '8.4.4', '8.4.5'],
    envName: 'MYSQL',
    scheme: 'mysql',
    rpoMinutes: DAY_MINUTES,
    continuousBackup: false,
    gatewayTimeouts: null,
    features: COMMON_FEATURES,
    defaultFeatures: [],
  },
  mongodb: {
    id: 'mongodb',
    name: 'MongoDB',
    versions: ['6.0.19', '6.0.20', '7.0.16', '7.0.18', '8.0.5'],
    envName: 'MONGO',
    scheme: 'mongodb',
    rpoMinutes: DAY_MINUTES,
    continuousBackup: false,
    gatewayTimeouts: null,
    features: COMMON_FEATURES,
    defaultFeatures: [],
  },
  redis: {
    id: 'redis',
    name: 'Redis',
    versions: ['6.2.16', '6.2.17', '7.2.7', '7.2.8', '7.4.2'],
    envName: 'REDIS',
    scheme: 'redis',
    rpoMinutes: DAY_MINUTES,
    continuousBackup: false,
    gatewayTimeouts: { clientIdleSeconds: 300, serverIdleSeconds: 300, halfClosedClientSeconds: 3_600 },
    features: [...COMMON_FEATURES, 'redis-rdb', 'redis-aof', 'redis-cache'],
    // RDB snapshots are Redis's default persistence.
    defaultFeatures: ['redis-rdb'],
  },
  elasticsearch: {
    id: 'elasticsearch',
    name: 'Elasticsearch',
    versions: ['7.10.2'],
    envName: 'ELASTICSEARCH',
    scheme: 'https',
    rpoMinutes: DAY_MINUTES,
    continuousBackup: false,
    gatewayTimeouts: { clientIdleSeconds: 60, serverIdleSeconds: 120, httpRequestSeconds: 5 },
    features: COMMON_FEATURES,
    defaultFeatures: [],
  },
  influxdb: {
    id: 'influxdb',
    name: 'InfluxDB',
    versions: ['1.8.10', '1.11.8'],
    envName: 'INFLUX',
    scheme: 'https',
    rpoMinutes: DAY_MINUTES,
    continuousBackup: false,
    gatewayTimeouts: null,
    features: COMMON_FEATURES,
    defaultFeatures: [],
  },
  opensearch: {
    id: 'opensearch',
    name: 'OpenSearch',
    versions: ['2.17.1', '2.19.1'],
    envName: 'OPENSEARCH',
    scheme: 'https',
    rpoMinutes: DAY_MINUTES,
    continuousBackup: false,
    gatewayTimeouts: null,
    features: COMMON_FEATURES,
    defaultFeatures: [],
  },
};

/** Plan memory sizes (MB) of the paid classes; a Sandbox has no size and 128 MB. */
export const PLAN_SIZES_MB = [256, 512, 1024, 2048, 4096, 8192] as const;
export const SANDBOX_MEMORY_MB = 128;

export interface Plan {
  /** `<type>-<class>-<size>`, or `<type>-sandbox`. */
  id: string;
  type: DatabaseType;
  class: ServiceClass;
  memoryMb: number;
}

function plansOf(type: DatabaseType): Plan[] {
  return [
    { id: `${type}-sandbox`, type, class: 'sandbox', memoryMb: SANDBOX_MEMORY_MB },
    ...(['starter', 'business'] as const).flatMap((cls) =>
      PLAN_SIZES_MB.map((size) => ({ id: `${type}-${cls}-${size}`, type, class: cls, memoryMb: size })),
    ),
  ];
}

export const PLANS: readonly Plan[] = DATABASE_TYPES.flatMap(plansOf);
const PLANS_BY_ID = new Map(PLANS.map((plan) => [plan.id, plan]));

export function isDatabaseType(value: unknown): value is DatabaseType {
  return typeof value === 'string' && (DATABASE_TYPES as readonly string[]).includes(value);
}

export function isFeature(value: unknown): value is Feature {
  return typeof value === 'string' && (FEATURES as readonly string[]).includes(value);
}

export function findPlan(planId: string): Plan | undefined {
  return PLANS_BY_ID.get(planId);
}

export function plansOfType(type: DatabaseType): Plan[] {
  return PLANS.filter((plan) => plan.type === type);
}

export function classOf(planId: string): ClassPolicy {
  const plan = findPlan(planId);
  if (!plan) throw new Error(`Unknown plan ${planId}`);
  return CLASS_POLICIES[plan.class];
}

/** Downtime of a plan change, as observed on the platform (DOMAIN.md). */
export function planChangeDowntime(from: Plan, to: Plan): Downtime {
  // Moving onto a Business cluster (from Starter or Business) switches over with no downtime.
  if (to.class === 'business' && from.class !== 'sandbox') return 'none';
  // A single node is stopped and restarted on a new host: a few seconds (2 to 10 s).
  return 'seconds';
}

// ----- versions -----

type Semver = [number, number, number];

export function parseVersion(version: string): Semver | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  if (!x || !y) throw new Error(`Not a version: ${x ? b : a}`);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

export const majorOf = (version: string): number => parseVersion(version)![0];

export function newestVersion(type: DatabaseType): string {
  const versions = PROVIDERS[type].versions;
  return versions[versions.length - 1];
}

/**
 * The version an add-on can upgrade to next: the newest version of its major when it is
 * not on it yet, else the newest version of the next major offered; null when up to date.
 * (2.3.x → 2.5.x → 3.1.x: a major is reached from the newest minor of the one before.)
 */
export function nextVersion(type: DatabaseType, current: string): string | null {
  const versions = PROVIDERS[type].versions;
  const major = majorOf(current);
  const sameMajor = versions.filter((v) => majorOf(v) === major && compareVersions(v, current) > 0);
  if (sameMajor.length > 0) return sameMajor[sameMajor.length - 1];
  const nextMajor = versions.map(majorOf).find((m) => m > major);
  if (nextMajor === undefined) return null;
  const candidates = versions.filter((v) => majorOf(v) === nextMajor);
  return candidates[candidates.length - 1];
}
