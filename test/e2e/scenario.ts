import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import request, { Response } from 'supertest';
import { CompleteProvisioningCommand } from '../../src/addons/commands/complete-provisioning/complete-provisioning.command';
import { ExecuteAddonCommand } from '../../src/addons/commands/execute-addon-command/execute-addon-command.command';
import { EventStore, StoredEvent } from '../../src/event-store/event-store.port';
import type { CommandContext } from '../../src/shared/cqrs/command-context';
import { ADMIN_TOKEN, AppFixture, bearer } from './app-fixture';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface CallOptions {
  /** A JSON body (sent as application/json). */
  body?: unknown;
  /** A raw body, sent as is with `contentType` (default application/json). */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One answer the scenario received, kept for the secrets audit. */
export interface Recorded {
  method: Method;
  path: string;
  /** The caller's role, or `anonymous`. */
  role: string;
  status: number;
  headers: Record<string, unknown>;
  text: string;
}

/** A platform command without its time, as the handlers take it. */
export type PlatformCommand = ConstructorParameters<typeof ExecuteAddonCommand>[1];

/** Events with their stream, in the order they were appended: `app-x AddonAttached`. */
export const describeEvents = (events: readonly StoredEvent[]) => events.map((e) => `${e.stream} ${e.type}`);

/** The types appended to each stream, in order (for writes that touch several streams). */
export function typesByStream(described: readonly string[]): Record<string, string[]> {
  const streams: Record<string, string[]> = {};
  for (const line of described) {
    const [stream, type] = line.split(' ');
    (streams[stream] ??= []).push(type);
  }
  return streams;
}

/**
 * The app over HTTP, played by the tests: tokens per role, the calls (every answer kept),
 * the platform's commands (no sagas yet: the tests dispatch them on the CommandBus), and the
 * event log, read back to check what each call appended.
 */
export class Scenario {
  readonly recorded: Recorded[] = [];
  private readonly roles = new Map<string, string>([[ADMIN_TOKEN, 'admin']]);

  constructor(readonly fixture: AppFixture) {}

  get store(): EventStore {
    return this.fixture.app.get(EventStore);
  }

  /** Sends one call and records its answer. `token` null sends no Authorization header. */
  async call(token: string | null, method: Method, path: string, options: CallOptions = {}): Promise<Response> {
    let test = request(this.fixture.http())[method.toLowerCase() as 'get'](path);
    if (token !== null) test = test.set(bearer(token));
    if (options.headers) test = test.set(options.headers);
    if (options.raw !== undefined) {
      test = test.set('Content-Type', options.contentType ?? 'application/json').send(options.raw);
    } else if (options.body !== undefined) {
      test = test.send(options.body as object);
    }
    const response = await test;
    this.recorded.push({
      method,
      path,
      role: token === null ? 'anonymous' : (this.roles.get(token) ?? 'unknown'),
      status: response.status,
      headers: response.headers,
      text: response.text,
    });
    return response;
  }

  async token(role: 'owner' | 'support' | 'platform' | 'admin', subject: string): Promise<string> {
    const response = await this.call(ADMIN_TOKEN, 'POST', '/v1/tokens', { body: { role, subject } });
    if (response.status !== 201) throw new Error(`token: ${response.status} ${response.text}`);
    const value: string = response.body.token.value;
    this.roles.set(value, role);
    return value;
  }

  async createApp(owner: string, name: string): Promise<void> {
    const response = await this.call(owner, 'POST', '/v1/apps', { body: { name } });
    if (response.status !== 201) throw new Error(`create app: ${response.status} ${response.text}`);
  }

  /** Provisions an add-on over HTTP; returns its id. */
  async provision(owner: string, app: string, provider: string, plan: string, version?: string): Promise<string> {
    const body = { addon_provider_id: provider, plan_id: plan, ...(version && { version }) };
    const response = await this.call(owner, 'POST', `/v1/apps/${app}/addons`, { body });
    if (response.status !== 201) throw new Error(`provision: ${response.status} ${response.text}`);
    return response.body.addon.id;
  }

  /** Provisions an add-on and has the platform report it running. */
  async runningAddon(owner: string, app: string, provider: string, plan: string, version?: string): Promise<string> {
    const id = await this.provision(owner, app, provider, plan, version);
    await this.completeProvisioning(id);
    return id;
  }

  /** What a fresh platform command carries: a new causation id each time, so event ids never collide. */
  platformContext(): CommandContext {
    return { actor: 'platform:e2e', correlationId: `e2e-${randomUUID()}`, causationId: randomUUID() };
  }

  completeProvisioning(addonId: string) {
    return this.fixture.app.get(CommandBus).execute(new CompleteProvisioningCommand(addonId, this.platformContext()));
  }

  platform(addonId: string, command: PlatformCommand) {
    return this.fixture.app.get(CommandBus).execute(new ExecuteAddonCommand(addonId, command, this.platformContext()));
  }

  head(): Promise<bigint | null> {
    return this.store.headPosition();
  }

  /** Every event appended after `head` (as returned by `head()`), in log order. */
  async since(head: bigint | null): Promise<StoredEvent[]> {
    if (head === null) return this.store.readAll();
    return (await this.store.readAll({ fromPosition: head })).filter((e) => e.position > head);
  }

  stream(name: string): Promise<StoredEvent[]> {
    return this.store.readStream(name);
  }
}

/** The `{ error: { code, message, details } }` shape, with the given code. */
export function expectError(response: Response, status: number, code: string): void {
  if (response.status !== status || response.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${response.status} ${response.text}`);
  }
  const { error } = response.body;
  if (Object.keys(response.body).length !== 1 || typeof error.message !== 'string' || typeof error.details !== 'object' || error.details === null) {
    throw new Error(`not the error shape: ${response.text}`);
  }
}

/** The failing fields listed in a 400 VALIDATION.FAILED, sorted. */
export function failingFields(response: Response): string[] {
  expectError(response, 400, 'VALIDATION.FAILED');
  return (response.body.error.details.fields as Array<{ field: string }>).map((f) => f.field).sort();
}
