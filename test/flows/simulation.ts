import { INestApplication } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/bootstrap';
import { EventStore, StoredEvent } from '../../src/event-store/event-store.port';
import { PlatformDriver } from '../../src/platform/driver/platform-driver.port';
import { SimulatedPlatformDriver } from '../../src/platform/driver/simulated-platform-driver';
import { JobWorker } from '../../src/platform/runtime/job-worker';
import { RuntimeStore } from '../../src/platform/runtime/runtime-store';
import { SagaRunner } from '../../src/platform/runtime/saga-runner';
import { SimulatedClock } from '../../src/shared/clock';

const ADMIN_TOKEN = `sim-admin-${randomBytes(16).toString('hex')}`;
const MASTER_KEY = randomBytes(32).toString('base64');

/** How long settling may take in real time before the simulation is declared stuck. */
const SETTLE_LIMIT_MS = 20_000;

/**
 * The real application on a temp DATA_DIR, in simulated time: the platform runtime does
 * not run on its own; `advance` moves the clock and, at each step, feeds the sagas, runs
 * the due jobs and lets the data plane's waits end, until nothing is left to do.
 */
export class Simulation {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'db-addons-sim-'));
  readonly clock: SimulatedClock;
  app!: INestApplication;
  /** Other processes on the same DATA_DIR and clock (`addProcess`). */
  private peers: INestApplication[] = [];
  private readonly savedEnv = { ...process.env };
  private tokens = new Map<string, string>();
  /** The environment `start` was given, used again by `restart`. */
  private env: Record<string, string> = {};
  private running = false;

  constructor(start = '2026-01-05T09:00:00.000Z') {
    this.clock = new SimulatedClock(start);
  }

  async start(env: Record<string, string> = {}): Promise<this> {
    this.env = env;
    delete process.env.EVENTSTORE_CONNECTION_STRING;
    Object.assign(process.env, {
      DATA_DIR: this.dataDir,
      ADMIN_TOKEN,
      MASTER_KEY,
      LOG_LEVEL: 'silent',
      PLATFORM_RUNTIME: 'off',
      SQLITE_SYNCHRONOUS: 'NORMAL',
      DRIVER_LATENCY_SCALE: '1',
      ...env,
    });
    this.app = await createApp({ clock: this.clock });
    await this.app.listen(0);
    this.running = true;
    return this;
  }

  /**
   * Starts another process of the app on the same DATA_DIR (the same event store and
   * runtime files) and clock, as a second replica would run; `settle` and `advance` drive
   * both. Answers its HTTP server.
   */
  async addProcess(): Promise<INestApplication> {
    const peer = await createApp({ clock: this.clock });
    await peer.listen(0);
    this.peers.push(peer);
    return peer;
  }

  /** Stops the app and its peers (as a crash would not: cleanly); the data stays for a restart. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const peer of this.peers.splice(0)) await peer.close();
    await this.app?.close();
  }

  private get processes(): INestApplication[] {
    return [this.app, ...this.peers];
  }

  private get inFlight(): number {
    return this.processes.reduce((sum, app) => sum + app.get(JobWorker).inFlight, 0);
  }

  private get runningKeys(): string[] {
    return this.processes.flatMap((app) => app.get(JobWorker).runningKeys);
  }

  /**
   * Closes the app and starts a new one on the same DATA_DIR, clock and environment, as a
   * redeploy would. Only between steps: a job still waiting on the data plane would keep
   * the old app from closing (it drains its jobs), so settle first. With `downUntil`, the
   * clock moves to that instant while no app runs (the platform was down meanwhile).
   */
  async restart({ downUntil }: { downUntil?: string } = {}): Promise<this> {
    const inFlight = this.inFlight;
    if (inFlight > 0) {
      throw new Error(`restart() with ${inFlight} jobs still running at ${this.now()}: advance until they are done`);
    }
    await this.stop();
    if (downUntil !== undefined) {
      if (this.clock.sleeping > 0) throw new Error('restart(): something still sleeps on the clock');
      await this.clock.advanceTo(downUntil);
    }
    return this.start(this.env);
  }

  async dispose(): Promise<void> {
    await this.stop();
    process.env = this.savedEnv;
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  get store(): EventStore {
    return this.app.get(EventStore);
  }

  get driver(): SimulatedPlatformDriver {
    return this.app.get(PlatformDriver) as SimulatedPlatformDriver;
  }

  get commands(): CommandBus {
    return this.app.get(CommandBus);
  }

  get runtime(): RuntimeStore {
    return this.app.get(RuntimeStore);
  }

  now(): string {
    return this.clock.now().toISOString();
  }

  // ----- time -----

  /** Runs everything that can run at the current instant, until only waits remain. */
  async settle(): Promise<void> {
    const deadline = Date.now() + SETTLE_LIMIT_MS;
    for (let round = 0; Date.now() < deadline; round++) {
      let progress = 0;
      // Each round another process goes first, so that with peers each takes its share.
      const processes = this.processes;
      for (const app of [...processes.slice(round % processes.length), ...processes.slice(0, round % processes.length)]) {
        progress += await app.get(SagaRunner).catchUp();
        progress += await app.get(JobWorker).runDue();
      }
      // Let started jobs run until they finish or wait on the clock.
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (progress > 0) continue;
      const waiting = this.inFlight === this.clock.sleeping;
      // Parked sagas wait for an operator: nothing more comes from them.
      const runners = this.processes.map((app) => app.get(SagaRunner));
      const caughtUp = (await Promise.all(runners.map(async (r) => r.parked !== null || (await r.caughtUp())))).every(Boolean);
      if (waiting && caughtUp && !(await this.dueNow())) return;
    }
    throw new Error(`The simulation did not settle at ${this.now()} (${this.inFlight} jobs running)`);
  }

  /** Moves time forward by `ms`, stopping at every wake-up and due job on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(new Date(this.clock.now().getTime() + ms).toISOString());
  }

  async advanceTo(instant: string): Promise<void> {
    const target = Date.parse(instant);
    for (;;) {
      await this.settle();
      const candidates = [this.clock.nextWake(), await this.runtime.nextDue(this.runningKeys)]
        .filter((d): d is Date => d !== null)
        .map((d) => d.getTime());
      const next = Math.min(...candidates);
      if (!Number.isFinite(next) || next > target) break;
      await this.clock.advanceTo(new Date(Math.max(next, this.clock.now().getTime())));
    }
    await this.clock.advanceTo(new Date(target));
    await this.settle();
  }

  private async dueNow(): Promise<boolean> {
    const next = await this.runtime.nextDue(this.runningKeys);
    return next !== null && next.getTime() <= this.clock.now().getTime();
  }

  // ----- HTTP -----

  async token(role: 'owner' | 'support' | 'platform' | 'admin', subject: string): Promise<string> {
    const key = `${role}:${subject}`;
    if (!this.tokens.has(key)) {
      const response = await request(this.app.getHttpServer())
        .post('/v1/tokens')
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .send({ role, subject })
        .expect(201);
      this.tokens.set(key, response.body.token.value);
    }
    return this.tokens.get(key)!;
  }

  /** A call as `role:subject`; answers the response (status not checked). */
  async call(
    who: `${'owner' | 'support' | 'platform'}:${string}`,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: object,
  ) {
    const [role, subject] = who.split(':') as ['owner' | 'support' | 'platform', string];
    const token = await this.token(role, subject);
    const test = request(this.app.getHttpServer())
      [method.toLowerCase() as 'get']('' + path)
      .set('Authorization', `Bearer ${token}`);
    return body ? test.send(body) : test;
  }

  // ----- the log -----

  async events(stream: string): Promise<StoredEvent[]> {
    return this.store.readStream(stream);
  }

  async types(stream: string): Promise<string[]> {
    return (await this.events(stream)).map((e) => e.type);
  }
}
