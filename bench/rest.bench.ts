/**
 * `npm run bench:rest`: end-to-end REST commands per second, and their p50/p99 latency,
 * at 1, 16 and 64 connections, beside the ceiling: a bare endpoint on the same NestJS
 * stack. Prints a table and writes bench/results/rest.json.
 *
 * The app is the real one (`createApp`), in this process, on a temp DATA_DIR, listening on
 * loopback: platform runtime off (no sagas or jobs), projections and webhooks on as by
 * default, LOG_LEVEL silent, embedded SQLite with synchronous=FULL (the default). The load
 * comes from autocannon in a child process (bench/rest-load.ts), so it does not run on the
 * app's event loop; on a 2-core machine the two share the cores, for both endpoints alike.
 *
 * Two commands, each by the add-on's owner (a bearer token), each connection on its own
 * running Starter PostgreSQL add-on, each request changing something (so every one reads
 * the app and the add-on, folds, decides and appends one event with the revision read,
 * fsynced), and able to repeat forever without a refusal:
 * - `feature`: `PUT` then `DELETE …/addons/:id/features/force-tls` in turn (no body): the
 *   event-sourced write path with a decision that costs next to nothing;
 * - `schedule`: `PUT …/addons/:id/backup-schedule` with `scheduled_at` 3 then 4 (UTC): a JSON
 *   body through the DTO's validation, and a decision that checks the hour against the
 *   maintenance window over a year of dates (DST-aware).
 *
 * The ceiling of each: the same route shape under `/v1/bench/…`, on a bench-only controller
 * added through `createApp({ extraModules })`, with the same body handling (NoBodyPipe, or
 * the DTO), `@Roles('owner')`, principal and request-context parameters, answering the
 * command's own answer (captured once) from memory: the same pipeline (request id, JSON body
 * parser and guards, auth guard with the token, validation pipe, idempotency interceptor,
 * error filter, JSON serialization of the same bytes) and then nothing. `GET
 * /v1/addon-providers` would not do: no body, no validation, and it builds a 40 kB
 * catalogue each time.
 *
 * BENCH_SECONDS (5) per measured run; BENCH_CONNECTIONS=1,16,64; BENCH_REST=feature,schedule;
 * BENCH_QUICK=1 for 2 s runs.
 */
import 'reflect-metadata';
import { Body, Controller, Delete, INestApplication, Module, Param, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import Table from 'cli-table3';
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupScheduleDto } from '../src/addons/api/dto/backup-schedule.dto';
import { CompleteProvisioningCommand } from '../src/addons/commands/complete-provisioning/complete-provisioning.command';
import { createApp } from '../src/bootstrap';
import { EventStore } from '../src/event-store/event-store.port';
import { NoBodyPipe } from '../src/http/no-body.pipe';
import { Roles } from '../src/security/access.decorators';
import type { Principal } from '../src/security/principal';
import { CurrentPrincipal, RequestContext } from '../src/security/request.decorators';
import type { CommandContext } from '../src/shared/cqrs/command-context';
import { benchSecrets, envInt, machine, QUICK, round, writeResult } from './bench-kit';
import type { LoadResult, LoadRun } from './rest-load';

/** What the bare routes answer: the commands' own answers, captured in the setup. */
const bareAnswers: { feature?: unknown; schedule?: unknown } = {};

/** The ceilings' handlers: the commands' route shapes, bodies and parameters; no work. */
@Controller('v1/bench/apps/:app/addons')
class BareController {
  @Put(':id/features/:feature')
  @Roles('owner')
  enable(
    @Param('app') _app: string,
    @Param('id') _id: string,
    @Param('feature') _feature: string,
    @Body(NoBodyPipe) _body: unknown,
    @CurrentPrincipal() _principal: Principal,
    @RequestContext() _context: CommandContext,
  ) {
    return bareAnswers.feature;
  }

  @Delete(':id/features/:feature')
  @Roles('owner')
  disable(
    @Param('app') _app: string,
    @Param('id') _id: string,
    @Param('feature') _feature: string,
    @Body(NoBodyPipe) _body: unknown,
    @CurrentPrincipal() _principal: Principal,
    @RequestContext() _context: CommandContext,
  ) {
    return bareAnswers.feature;
  }

  @Put(':id/backup-schedule')
  @Roles('owner')
  schedule(
    @Param('app') _app: string,
    @Param('id') _id: string,
    @Body() _body: BackupScheduleDto,
    @CurrentPrincipal() _principal: Principal,
    @RequestContext() _context: CommandContext,
  ) {
    return bareAnswers.schedule;
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

const SECONDS = envInt('BENCH_SECONDS', QUICK ? 2 : 5);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,16,64').split(',').map(Number);
const WARMUP_SECONDS = QUICK ? 1 : 2;

type CommandName = 'feature' | 'schedule';
const COMMANDS: Record<CommandName, { what: string; requests: LoadRun['requests'] }> = {
  feature: {
    what: 'PUT then DELETE /v1/apps/:app/addons/:id/features/force-tls (no body)',
    requests: [
      { method: 'PUT', suffix: '/features/force-tls' },
      { method: 'DELETE', suffix: '/features/force-tls' },
    ],
  },
  schedule: {
    what: 'PUT /v1/apps/:app/addons/:id/backup-schedule {"enabled": true, "scheduled_at": 3, then 4}',
    requests: [
      { method: 'PUT', suffix: '/backup-schedule', body: JSON.stringify({ enabled: true, scheduled_at: 4 }) },
      { method: 'PUT', suffix: '/backup-schedule', body: JSON.stringify({ enabled: true, scheduled_at: 3 }) },
    ],
  },
};
const CHOSEN = (process.env.BENCH_REST ?? 'feature,schedule').split(',') as CommandName[];

interface Pair {
  connections: number;
  command: LoadResult;
  bare: LoadResult;
  /** Command requests/s over bare requests/s. */
  ratio: number;
  /** Events the command run appended (one per request that changed the schedule). */
  eventsAppended: number;
}

/** A running app with `count` apps, each with a running Starter PostgreSQL add-on of one owner. */
async function setUp(app: INestApplication, base: string, adminToken: string, count: number) {
  const call = async (token: string, method: string, path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, any>;
  };
  const owner: string = (await call(adminToken, 'POST', '/v1/tokens', { role: 'owner', subject: 'bench-owner' })).token.value;
  const addons: Array<{ app: string; id: string }> = [];
  for (let i = 0; i < count; i++) {
    const name = `bench-app-${i}`;
    await call(owner, 'POST', '/v1/apps', { name });
    const { addon } = await call(owner, 'POST', `/v1/apps/${name}/addons`, { addon_provider_id: 'postgresql', plan_id: 'postgresql-starter-512' });
    await app.get(CommandBus).execute(
      new CompleteProvisioningCommand(addon.id, { actor: 'platform:bench', correlationId: randomUUID(), causationId: randomUUID() }),
    );
    // The window is drawn at provisioning: move it clear of 3:00 and 4:00 UTC, so that no request is refused.
    const path = `/v1/apps/${name}/addons/${addon.id}`;
    await call(owner, 'PUT', `${path}/backup-schedule`, { enabled: false });
    await call(owner, 'PUT', `${path}/maintenance-window`, { weekday_utc: 3, starting_hour_utc: 12 });
    bareAnswers.schedule = await call(owner, 'PUT', `${path}/backup-schedule`, { enabled: true, scheduled_at: 3 });
    bareAnswers.feature = await call(owner, 'PUT', `${path}/features/force-tls`, undefined);
    await call(owner, 'DELETE', `${path}/features/force-tls`, undefined);
    addons.push({ app: name, id: addon.id });
  }
  return { owner, addons };
}

function loadGenerator() {
  const child = fork(join(__dirname, 'rest-load.ts'), [], { execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: 'inherit' });
  return {
    run: (load: LoadRun) =>
      new Promise<LoadResult>((resolve, reject) => {
        child.once('message', (message: { result?: LoadResult; error?: string }) =>
          message.result ? resolve(message.result) : reject(new Error(`load generator: ${message.error}`)),
        );
        child.send(load);
      }),
    stop: () => child.disconnect(),
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'db-addons-bench-rest-'));
  const secrets = benchSecrets();
  delete process.env.EVENTSTORE_CONNECTION_STRING;
  Object.assign(process.env, { DATA_DIR: dataDir, PLATFORM_RUNTIME: 'off', LOG_LEVEL: 'silent', ...secrets });
  const host = await machine();
  const app = await createApp({ extraModules: [BareModule] });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const generator = loadGenerator();
  try {
    const { owner, addons } = await setUp(app, base, secrets.ADMIN_TOKEN, Math.max(...CONNECTIONS));
    const store = app.get(EventStore);
    const load = (name: CommandName, kind: 'command' | 'bare', connections: number, seconds: number): LoadRun => ({
      url: base,
      connections,
      seconds,
      prefixes: addons.map(({ app: appName, id }) => `${kind === 'bare' ? '/v1/bench' : '/v1'}/apps/${appName}/addons/${id}`),
      requests: COMMANDS[name].requests,
      headers: { authorization: `Bearer ${owner}` },
    });

    const results: Partial<Record<CommandName, Pair[]>> = {};
    for (const name of CHOSEN) {
      if (!COMMANDS[name]) throw new Error(`BENCH_REST: no command named ${name}`);
      // Warm the JIT, the executor's cache and SQLite's pages once, unmeasured.
      await generator.run(load(name, 'bare', 16, WARMUP_SECONDS));
      await generator.run(load(name, 'command', 16, WARMUP_SECONDS));
      const pairs: Pair[] = [];
      for (const connections of CONNECTIONS) {
        const bare = await generator.run(load(name, 'bare', connections, SECONDS));
        const before = (await store.headPosition()) ?? 0n;
        const command = await generator.run(load(name, 'command', connections, SECONDS));
        const after = (await store.headPosition()) ?? 0n;
        for (const [kind, r] of [['bare', bare], ['command', command]] as const) {
          if (r.non2xx > 0 || r.errors > 0) {
            throw new Error(`${name} ${kind} at ${connections}: ${r.non2xx} non-2xx answers, ${r.errors} errors: ${r.failures.join(' | ')}`);
          }
        }
        pairs.push({ connections, command, bare, ratio: round(command.requestsPerSecond / bare.requestsPerSecond), eventsAppended: Number(after - before) });
      }
      results[name] = pairs;
    }

    const table = new Table({
      head: ['command', 'connections', 'command req/s', 'p50 ms', 'p99 ms', 'bare req/s', 'p50 ms', 'p99 ms', 'command/bare'],
      style: { head: [], border: [] },
    });
    for (const [name, pairs] of Object.entries(results)) {
      for (const p of pairs) {
        table.push([name, p.connections, p.command.requestsPerSecond, p.command.p50Ms, p.command.p99Ms, p.bare.requestsPerSecond, p.bare.p50Ms, p.bare.p99Ms, p.ratio]);
      }
    }
    console.log(`REST, ${SECONDS} s per run, ${host.cores} cores (${host.cpuModel}), Node ${host.node}, SQLite ${host.sqlite}, load ${host.loadAverage1m}`);
    console.log(table.toString());
    const notes = [
      ...CHOSEN.map((name) => `${name}: ${COMMANDS[name].what}; bare: the same under /v1/bench/…, a no-op handler answering the command's own answer.`),
      'Each connection works on its own running postgresql-starter-512 add-on of one owner; every command request appends one event (synchronous=FULL); every answer, command or bare, was 2xx.',
      'bare runs the same pipeline: request id, body parser, auth guard with the token, validation (NoBodyPipe or the DTO), idempotency interceptor, error filter, JSON of the same bytes.',
      "The app runs in this process with projections and webhooks on (each command's event is projected in the background) and the platform runtime off; autocannon runs in a child process on the same machine. Latencies are autocannon's, per request, as the client saw them.",
      `Each connection count runs bare then command for ${SECONDS} s each, after ${WARMUP_SECONDS} s of each unmeasured.`,
    ];
    notes.forEach((note) => console.log(`- ${note}`));
    const file = writeResult('rest', {
      benchmark: 'rest',
      date: new Date().toISOString(),
      machine: host,
      settings: { seconds: SECONDS, connections: CONNECTIONS, quick: QUICK, synchronous: process.env.SQLITE_SYNCHRONOUS ?? 'FULL', logLevel: 'silent', platformRuntime: 'off', projections: 'on', webhooks: 'on' },
      commands: Object.fromEntries(CHOSEN.map((name) => [name, { what: COMMANDS[name].what, runs: results[name] }])),
      notes,
    });
    console.log(`Wrote ${file}`);
  } finally {
    generator.stop();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
