import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import { resolve } from 'node:path';

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
  readonly addonVariablePrefix: string;
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
    this.eventStore = env.EVENTSTORE_CONNECTION_STRING
      ? { kind: 'eventstoredb', connectionString: env.EVENTSTORE_CONNECTION_STRING }
      : { kind: 'sqlite', file: resolve(this.dataDir, 'events.sqlite'), synchronous: env.SQLITE_SYNCHRONOUS };
    Object.defineProperties(this, {
      masterKey: { value: env.MASTER_KEY ? Buffer.from(env.MASTER_KEY, 'base64') : undefined, enumerable: false },
      adminToken: { value: env.ADMIN_TOKEN, enumerable: false },
    });
  }
}
