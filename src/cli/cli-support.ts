import { Logger, LoggerService } from '@nestjs/common';
import { Presets, SingleBar } from 'cli-progress';
import { Command, CommanderError } from 'commander';
import { existsSync } from 'node:fs';
import { AppConfig, validateEnvironment } from '../config/app-config';
import type { EventStore, StoredEvent } from '../event-store/event-store.port';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store';
import { withUpcasting } from '../event-store/upcasting-event-store';

/**
 * What the support CLIs (`src/cli/*.cli.ts`) share: the configuration read like the app
 * reads it, the event store opened like `EventStoreModule` opens it (without Nest), exit
 * codes, and output to a pipe or a terminal.
 */

/** Exit codes of the support CLIs. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A failure to report as one line on stderr (no stack), with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

/** The app's configuration from the environment (DATA_DIR, EVENTSTORE_CONNECTION_STRING…). */
export function loadConfig(): AppConfig {
  try {
    return new AppConfig(validateEnvironment(process.env));
  } catch (error) {
    // The message names variables and rules only, never a value.
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
}

/** Where events are read from, for messages (never the connection string: it may hold a password). */
export function describeEventStore(config: AppConfig): string {
  return config.eventStore.kind === 'sqlite' ? `the embedded store at ${config.eventStore.file}` : 'EventStoreDB';
}

/**
 * Opens the configured event store, read through the upcasters as the app reads it. Unlike
 * the app, a missing embedded store is an error rather than created: these tools read an
 * existing log.
 */
export async function openEventStore(config: AppConfig): Promise<EventStore> {
  return withUpcasting(await openAdapter(config));
}

async function openAdapter(config: AppConfig): Promise<EventStore> {
  const settings = config.eventStore;
  if (settings.kind === 'eventstoredb') {
    // Loaded only when used: the gRPC client is slow to load.
    const { EsdbEventStore } = await import('../event-store/esdb/esdb-event-store');
    return EsdbEventStore.fromConnectionString(settings.connectionString, {
      logger: { warn: (message) => console.error(message) },
    });
  }
  if (!existsSync(settings.file)) {
    throw new CliError(`No event store at ${settings.file}: set DATA_DIR to the server's data folder.`);
  }
  return SqliteEventStore.open({ file: settings.file, synchronous: settings.synchronous });
}

/** The same store, telling `onPage` of every page of the global log read through it. */
export function observeReadAll(store: EventStore, onPage: (events: readonly StoredEvent[]) => void): EventStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'readAll') {
        return async (...args: Parameters<EventStore['readAll']>) => {
          const page = await target.readAll(...args);
          onPage(page);
          return page;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Nest's loggers (used by the projection runner) write warnings and errors to stderr only: stdout is the tool's output. */
export function logToStderr(): void {
  const write = (level: string) => (message: unknown, ...params: unknown[]) => {
    const context = typeof params[params.length - 1] === 'string' ? `[${String(params[params.length - 1])}] ` : '';
    console.error(`${level} ${context}${message instanceof Error ? message.message : String(message)}`);
  };
  const logger: LoggerService = { log: () => undefined, warn: write('WARN'), error: write('ERROR') };
  Logger.overrideLogger(logger);
}

/** A progress bar on stderr; silent when stderr is not a terminal. */
export function progressBar(format: string): SingleBar {
  return new SingleBar({ format, stream: process.stderr, hideCursor: true, etaBuffer: 50 }, Presets.shades_classic);
}

/** Writes lines to stdout, waiting when the pipe is full; a reader that went away (`| head`) ends the tool quietly. */
export class LineWriter {
  constructor() {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
      throw error;
    });
  }

  async line(text: string): Promise<void> {
    if (!process.stdout.write(`${text}\n`)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}

/**
 * Runs a commander program: usage errors exit 2 (help and version 0), a `CliError` prints
 * its message and exits with its code, anything else exits 1 with its message.
 */
export async function runProgram(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  const usage = (error: CommanderError) => process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  program.exitOverride(usage);
  for (const command of program.commands) command.exitOverride(usage);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CliError) {
      console.error(error.message);
      process.exitCode = error.exitCode;
      return;
    }
    console.error(`Failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = EXIT.failure;
  }
}
