/**
 * The real application in a child process (`platform-child.ts`), and what the platform
 * crash tests use to drive it over HTTP and to read its files.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as sqlite3 from 'sqlite3';

const ROOT = join(__dirname, '../..');
const BOOT_TIMEOUT_MS = 30_000;

export const ADMIN_TOKEN = `crash-admin-${randomBytes(16).toString('hex')}`;
const MASTER_KEY = randomBytes(32).toString('base64');

/**
 * The environment of a child on `dataDir`: the platform runtime on, real time, the
 * embedded store at synchronous FULL, warnings and errors logged; `overrides` on top.
 */
export function childEnv(dataDir: string, overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: '0',
    ADMIN_TOKEN,
    MASTER_KEY,
    LOG_LEVEL: 'warn',
    PLATFORM_RUNTIME: 'on',
    SQLITE_SYNCHRONOUS: 'FULL',
    DRIVER_FAILURE_RATE: '0',
    ...overrides,
  };
  delete env.EVENTSTORE_CONNECTION_STRING;
  return env;
}

// ----- the child process -----

export class AppProcess {
  private output = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  url = '';

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'platform-child.ts')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      // Enough to diagnose a failure, bounded.
      this.output = (this.output + chunk.toString()).slice(-200_000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the child prints `ready <port>`. */
  async ready(): Promise<void> {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    for (;;) {
      const match = /^ready (\d+)$/m.exec(this.output);
      if (match) {
        this.url = `http://127.0.0.1:${match[1]}`;
        return;
      }
      if (!this.alive) throw new Error(`the app exited before it was ready:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`the app was not ready within ${BOOT_TIMEOUT_MS} ms:\n${this.tail()}`);
      await sleep(25);
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** SIGTERM (a clean shutdown), SIGKILL if it takes too long. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), 15_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once the child has printed a line matching `pattern` (a log line's text, say). */
  async printed(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (Date.now() > deadline) throw new Error(`the app did not print ${pattern} within ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(10);
    }
  }

  /** Everything the child printed (the last 200 kB). */
  get text(): string {
    return this.output;
  }

  tail(lines = 40): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  /** Log lines at warn (40) or above: what went wrong in the app, if anything. */
  problems(): string[] {
    return this.output.split('\n').filter((line) => /"level":(40|50|60)/.test(line) && !/MASTER_KEY/.test(line));
  }
}

// ----- HTTP -----

export interface Answer {
  status: number;
  /** The JSON answer, loosely typed: the tests read the fields they need. */
  body: any;
}

export interface RequestOptions {
  body?: unknown;
  /** Extra request headers (`Idempotency-Key`, `X-Request-Id`…). */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** A call with its answer's headers: what the chaos harness needs beside the body. */
export async function request(
  base: string,
  token: string | null,
  method: string,
  path: string,
  { body, headers = {}, timeoutMs = 15_000 }: RequestOptions = {},
): Promise<Answer & { headers: Headers }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token && { Authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: kept as text for the error message.
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

export async function call(base: string, token: string | null, method: string, path: string, body?: unknown): Promise<Answer> {
  const { status, body: answer } = await request(base, token, method, path, { body });
  return { status, body: answer };
}

export async function expectStatus(answer: Promise<Answer>, status: number, what: string): Promise<Answer> {
  const result = await answer;
  if (result.status !== status) throw new Error(`${what}: expected ${status}, got ${result.status} ${JSON.stringify(result.body)}`);
  return result;
}

export const errorCode = (answer: Answer): string | undefined => answer.body?.error?.code;

/** A write refused only because the add-on is busy for a moment is tried again, for up to 5 s. */
export async function writeWhenFree(send: () => Promise<Answer>, what: string, alsoRetry: readonly string[] = []): Promise<Answer> {
  const retryable = new Set(['CONCURRENCY.CONFLICT', 'ADDON.OPERATION_IN_PROGRESS', ...alsoRetry]);
  for (let attempt = 1; ; attempt++) {
    const answer = await send();
    if (answer.status < 300 || !retryable.has(errorCode(answer) ?? '')) return answer;
    if (attempt >= 50) throw new Error(`${what}: still ${answer.status} ${JSON.stringify(answer.body)}`);
    await sleep(100);
  }
}

// ----- helpers -----

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Polls `check` until it answers true; its last other answer says what was still missing. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<true | string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const result = await check();
    if (result === true) return;
    last = result;
    if (Date.now() > deadline) throw new Error(`${what}: not done within ${timeoutMs} ms; still ${last}`);
    await sleep(200);
  }
}

/** Queries on an SQLite file opened read-only (the live process keeps writing it). */
export async function queryReadOnly<T>(file: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) => (error ? reject(error) : resolve(opened)));
  });
  try {
    await new Promise<void>((resolve, reject) => db.exec('PRAGMA busy_timeout = 5000', (e) => (e ? reject(e) : resolve())));
    return await new Promise<T[]>((resolve, reject) => db.all(sql, params, (e, rows) => (e ? reject(e) : resolve(rows as T[]))));
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

/** Jobs that stay stored by design: the add-ons' timers. */
export const TIMER_KEYS = /^(periodic-backup|daily-retention):/;

export interface JobRow {
  key: string;
  payload: string;
  state: string;
  attempts: number;
  last_error: string | null;
  lease_until: number | null;
}
