import { EventScopes } from '../../src/public-events/event-scopes';
import { expectPublishedEventsValid } from '../support/published-events';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Response } from 'supertest';
import type { StoredEvent } from '../../src/event-store/event-store.port';
import { derivedUuid } from '../../src/shared/cqrs/event-ids';
import { Simulation } from './simulation';

/** Helpers shared by the flow suites: the calls every flow starts with, and what every flow must leave behind. */

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const REPLICA_DIRS = ['dc-primary', 'dc-secondary', 'provider-snapshot'] as const;

export const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
export const msBetween = (from: string, to: string) => Date.parse(to) - Date.parse(from);

/** The request id the app gave a call: every event the call causes, directly or through the sagas, carries it. */
export const requestIdOf = (res: Response): string => {
  const id = res.headers['x-request-id'];
  if (typeof id !== 'string' || id === '') throw new Error('No X-Request-Id on the answer');
  return id;
};

/** Expects a status, showing the body when it is another one. */
export function expectStatus(res: Response, status: number): Response {
  if (res.status !== status) {
    throw new Error(`Expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res;
}

export async function createApp(sim: Simulation, owner: string, name: string): Promise<void> {
  expectStatus(await sim.call(`owner:${owner}`, 'POST', '/v1/apps', { name }), 201);
}

export interface Provisioned {
  id: string;
  app: string;
  owner: string;
  /** The X-Request-Id of the provisioning call. */
  requestId: string;
  res: Response;
}

/** POST …/addons, checked to answer 201 in `provisioning`; time does not move. */
export async function provision(
  sim: Simulation,
  { owner = 'alice', app, provider, plan, version }: { owner?: string; app: string; provider: string; plan: string; version?: string },
): Promise<Provisioned> {
  const body = { addon_provider_id: provider, plan_id: plan, ...(version !== undefined && { version }) };
  const res = expectStatus(await sim.call(`owner:${owner}`, 'POST', `/v1/apps/${app}/addons`, body), 201);
  expect(res.body.addon.status).toBe('provisioning');
  return { id: res.body.addon.id, app, owner, requestId: requestIdOf(res), res };
}

/** An app with one add-on, provisioned and running (the driver's 30 s played), and the time it got running. */
export async function runningAddon(
  sim: Simulation,
  options: { owner?: string; app: string; provider: string; plan: string; version?: string; createApp?: boolean },
): Promise<Provisioned> {
  if (options.createApp !== false) await createApp(sim, options.owner ?? 'alice', options.app);
  const addon = await provision(sim, options);
  await sim.advance(30 * SECOND);
  const types = await sim.types(`addon-${addon.id}`);
  expect(types).toEqual(['AddonProvisioned', 'AddonRunning']);
  return addon;
}

export async function getAddon(sim: Simulation, addon: Provisioned, who = `owner:${addon.owner}`) {
  const res = expectStatus(await sim.call(who as `owner:${string}`, 'GET', `/v1/apps/${addon.app}/addons/${addon.id}`), 200);
  return res.body.addon;
}

export async function variables(sim: Simulation, app: string, owner = 'alice'): Promise<Record<string, string>> {
  const res = expectStatus(await sim.call(`owner:${owner}`, 'GET', `/v1/apps/${app}/variables`), 200);
  return Object.fromEntries((res.body.variables as Array<{ name: string; value: string }>).map((v) => [v.name, v.value]));
}

export async function backupsOf(sim: Simulation, addon: Provisioned) {
  const res = expectStatus(await sim.call(`owner:${addon.owner}`, 'GET', `/v1/apps/${addon.app}/addons/${addon.id}/backups`), 200);
  return res.body.backups as Array<{
    id: string;
    name: string;
    status: string;
    method: string;
    created_at: string;
    started_at: string | null;
    ended_at: string | null;
    size: number | null;
    retention: string[];
    expires_at: string | null;
    error?: string;
  }>;
}

/** The events of a stream appended after `revision` (exclusive; -1 for all). */
export async function eventsAfter(sim: Simulation, stream: string, revision: bigint | number = -1): Promise<StoredEvent[]> {
  return (await sim.events(stream)).filter((e) => e.revision > BigInt(revision));
}

export async function lastRevision(sim: Simulation, stream: string): Promise<bigint> {
  const events = await sim.events(stream);
  return events.length === 0 ? -1n : events[events.length - 1].revision;
}

export const typesOf = (events: readonly StoredEvent[]) => events.map((e) => e.type);
export const ofType = (events: readonly StoredEvent[], ...types: string[]) => events.filter((e) => types.includes(e.type));
export const atOf = (event: StoredEvent) => (event.data as { at: string }).at;
export const dataOf = <T = Record<string, unknown>>(event: StoredEvent) => event.data as unknown as T;

/** An event the platform appended in reaction to `cause`, through saga `saga`: actor, correlation and causation. */
export function expectCausedBy(event: StoredEvent, saga: string, cause: StoredEvent, reactionIndex = 0): void {
  expect({ type: event.type, actor: event.metadata.actor, correlationId: event.metadata.$correlationId }).toEqual({
    type: event.type,
    actor: `platform:${saga}`,
    correlationId: cause.metadata.$correlationId,
  });
  expect({ type: event.type, causationId: event.metadata.$causationId }).toEqual({
    type: event.type,
    causationId: derivedUuid(`${saga}:${cause.id}:${reactionIndex}`),
  });
}

/** An event appended by a call: its caller as actor, its request id as correlation id. */
export function expectFromRequest(event: StoredEvent, actor: string, requestId: string): void {
  expect({ type: event.type, actor: event.metadata.actor, correlationId: event.metadata.$correlationId }).toEqual({
    type: event.type,
    actor,
    correlationId: requestId,
  });
}

/** Every event's `occurredAt` is its `data.at` (the simulated time it was decided at). */
export function expectOccurredAtIsAt(events: readonly StoredEvent[]): void {
  for (const e of events) {
    const at = (e.data as { at?: string }).at;
    if (at !== undefined) expect({ type: e.type, occurredAt: e.metadata.occurredAt }).toEqual({ type: e.type, occurredAt: at });
  }
}

// ----- backups on disk -----

export function backupFiles(sim: Simulation, addonId: string, backupId: string): string[] {
  return REPLICA_DIRS.flatMap((replica) => [
    join(sim.dataDir, 'backups', replica, addonId, `${backupId}.dump.gz`),
    join(sim.dataDir, 'backups', replica, addonId, `${backupId}.manifest.json`),
  ]);
}

/** Which of a backup's six files (archive and manifest in three replicas) exist. */
export const existingBackupFiles = (sim: Simulation, addonId: string, backupId: string) =>
  backupFiles(sim, addonId, backupId).filter((f) => existsSync(f));

/** The archive in each replica has the size and checksum the backup recorded, and its manifest says so too. */
export function expectArchiveMatches(sim: Simulation, addonId: string, backupId: string, sizeBytes: number, checksum: string): void {
  for (const replica of REPLICA_DIRS) {
    const dir = join(sim.dataDir, 'backups', replica, addonId);
    const bytes = readFileSync(join(dir, `${backupId}.dump.gz`));
    expect({ replica, size: bytes.length, checksum: `sha256:${createHash('sha256').update(bytes).digest('hex')}` }).toEqual({
      replica,
      size: sizeBytes,
      checksum,
    });
    const manifest = JSON.parse(readFileSync(join(dir, `${backupId}.manifest.json`), 'utf8'));
    expect({ size: manifest.size, checksum: manifest.checksum, backup_id: manifest.backup_id }).toEqual({
      size: sizeBytes,
      checksum,
      backup_id: backupId,
    });
  }
}

// ----- what every flow must leave behind -----

/**
 * No event twice: every event id is unique in the log, and per add-on no backup is
 * requested, started, taken, failed or expired twice. Every event's `occurredAt` is its
 * `data.at` (simulated time, never the wall clock). No job parked as dead. Every app and
 * add-on event, as the feed and webhooks publish it, validates against its published schema.
 */
export async function expectCleanLogAndJobs(sim: Simulation): Promise<void> {
  const all = await sim.store.readAll();
  expect(await expectPublishedEventsValid(sim.store, sim.app.get(EventScopes))).toBeGreaterThan(0);
  const offClock = all.filter((e) => {
    const at = (e.data as { at?: unknown }).at;
    return typeof at === 'string' && e.metadata.occurredAt !== at;
  });
  expect(offClock.map((e) => `${e.stream} ${e.type} occurredAt ${String(e.metadata.occurredAt)} at ${(e.data as { at: string }).at}`)).toEqual([]);
  const seen = new Set<string>();
  const repeatedIds = all.filter((e) => seen.size === seen.add(e.id).size).map((e) => `${e.stream} ${e.type} ${e.id}`);
  expect(repeatedIds).toEqual([]);

  const perBackup = new Map<string, number>();
  for (const e of all) {
    if (!e.stream.startsWith('addon-')) continue;
    if (!['BackupRequested', 'BackupStarted', 'BackupTaken', 'BackupFailed', 'BackupExpired'].includes(e.type)) continue;
    const key = `${e.stream} ${e.type} ${(e.data as { backupId: string }).backupId}`;
    perBackup.set(key, (perBackup.get(key) ?? 0) + 1);
  }
  expect([...perBackup].filter(([, n]) => n > 1)).toEqual([]);

  expect(await sim.runtime.dead()).toEqual([]);
  expect((await sim.runtime.counts()).dead).toBe(0);
}
