import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/bootstrap';

export const ADMIN_TOKEN = `e2e-admin-${randomBytes(16).toString('hex')}`;
export const MASTER_KEY = randomBytes(32).toString('base64');

/**
 * The real app on a temp DATA_DIR, with ADMIN_TOKEN and MASTER_KEY set as in production,
 * and everything it logs captured (and kept off the test output).
 */
export class AppFixture {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'db-addons-e2e-'));
  app!: INestApplication;
  private readonly logs: string[] = [];
  private readonly savedEnv = { ...process.env };
  private stdout?: jest.SpyInstance;

  async start(env: Record<string, string> = {}): Promise<INestApplication> {
    delete process.env.EVENTSTORE_CONNECTION_STRING;
    // The platform runtime stays off: these tests play the platform's part themselves
    // (test/flows drives it in simulated time).
    Object.assign(process.env, { DATA_DIR: this.dataDir, ADMIN_TOKEN, MASTER_KEY, LOG_LEVEL: 'info', PLATFORM_RUNTIME: 'off', ...env });
    this.stdout ??= jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      this.logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
    this.app = await createApp();
    await this.app.listen(0);
    return this.app;
  }

  /** Closes the app; the data directory stays for a restart. */
  async stop(): Promise<void> {
    await this.app?.close();
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.stdout?.mockRestore();
    process.env = this.savedEnv;
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  http() {
    return this.app.getHttpServer();
  }

  /** Everything the app logged so far. */
  logText(): string {
    return this.logs.join('');
  }

  /** The raw bytes of the data files whose name starts with `prefix` (the db and its WAL). */
  fileText(prefix: string): string {
    return readdirSync(this.dataDir)
      .filter((name) => name.startsWith(prefix))
      .map((name) => readFileSync(join(this.dataDir, name)).toString('latin1'))
      .join('');
  }
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
