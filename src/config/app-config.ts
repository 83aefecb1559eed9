import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import { resolve } from 'node:path';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const blankIsUnset = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

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
}

/**
 * Checks the environment at start. A failure names each variable and the rule it breaks,
 * never its value: a connection string may hold a password.
 */
export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  const env = plainToInstance(EnvironmentVariables, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    const problems = errors.flatMap((error) => Object.values(error.constraints ?? {}));
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  return env;
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

  constructor(env: EnvironmentVariables) {
    this.port = env.PORT;
    this.dataDir = resolve(env.DATA_DIR);
    this.logLevel = env.LOG_LEVEL;
    this.eventStore = env.EVENTSTORE_CONNECTION_STRING
      ? { kind: 'eventstoredb', connectionString: env.EVENTSTORE_CONNECTION_STRING }
      : { kind: 'sqlite', file: resolve(this.dataDir, 'events.sqlite'), synchronous: env.SQLITE_SYNCHRONOUS };
  }
}
