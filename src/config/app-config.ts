import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import { resolve } from 'node:path';
import { ADDRESS_RANGES, AddressRange } from '../webhooks/target-guard';

/** Events per projection transaction by default: big enough that a rebuild spends little on each commit (bench/projections.bench.ts). */
export const DEFAULT_PROJECTION_BATCH_SIZE = 5_000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const blankIsUnset = ({ value }: { value: unknown }) => (value === '' ? undefined : value);
/** Secrets often come from files with a trailing newline. */
const trimmedOrUnset = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? (value.trim() === '' ? undefined : value.trim()) : value;

/** The environment the process reads, with its defaults. The README's table mirrors it. */
export class EnvironmentVariables {
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @Transform(blankIsUnset)
  @IsString()
  @IsNotEmpty()
  DATA_DIR = './data';

  /** When set, events go to EventStoreDB instead of the embedded store. */
  @Transform(blankIsUnset)
  @IsOptional()
  @Matches(/^(esdb|esdb\+discover):\/\/\S+$/, {
    message: 'EVENTSTORE_CONNECTION_STRING must be an esdb:// or esdb+discover:// connection string',
  })
  EVENTSTORE_CONNECTION_STRING?: string;

  @Transform(({ value }) => (value === '' || value === undefined ? undefined : String(value).toUpperCase()))
  @IsIn(['FULL', 'NORMAL'])
  SQLITE_SYNCHRONOUS: 'FULL' | 'NORMAL' = 'FULL';

  @Transform(blankIsUnset)
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  /** The app variables of a running add-on are `<PREFIX>_<TYPE>_URL` and the alias `<TYPE>_URL`. */
  @Transform(blankIsUnset)
  @Matches(/^[A-Z][A-Z0-9]{0,31}$/, { message: 'ADDON_VARIABLE_PREFIX is uppercase letters and digits, e.g. SCALINGO' })
  ADDON_VARIABLE_PREFIX = 'SCALINGO';

  /**
   * Base64 of the 32-byte key that wraps every data key and seals local secrets. When
   * unset, `DATA_DIR/master.key` is used (created on first start).
   */
  @Transform(trimmedOrUnset)
  @IsOptional()
  // 44 characters, one `=`: the only canonical base64 of 32 bytes (the last character
  // before `=` carries 4 bits, so only 16 letters can stand there).
  @Matches(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, {
    message: 'MASTER_KEY must be the base64 of 32 random bytes (e.g. `openssl rand -base64 32`)',
  })
  MASTER_KEY?: string;

  /** A bearer token that is made an admin token at start, to issue the first tokens. */
  @Transform(trimmedOrUnset)
  @IsOptional()
  @Matches(/^[\x21-\x7E]{24,512}$/, {
    message: 'ADMIN_TOKEN must be 24 to 512 visible ASCII characters, without spaces',
  })
  ADMIN_TOKEN?: string;

  /** Multiplies every latency of the simulated data plane: 0.001 for fast local runs, 0 for none. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'DRIVER_LATENCY_SCALE must be a number, 0 or more' })
  @Min(0, { message: 'DRIVER_LATENCY_SCALE must be a number, 0 or more' })
  DRIVER_LATENCY_SCALE = 1;

  /** Share of the simulated data plane's calls that fail (chaos runs), from 0 to 1. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'DRIVER_FAILURE_RATE must be a number from 0 to 1' })
  @Min(0, { message: 'DRIVER_FAILURE_RATE must be a number from 0 to 1' })
  @Max(1, { message: 'DRIVER_FAILURE_RATE must be a number from 0 to 1' })
  DRIVER_FAILURE_RATE = 0;

  /** Seed of the pseudo-random draws deciding which calls fail, so a chaos run can be replayed. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'DRIVER_SEED must be a whole number from 0 to 4294967295' })
  @Min(0, { message: 'DRIVER_SEED must be a whole number from 0 to 4294967295' })
  @Max(0xffffffff, { message: 'DRIVER_SEED must be a whole number from 0 to 4294967295' })
  DRIVER_SEED = 1;

  /** How long a backup archive download link stays valid. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'ARCHIVE_LINK_TTL_SECONDS must be a whole number of seconds from 1 to 3600' })
  @Min(1, { message: 'ARCHIVE_LINK_TTL_SECONDS must be a whole number of seconds from 1 to 3600' })
  @Max(3600, { message: 'ARCHIVE_LINK_TTL_SECONDS must be a whole number of seconds from 1 to 3600' })
  ARCHIVE_LINK_TTL_SECONDS = 300;

  /** `on`: sagas, jobs and timers run in this process; `off`: it only serves the API. */
  @Transform(({ value }) => (value === '' || value === undefined ? undefined : String(value).toLowerCase()))
  @IsIn(['on', 'off'], { message: 'PLATFORM_RUNTIME must be on or off' })
  PLATFORM_RUNTIME: 'on' | 'off' = 'on';

  /** Jobs run at once (most of their time is spent waiting for the data plane). */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'RUNTIME_CONCURRENCY must be a whole number from 1 to 1024' })
  @Min(1, { message: 'RUNTIME_CONCURRENCY must be a whole number from 1 to 1024' })
  @Max(1024, { message: 'RUNTIME_CONCURRENCY must be a whole number from 1 to 1024' })
  RUNTIME_CONCURRENCY = 64;

  /** How often the job worker looks for due jobs, in milliseconds. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'RUNTIME_POLL_MS must be a whole number of milliseconds from 10 to 60000' })
  @Min(10, { message: 'RUNTIME_POLL_MS must be a whole number of milliseconds from 10 to 60000' })
  @Max(60_000, { message: 'RUNTIME_POLL_MS must be a whole number of milliseconds from 10 to 60000' })
  RUNTIME_POLL_MS = 250;

  /**
   * How long a claimed job is held before another process may take it over, in
   * milliseconds of the platform's clock: after a crash, its jobs resume once it passes.
   */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'RUNTIME_LEASE_MS must be a whole number of milliseconds, 100 or more' })
  @Min(100, { message: 'RUNTIME_LEASE_MS must be a whole number of milliseconds, 100 or more' })
  RUNTIME_LEASE_MS = 600_000;

  /**
   * How long after an add-on is attached to (or let go by) its app its own stream must have
   * followed, in milliseconds of the platform's clock; past it, the request died between
   * its two writes and the platform settles them.
   */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'RUNTIME_SETTLE_AFTER_MS must be a whole number of milliseconds from 100 to 3600000' })
  @Min(100, { message: 'RUNTIME_SETTLE_AFTER_MS must be a whole number of milliseconds from 100 to 3600000' })
  @Max(3_600_000, { message: 'RUNTIME_SETTLE_AFTER_MS must be a whole number of milliseconds from 100 to 3600000' })
  RUNTIME_SETTLE_AFTER_MS = 30_000;

  /** Attempts of a job before it is parked as dead. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'RUNTIME_MAX_ATTEMPTS must be a whole number from 1 to 100' })
  @Min(1, { message: 'RUNTIME_MAX_ATTEMPTS must be a whole number from 1 to 100' })
  @Max(100, { message: 'RUNTIME_MAX_ATTEMPTS must be a whole number from 1 to 100' })
  RUNTIME_MAX_ATTEMPTS = 10;

  /** Attempts of a data-plane call that keeps failing in a retryable way before the flow records a failure. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'DRIVER_MAX_ATTEMPTS must be a whole number from 1 to 100' })
  @Min(1, { message: 'DRIVER_MAX_ATTEMPTS must be a whole number from 1 to 100' })
  @Max(100, { message: 'DRIVER_MAX_ATTEMPTS must be a whole number from 1 to 100' })
  DRIVER_MAX_ATTEMPTS = 5;

  /** `on`: this process keeps the read models up to date; `off`: it reads them only. */
  @Transform(({ value }) => (value === '' || value === undefined ? undefined : String(value).toLowerCase()))
  @IsIn(['on', 'off'], { message: 'PROJECTIONS must be on or off' })
  PROJECTIONS: 'on' | 'off' = 'on';

  /** Events a projection applies per transaction (live events come a few at a time; this bounds a catch-up's batches). */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'PROJECTION_BATCH_SIZE must be a whole number from 1 to 10000' })
  @Min(1, { message: 'PROJECTION_BATCH_SIZE must be a whole number from 1 to 10000' })
  @Max(10_000, { message: 'PROJECTION_BATCH_SIZE must be a whole number from 1 to 10000' })
  PROJECTION_BATCH_SIZE = DEFAULT_PROJECTION_BATCH_SIZE;

  /** How long a query given `min_position` waits for the read models to reach it, in milliseconds. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'READ_WAIT_MS must be a whole number of milliseconds from 0 to 60000' })
  @Min(0, { message: 'READ_WAIT_MS must be a whole number of milliseconds from 0 to 60000' })
  @Max(60_000, { message: 'READ_WAIT_MS must be a whole number of milliseconds from 0 to 60000' })
  READ_WAIT_MS = 5_000;

  /** How often an open event feed (GET /v1/events) writes a heartbeat comment, so proxies and clients see it alive. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'FEED_HEARTBEAT_MS must be a whole number of milliseconds from 100 to 300000' })
  @Min(100, { message: 'FEED_HEARTBEAT_MS must be a whole number of milliseconds from 100 to 300000' })
  @Max(300_000, { message: 'FEED_HEARTBEAT_MS must be a whole number of milliseconds from 100 to 300000' })
  FEED_HEARTBEAT_MS = 15_000;

  /** `on`: this process delivers webhooks (from `DATA_DIR/webhooks.sqlite`); `off`: it only serves their API. */
  @Transform(({ value }) => (value === '' || value === undefined ? undefined : String(value).toLowerCase()))
  @IsIn(['on', 'off'], { message: 'WEBHOOKS must be on or off' })
  WEBHOOKS: 'on' | 'off' = 'on';

  /** Address kinds webhooks may target beyond public ones: a comma-separated list of loopback, private, linkLocal, uniqueLocal, carrierGradeNat. */
  @Transform(({ value }) => (value === undefined ? undefined : String(value).split(',').map((v) => v.trim()).filter((v) => v !== '')))
  @IsIn(ADDRESS_RANGES, { each: true, message: `WEBHOOK_ALLOWED_RANGES must be a comma-separated list of ${ADDRESS_RANGES.join(', ')}` })
  WEBHOOK_ALLOWED_RANGES: AddressRange[] = [];

  /** How long one delivery attempt may take, in milliseconds. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'WEBHOOK_TIMEOUT_MS must be a whole number of milliseconds from 100 to 60000' })
  @Min(100, { message: 'WEBHOOK_TIMEOUT_MS must be a whole number of milliseconds from 100 to 60000' })
  @Max(60_000, { message: 'WEBHOOK_TIMEOUT_MS must be a whole number of milliseconds from 100 to 60000' })
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** The wait after a delivery's first failed attempt; it doubles after each failure. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'WEBHOOK_RETRY_BASE_MS must be a whole number of milliseconds from 10 to 3600000' })
  @Min(10, { message: 'WEBHOOK_RETRY_BASE_MS must be a whole number of milliseconds from 10 to 3600000' })
  @Max(3_600_000, { message: 'WEBHOOK_RETRY_BASE_MS must be a whole number of milliseconds from 10 to 3600000' })
  WEBHOOK_RETRY_BASE_MS = 5_000;

  /** The longest wait between two attempts of a delivery. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'WEBHOOK_RETRY_MAX_MS must be a whole number of milliseconds from 10 to 86400000' })
  @Min(10, { message: 'WEBHOOK_RETRY_MAX_MS must be a whole number of milliseconds from 10 to 86400000' })
  @Max(86_400_000, { message: 'WEBHOOK_RETRY_MAX_MS must be a whole number of milliseconds from 10 to 86400000' })
  WEBHOOK_RETRY_MAX_MS = 3_600_000;

  /** How long a delivery is retried after its first attempt before it is dead-lettered. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'WEBHOOK_RETRY_FOR_MS must be a whole number of milliseconds from 0 to 2592000000' })
  @Min(0, { message: 'WEBHOOK_RETRY_FOR_MS must be a whole number of milliseconds from 0 to 2592000000' })
  @Max(2_592_000_000, { message: 'WEBHOOK_RETRY_FOR_MS must be a whole number of milliseconds from 0 to 2592000000' })
  WEBHOOK_RETRY_FOR_MS = 86_400_000;

  /** Deliveries sent at once (one at a time per webhook and add-on). */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'WEBHOOK_CONCURRENCY must be a whole number from 1 to 256' })
  @Min(1, { message: 'WEBHOOK_CONCURRENCY must be a whole number from 1 to 256' })
  @Max(256, { message: 'WEBHOOK_CONCURRENCY must be a whole number from 1 to 256' })
  WEBHOOK_CONCURRENCY = 16;

  /** How long a SIGTERM's graceful shutdown may take before the process says what is still open and exits with 1. */
  @Transform(blankIsUnset)
  @Type(() => Number)
  @IsInt({ message: 'SHUTDOWN_TIMEOUT_MS must be a whole number of milliseconds from 100 to 600000' })
  @Min(100, { message: 'SHUTDOWN_TIMEOUT_MS must be a whole number of milliseconds from 100 to 600000' })
  @Max(600_000, { message: 'SHUTDOWN_TIMEOUT_MS must be a whole number of milliseconds from 100 to 600000' })
  SHUTDOWN_TIMEOUT_MS = 10_000;
}

/**
 * Checks the environment at start. A failure names each variable and the rule it breaks,
 * never its value: a connection string may hold a password.
 */
export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  const env = plainToInstance(EnvironmentVariables, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    // One message per rule broken: several checks of one variable may share a message.
    const problems = new Set(errors.flatMap((error) => Object.values(error.constraints ?? {})));
    throw new Error(`Invalid configuration: ${[...problems].join('; ')}`);
  }
  return env;
}

/** The platform runtime: sagas, the job worker, timers. */
export interface RuntimeConfig {
  enabled: boolean;
  concurrency: number;
  pollMs: number;
  leaseMs: number;
  /** RUNTIME_SETTLE_AFTER_MS: when a half-done two-stream write is settled. */
  settleAfterMs: number;
  maxAttempts: number;
  /** Attempts of a retryable data-plane failure before the flow records it as final. */
  driverAttempts: number;
}

/** The read models: their file, whether this process feeds them, how long a query waits for them. */
export interface ReadModelsConfig {
  file: string;
  enabled: boolean;
  batchSize: number;
  waitMs: number;
}

/** The public event feed (`GET /v1/events`). */
export interface FeedConfig {
  heartbeatMs: number;
}

/** Webhook deliveries: whether this process sends them, where to, how they are retried. */
export interface WebhooksConfig {
  enabled: boolean;
  file: string;
  allowedRanges: AddressRange[];
  timeoutMs: number;
  baseMs: number;
  maxMs: number;
  retryForMs: number;
  concurrency: number;
}

/** The simulated data plane (`SimulatedPlatformDriver`). */
export interface DriverConfig {
  latencyScale: number;
  failureRate: number;
  seed: number;
}

export type EventStoreConfig =
  | { kind: 'sqlite'; file: string; synchronous: 'FULL' | 'NORMAL' }
  | { kind: 'eventstoredb'; connectionString: string };

/** The typed configuration the rest of the code injects. */
export class AppConfig {
  readonly port: number;
  readonly dataDir: string;
  readonly logLevel: EnvironmentVariables['LOG_LEVEL'];
  readonly eventStore: EventStoreConfig;
  readonly addonVariablePrefix: string;
  readonly driver: DriverConfig;
  readonly archiveLinkTtlSeconds: number;
  readonly runtime: RuntimeConfig;
  readonly readModels: ReadModelsConfig;
  readonly feed: FeedConfig;
  readonly webhooks: WebhooksConfig;
  /** How long a graceful shutdown (SIGTERM) may take. */
  readonly shutdownTimeoutMs: number;
  /**
   * The master key from `MASTER_KEY`, or undefined (then the key ring uses its file).
   * Not enumerable, like `adminToken`, so that logging or serializing the config never
   * shows it.
   */
  declare readonly masterKey: Buffer | undefined;
  /** The `ADMIN_TOKEN` to register as an admin token at start, if any. */
  declare readonly adminToken: string | undefined;

  constructor(env: EnvironmentVariables) {
    this.port = env.PORT;
    this.dataDir = resolve(env.DATA_DIR);
    this.logLevel = env.LOG_LEVEL;
    this.addonVariablePrefix = env.ADDON_VARIABLE_PREFIX;
    this.driver = { latencyScale: env.DRIVER_LATENCY_SCALE, failureRate: env.DRIVER_FAILURE_RATE, seed: env.DRIVER_SEED };
    this.archiveLinkTtlSeconds = env.ARCHIVE_LINK_TTL_SECONDS;
    this.runtime = {
      enabled: env.PLATFORM_RUNTIME === 'on',
      concurrency: env.RUNTIME_CONCURRENCY,
      pollMs: env.RUNTIME_POLL_MS,
      leaseMs: env.RUNTIME_LEASE_MS,
      settleAfterMs: env.RUNTIME_SETTLE_AFTER_MS,
      maxAttempts: env.RUNTIME_MAX_ATTEMPTS,
      driverAttempts: env.DRIVER_MAX_ATTEMPTS,
    };
    this.readModels = {
      file: resolve(this.dataDir, 'read.sqlite'),
      enabled: env.PROJECTIONS === 'on',
      batchSize: env.PROJECTION_BATCH_SIZE,
      waitMs: env.READ_WAIT_MS,
    };
    this.feed = { heartbeatMs: env.FEED_HEARTBEAT_MS };
    this.webhooks = {
      enabled: env.WEBHOOKS === 'on',
      file: resolve(this.dataDir, 'webhooks.sqlite'),
      allowedRanges: env.WEBHOOK_ALLOWED_RANGES,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      baseMs: env.WEBHOOK_RETRY_BASE_MS,
      maxMs: env.WEBHOOK_RETRY_MAX_MS,
      retryForMs: env.WEBHOOK_RETRY_FOR_MS,
      concurrency: env.WEBHOOK_CONCURRENCY,
    };
    this.shutdownTimeoutMs = env.SHUTDOWN_TIMEOUT_MS;
    this.eventStore = env.EVENTSTORE_CONNECTION_STRING
      ? { kind: 'eventstoredb', connectionString: env.EVENTSTORE_CONNECTION_STRING }
      : { kind: 'sqlite', file: resolve(this.dataDir, 'events.sqlite'), synchronous: env.SQLITE_SYNCHRONOUS };
    Object.defineProperties(this, {
      masterKey: { value: env.MASTER_KEY ? Buffer.from(env.MASTER_KEY, 'base64') : undefined, enumerable: false },
      adminToken: { value: env.ADMIN_TOKEN, enumerable: false },
    });
  }
}
