/**
 * The command mix of the chaos harness: what the clients know of the platform (a model
 * fed by the answers they get), and the next request to send, drawn from a seeded
 * generator. The model is only a client's view: it lags behind the platform, so many
 * requests are refused by the domain (an operation in progress, a backup not done yet),
 * as a real client's would be.
 */
import { randomBytes } from 'node:crypto';
import { DATABASE_TYPES, DatabaseType, PLAN_SIZES_MB, PROVIDERS, ServiceClass } from '../../src/catalogue/domain/catalogue';
import { SeededRandom } from '../../src/platform/driver/deterministic';

// ----- randomness -----

/** The platform's seeded PRNG (mulberry32), with a coin: the same sequence for the same seed. */
export class Rng extends SeededRandom {
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ----- what is sent -----

export type Caller = { role: 'owner'; owner: number } | { role: 'platform' | 'support' | 'admin' };

/** What a 2xx answer to a write must have left in the store. */
export interface Expectation {
  /** The stream of the event at the answer's `X-Event-Position` (null: the answer does not say, e.g. no id in it). */
  stream(answer: any): string | null;
  /** The types the event at that position may have (the last event the command appended). */
  types: readonly string[];
  /** For a 201/202 naming a new resource: the event that records it. */
  resource?(answer: any): { stream: string; type: string; where?: (data: any) => boolean } | null;
  /** When a 2xx without `X-Event-Position` is right (a no-op): the answer shows the state already holds what was asked. */
  noop?(answer: any): boolean;
}

export interface Planned {
  op: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  caller: Caller;
  /** Writes only: how to check the store after the run. */
  expect?: Expectation;
  /** Sent with an `Idempotency-Key`. */
  keyed: boolean;
  /** Updates the model from the answer (2xx and 4xx). */
  learn?(status: number, body: any): void;
}

// ----- the model -----

interface NodeView {
  name: string;
  role: string;
  status: string;
}

export interface ModelAddon {
  id: string;
  app: string;
  type: DatabaseType;
  planId: string;
  status: string;
  nodes: NodeView[];
  version: string;
  nextVersion: string | null;
  features: Map<string, boolean>;
  /** Backup id → status, as last seen. */
  backups: Map<string, string>;
  removed: boolean;
}

export interface ModelApp {
  name: string;
  owner: number;
  /** Type → add-on id, as far as the client knows. */
  addons: Map<DatabaseType, string>;
}

export interface ModelWebhook {
  path: string;
  secret: string;
  caller: Caller;
  app: string | null;
  id?: string;
  deleted: boolean;
}

const APPS_AT_START = 6;
const MAX_APPS = 9;
const MAX_WEBHOOKS = 9;
/** Public event types an app-scoped webhook may ask for instead of "*". */
const SOME_TYPES = ['AddonRunning', 'BackupTaken', 'BackupFailed', 'PlanChanged', 'FailoverCompleted', 'AddonDeprovisioned', 'AppVariablesSet'];
/** `scheduled_at` values and how the answer shows them. */
const SCHEDULES: ReadonlyArray<{ input: number | string; shown: string }> = [
  { input: 0, shown: '0:00 UTC' },
  { input: 14, shown: '14:00 UTC' },
  { input: '16:00 UTC', shown: '16:00 UTC' },
  { input: '20 Europe/Paris', shown: '20 Europe/Paris' },
  { input: '3', shown: '3:00 UTC' },
  { input: '23 America/New_York', shown: '23 America/New_York' },
];
const TRANSITIONAL = new Set(['provisioning', 'changing-plan', 'upgrading', 'restoring', 'failing-over', 'maintenance']);

export const appName = (index: number) => `chaos-app-${index}`;
const ownerOfApp = (index: number, owners: number) => index % owners;

/**
 * The clients' model and the mix. `next()` draws the next request: writes of every kind
 * (about 85%) and reads; about 40% of the writes carry an `Idempotency-Key`.
 */
export class Mix {
  readonly apps = new Map<string, ModelApp>();
  readonly addons = new Map<string, ModelAddon>();
  readonly webhooks: ModelWebhook[] = [];
  private appsAsked = 0;
  private webhookDeleted = false;

  constructor(
    private readonly rng: Rng,
    private readonly owners: number,
    /** The receiver's URL for a path. */
    private readonly hookUrl: (path: string) => string,
  ) {}

  /** The first requests: a few apps and a webhook per owner and one for the admin, so that most events have subscribers. */
  bootstrap(): Planned[] {
    const planned: Planned[] = [];
    for (let i = 0; i < APPS_AT_START; i++) planned.push(this.createApp(this.appsAsked++));
    for (let owner = 0; owner < this.owners; owner++) planned.push(this.createWebhook({ role: 'owner', owner }, null, ['*']));
    planned.push(this.createWebhook({ role: 'admin' }, null, ['*']));
    return planned;
  }

  /** The next request; `progress` is the share of the run done (0 to 1). */
  next(progress: number): Planned {
    if (!this.webhookDeleted && progress >= 0.5) {
      const deletion = this.deleteWebhook();
      if (deletion) return deletion;
    }
    for (let attempt = 0; attempt < 8; attempt++) {
      const planned = this.draw();
      if (planned) return planned;
    }
    return this.read('providers', { role: 'support' }, '/v1/addon-providers');
  }

  private draw(): Planned | null {
    const r = this.rng.next() * TOTAL_WEIGHT;
    let acc = 0;
    for (const [op, weight] of WEIGHTS) {
      acc += weight;
      if (r < acc) return this.build(op);
    }
    return null;
  }

  private build(op: Op): Planned | null {
    switch (op) {
      case 'create-app':
        // A new app while there is room, else a name taken already (409).
        return this.createApp(this.appsAsked < MAX_APPS ? this.appsAsked++ : this.rng.int(0, this.appsAsked - 1));
      case 'provision':
        return this.provision();
      case 'change-plan':
        return this.onAddon((a) => a.status === 'running', (a) => this.changePlan(a));
      case 'enable-feature':
        return this.onAddon((a) => a.status === 'running', (a) => this.feature(a, true));
      case 'disable-feature':
        return this.onAddon((a) => a.status === 'running', (a) => this.feature(a, false));
      case 'maintenance-window':
        return this.onAddon(() => true, (a) => this.maintenanceWindow(a));
      case 'backup-schedule':
        return this.onAddon((a) => !a.planId.endsWith('-sandbox'), (a) => this.backupSchedule(a));
      case 'backup':
        return this.onAddon((a) => a.status === 'running' && !a.planId.endsWith('-sandbox'), (a) => this.backup(a));
      case 'download-link':
        return this.onAddon((a) => [...a.backups.values()].includes('done'), (a) => this.downloadLink(a));
      case 'restore':
        return this.onAddon((a) => a.status === 'running' && [...a.backups.values()].includes('done'), (a) => this.restore(a));
      case 'upgrade':
        return this.onAddon((a) => a.status === 'running' && a.nextVersion !== null, (a) => this.upgrade(a));
      case 'failover':
        return this.onAddon((a) => a.planId.includes('-business-') && a.status === 'running', (a) => this.failover(a));
      case 'node-failure':
        return this.onAddon((a) => a.status === 'running' && a.nodes.length > 0, (a) => this.nodeReport(a, 'failure'));
      case 'node-recovery':
        return this.onAddon((a) => a.nodes.some((n) => n.status === 'down'), (a) => this.nodeReport(a, 'recovery'));
      case 'maintenance':
        return this.onAddon((a) => a.status === 'running', (a) => this.maintenance(a));
      case 'deprovision':
        return this.onAddon((a) => !TRANSITIONAL.has(a.status), (a) => this.deprovision(a));
      case 'create-webhook':
        return this.webhooks.length < MAX_WEBHOOKS ? this.ownerWebhook() : null;
      case 'read':
        return this.drawRead();
    }
  }

  // ----- targets -----

  /** An add-on the predicate likes (most of the time), or any add-on, removed ones now and then. */
  private onAddon(prefer: (a: ModelAddon) => boolean, make: (a: ModelAddon) => Planned | null): Planned | null {
    const all = [...this.addons.values()];
    const live = all.filter((a) => !a.removed);
    const liked = live.filter(prefer);
    // The client's view is stale (add-ons it saw provisioning are running by now): it looks before it acts, mostly.
    if (liked.length === 0 && live.length > 0 && this.rng.chance(0.4)) return this.addonsRead(this.rng.pick(live).app);
    const pool = liked.length > 0 && this.rng.chance(0.85) ? liked : this.rng.chance(0.95) && live.length > 0 ? live : all;
    if (pool.length === 0) return null;
    return make(this.rng.pick(pool));
  }

  private ownerOf(app: string): Caller {
    return { role: 'owner', owner: this.apps.get(app)?.owner ?? 0 };
  }

  private keyed(): boolean {
    return this.rng.chance(0.4);
  }

  // ----- model updates -----

  private learnAddon(view: any): void {
    if (!view?.id || !view.addon_provider?.id) return;
    const known = this.addons.get(view.id);
    const addon: ModelAddon = known ?? {
      id: view.id,
      app: view.app,
      type: view.addon_provider.id,
      planId: view.plan.id,
      status: view.status,
      nodes: [],
      version: view.version,
      nextVersion: null,
      features: new Map(),
      backups: new Map(),
      removed: false,
    };
    addon.planId = view.plan.id;
    addon.status = view.status;
    addon.nodes = Array.isArray(view.nodes) ? view.nodes : addon.nodes;
    addon.version = view.version;
    addon.nextVersion = view.next_version ?? null;
    for (const f of view.features ?? []) addon.features.set(f.name, f.enabled);
    addon.removed = view.status === 'deprovisioned';
    this.addons.set(addon.id, addon);
    const app = this.apps.get(addon.app);
    if (app && !addon.removed) app.addons.set(addon.type, addon.id);
    if (app && addon.removed && app.addons.get(addon.type) === addon.id) app.addons.delete(addon.type);
  }

  private learnFrom(addon: ModelAddon) {
    return (status: number, body: any) => {
      if (status < 300 && body?.addon) this.learnAddon(body.addon);
      if (status === 404) {
        addon.removed = true;
        const app = this.apps.get(addon.app);
        if (app?.addons.get(addon.type) === addon.id) app.addons.delete(addon.type);
      }
    };
  }

  // ----- writes -----

  private createApp(index: number): Planned {
    const name = appName(index);
    const owner = ownerOfApp(index, this.owners);
    return {
      op: 'create-app',
      method: 'POST',
      path: '/v1/apps',
      body: { name },
      caller: { role: 'owner', owner },
      keyed: this.keyed(),
      expect: { stream: () => `app-${name}`, types: ['AppCreated'], resource: () => ({ stream: `app-${name}`, type: 'AppCreated' }) },
      learn: (status, body) => {
        if (status === 201 || body?.error?.code === 'APP.ALREADY_EXISTS') {
          if (!this.apps.has(name)) this.apps.set(name, { name, owner, addons: new Map() });
        }
      },
    };
  }

  private provision(): Planned | null {
    const apps = [...this.apps.values()];
    if (apps.length === 0) return null;
    const withRoom = apps.filter((a) => a.addons.size < DATABASE_TYPES.length);
    // Every app has every type: now and then one more try (409 ADDON.ALREADY_ATTACHED), else something else.
    if (withRoom.length === 0 && this.rng.chance(0.8)) return null;
    const app = this.rng.pick(withRoom.length > 0 ? withRoom : apps);
    const free = DATABASE_TYPES.filter((t) => !app.addons.has(t));
    // Now and then a type the app has already (409 ADDON.ALREADY_ATTACHED).
    const type = free.length > 0 && this.rng.chance(0.9) ? this.rng.pick(free) : this.rng.pick(DATABASE_TYPES);
    const cls: ServiceClass = this.rng.pick(['sandbox', 'starter', 'starter', 'business', 'business']);
    const planId = cls === 'sandbox' ? `${type}-sandbox` : `${type}-${cls}-${this.rng.pick(PLAN_SIZES_MB.slice(0, 4))}`;
    const versions = PROVIDERS[type].versions;
    // Half on an older version, so that upgrades have somewhere to go.
    const version = versions.length > 1 && this.rng.chance(0.5) ? versions[this.rng.int(0, versions.length - 2)] : undefined;
    return {
      op: 'provision',
      method: 'POST',
      path: `/v1/apps/${app.name}/addons`,
      body: { addon_provider_id: type, plan_id: planId, ...(version && { version }) },
      caller: { role: 'owner', owner: app.owner },
      keyed: this.keyed(),
      expect: {
        stream: (answer) => (answer?.addon?.id ? `addon-${answer.addon.id}` : null),
        types: ['AddonProvisioned'],
        resource: (answer) => (answer?.addon?.id ? { stream: `addon-${answer.addon.id}`, type: 'AddonProvisioned' } : null),
      },
      learn: (status, body) => {
        if (status === 201) this.learnAddon(body?.addon);
        const attached = body?.error?.code === 'ADDON.ALREADY_ATTACHED' ? body.error.details?.addonId : undefined;
        // An add-on of that type the client did not know of (made by a request cut by a kill): learnt by the next reads.
        if (typeof attached === 'string') {
          app.addons.set(type, attached);
          if (!this.addons.has(attached)) {
            this.addons.set(attached, {
              id: attached,
              app: app.name,
              type,
              planId,
              status: 'unknown',
              nodes: [],
              version: '',
              nextVersion: null,
              features: new Map(),
              backups: new Map(),
              removed: false,
            });
          }
        }
      },
    };
  }

  private addonWrite(
    op: string,
    addon: ModelAddon,
    method: Planned['method'],
    suffix: string,
    body: unknown,
    types: readonly string[],
    extra: Partial<Expectation> = {},
  ): Planned {
    return {
      op,
      method,
      path: `/v1/apps/${addon.app}/addons/${addon.id}${suffix}`,
      ...(body !== undefined && { body }),
      caller: this.ownerOf(addon.app),
      keyed: method !== 'GET' && this.keyed(),
      expect: { stream: () => `addon-${addon.id}`, types, ...extra },
      learn: this.learnFrom(addon),
    };
  }

  private changePlan(addon: ModelAddon): Planned {
    const cls: ServiceClass = this.rng.pick(['sandbox', 'starter', 'business', 'business']);
    const planId = cls === 'sandbox' ? `${addon.type}-sandbox` : `${addon.type}-${cls}-${this.rng.pick(PLAN_SIZES_MB.slice(0, 4))}`;
    return this.addonWrite('change-plan', addon, 'PATCH', '', { plan_id: planId }, ['PlanChanged']);
  }

  private feature(addon: ModelAddon, enable: boolean): Planned {
    const features = PROVIDERS[addon.type].features;
    // Now and then a feature this type does not have (422).
    const feature = this.rng.chance(0.9) ? this.rng.pick(features) : 'redis-aof';
    const noop = (answer: any) => answer?.addon?.features?.find((f: any) => f.name === feature)?.enabled === enable;
    return this.addonWrite(
      enable ? 'enable-feature' : 'disable-feature',
      addon,
      enable ? 'PUT' : 'DELETE',
      `/features/${feature}`,
      undefined,
      [enable ? 'FeatureEnabled' : 'FeatureDisabled'],
      { noop },
    );
  }

  private maintenanceWindow(addon: ModelAddon): Planned {
    const weekday = this.rng.int(0, 6);
    // Mostly clear of the default 00:00 UTC backup; 20:00 covers it (422 on paid plans).
    const hour = this.rng.chance(0.85) ? this.rng.int(1, 12) : 20;
    const noop = (answer: any) =>
      answer?.addon?.maintenance_window?.weekday_utc === weekday && answer?.addon?.maintenance_window?.starting_hour_utc === hour;
    return this.addonWrite(
      'maintenance-window',
      addon,
      'PUT',
      '/maintenance-window',
      { weekday_utc: weekday, starting_hour_utc: hour },
      ['MaintenanceWindowSet'],
      { noop },
    );
  }

  private backupSchedule(addon: ModelAddon): Planned {
    const enabled = this.rng.chance(0.8);
    const { input, shown } = this.rng.pick(SCHEDULES);
    const noop = (answer: any) => answer?.backup_schedule?.enabled === enabled && answer?.backup_schedule?.scheduled_at === shown;
    return this.addonWrite('backup-schedule', addon, 'PUT', '/backup-schedule', { enabled, scheduled_at: input }, ['BackupScheduleSet'], {
      noop,
    });
  }

  private backup(addon: ModelAddon): Planned {
    const planned = this.addonWrite('backup', addon, 'POST', '/backups', undefined, ['BackupRequested'], {
      resource: (answer) =>
        answer?.backup?.id
          ? { stream: `addon-${addon.id}`, type: 'BackupRequested', where: (data) => data.backupId === answer.backup.id }
          : null,
    });
    planned.learn = (status, body) => {
      if (status === 202 && body?.backup?.id) addon.backups.set(body.backup.id, body.backup.status ?? 'scheduled');
      if (status === 404) addon.removed = true;
    };
    return planned;
  }

  private downloadLink(addon: ModelAddon): Planned | null {
    const done = [...addon.backups].filter(([, s]) => s === 'done').map(([id]) => id);
    if (addon.backups.size === 0) return null;
    const backupId = done.length > 0 ? this.rng.pick(done) : this.rng.pick([...addon.backups.keys()]);
    const planned = this.addonWrite('download-link', addon, 'GET', `/backups/${backupId}/archive`, undefined, ['BackupDownloadRequested']);
    planned.learn = undefined;
    return planned;
  }

  private restore(addon: ModelAddon): Planned {
    const done = [...addon.backups].filter(([, s]) => s === 'done').map(([id]) => id);
    const pointInTime = addon.type === 'postgresql' && this.rng.chance(0.4);
    const body = pointInTime || done.length === 0 ? { restore_time: new Date(Date.now() - 1_000).toISOString() } : { backup_id: this.rng.pick(done) };
    return this.addonWrite('restore', addon, 'POST', '/restore', body, ['RestoreStarted'], {
      resource: (answer) =>
        answer?.restore?.id
          ? { stream: `addon-${addon.id}`, type: 'RestoreStarted', where: (data) => data.restoreId === answer.restore.id }
          : null,
    });
  }

  private upgrade(addon: ModelAddon): Planned {
    // Mostly to next_version; now and then to the newest, which skips a major (422) or is the same.
    const body = this.rng.chance(0.8) ? {} : { version: PROVIDERS[addon.type].versions.at(-1) };
    return this.addonWrite('upgrade', addon, 'POST', '/upgrade', body, ['VersionUpgradeStarted']);
  }

  private failover(addon: ModelAddon): Planned {
    const planned = this.addonWrite('failover', addon, 'POST', '/failover', undefined, ['FailoverTriggered']);
    planned.caller = { role: 'platform' };
    return planned;
  }

  private nodeReport(addon: ModelAddon, kind: 'failure' | 'recovery'): Planned | null {
    const down = addon.nodes.filter((n) => n.status === 'down');
    const node =
      kind === 'recovery' && down.length > 0
        ? this.rng.pick(down)
        : this.rng.chance(0.6)
          ? addon.nodes.find((n) => n.role === 'leader')
          : this.rng.pick(addon.nodes);
    if (!node) return null;
    const wanted = kind === 'failure' ? 'down' : 'up';
    return {
      op: `node-${kind}`,
      method: 'POST',
      path: `/v1/platform/node-${kind === 'failure' ? 'failures' : 'recoveries'}`,
      body: { addon_id: addon.id, node: node.name },
      caller: { role: 'platform' },
      keyed: this.keyed(),
      expect: {
        stream: () => `addon-${addon.id}`,
        types:
          kind === 'failure'
            ? ['NodeFailureDetected', 'FailoverFailed', 'AddonUnavailable']
            : ['NodeRecovered', 'AddonRecovered'],
        noop: (answer) => answer?.addon?.nodes?.find((n: any) => n.name === node.name)?.status === wanted,
      },
      learn: this.learnFrom(addon),
    };
  }

  private maintenance(addon: ModelAddon): Planned {
    return {
      op: 'maintenance',
      method: 'POST',
      path: '/v1/platform/maintenances',
      body: { addon_id: addon.id, reason: 'chaos: security patch' },
      caller: { role: 'platform' },
      keyed: this.keyed(),
      expect: {
        stream: () => `addon-${addon.id}`,
        types: ['MaintenanceAnnounced'],
        resource: (answer) =>
          answer?.addon?.maintenance?.id
            ? { stream: `addon-${addon.id}`, type: 'MaintenanceAnnounced', where: (data) => data.maintenanceId === answer.addon.maintenance.id }
            : null,
      },
      learn: this.learnFrom(addon),
    };
  }

  private deprovision(addon: ModelAddon): Planned {
    return this.addonWrite('deprovision', addon, 'DELETE', '', undefined, ['AddonDeprovisioned'], {
      noop: (answer) => answer?.addon?.status === 'deprovisioned',
    });
  }

  private createWebhook(caller: Caller, app: string | null, eventTypes: string[]): Planned {
    const path = `/hooks/${this.webhooks.length}`;
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const hook: ModelWebhook = { path, secret, caller, app, deleted: false };
    this.webhooks.push(hook);
    return {
      op: 'create-webhook',
      method: 'POST',
      path: '/v1/webhooks',
      body: { url: this.hookUrl(path), event_types: eventTypes, secret, ...(app && { app }) },
      caller,
      keyed: this.keyed(),
      expect: {
        stream: (answer) => (answer?.webhook?.id ? `webhook-${answer.webhook.id}` : null),
        types: ['WebhookCreated'],
        resource: (answer) => (answer?.webhook?.id ? { stream: `webhook-${answer.webhook.id}`, type: 'WebhookCreated' } : null),
      },
      learn: (status, body) => {
        if (status === 201 && body?.webhook?.id) hook.id = body.webhook.id;
      },
    };
  }

  /** An owner's webhook on one of their apps, for every type or a few. */
  private ownerWebhook(): Planned | null {
    const apps = [...this.apps.values()];
    if (apps.length === 0) return null;
    const app = this.rng.pick(apps);
    const types = this.rng.chance(0.5) ? ['*'] : SOME_TYPES.filter(() => this.rng.chance(0.5)).concat('BackupTaken');
    return this.createWebhook({ role: 'owner', owner: app.owner }, app.name, [...new Set(types)]);
  }

  /** Once, half-way: an owner's webhook goes (the first app-scoped one the client knows the id of, else any owner's). */
  private deleteWebhook(): Planned | null {
    const candidates = this.webhooks.filter((w) => w.id && !w.deleted && w.caller.role === 'owner');
    const hook = candidates.find((w) => w.app !== null) ?? candidates[0];
    if (!hook) return null;
    this.webhookDeleted = true;
    hook.deleted = true;
    return {
      op: 'delete-webhook',
      method: 'DELETE',
      path: `/v1/webhooks/${hook.id}`,
      caller: hook.caller,
      keyed: this.keyed(),
      expect: { stream: () => `webhook-${hook.id}`, types: ['WebhookDeleted'], noop: (answer) => answer?.webhook?.status === 'deleted' },
    };
  }

  // ----- reads -----

  private read(op: string, caller: Caller, path: string, learn?: Planned['learn']): Planned {
    return { op: `read:${op}`, method: 'GET', path, caller, keyed: false, ...(learn && { learn }) };
  }

  private addonsRead(appName: string): Planned {
    return this.read('addons', this.ownerOf(appName), `/v1/apps/${appName}/addons`, (status, body) => {
      if (status === 200) for (const view of body?.addons ?? []) this.learnAddon(view);
    });
  }

  private drawRead(): Planned | null {
    const apps = [...this.apps.values()];
    const addons = [...this.addons.values()];
    if (apps.length === 0) return this.read('providers', { role: 'support' }, '/v1/addon-providers');
    const app = this.rng.pick(apps);
    const owner: Caller = { role: 'owner', owner: app.owner };
    const addon = addons.length > 0 ? this.rng.pick(addons) : undefined;
    const roll = this.rng.int(0, 99);
    if (roll < 30 || !addon) return this.addonsRead(app.name);
    const addonOwner = this.ownerOf(addon.app);
    if (roll < 55) {
      return this.read('backups', addonOwner, `/v1/apps/${addon.app}/addons/${addon.id}/backups`, (status, body) => {
        if (status === 200) for (const b of body?.backups ?? []) addon.backups.set(b.id, b.status);
      });
    }
    if (roll < 70) {
      return this.read('addon', { role: 'platform' }, `/v1/apps/${addon.app}/addons/${addon.id}`, (status, body) => {
        if (status === 200) this.learnAddon(body?.addon);
      });
    }
    if (roll < 76) return this.read('app-events', owner, `/v1/apps/${app.name}/events?limit=20`);
    if (roll < 82) return this.read('audit', { role: 'support' }, `/v1/audit?limit=50&app=${app.name}`);
    if (roll < 86) return this.read('history', addonOwner, `/v1/addons/${addon.id}/history`);
    if (roll < 90) return this.read('availability', addonOwner, `/v1/addons/${addon.id}/availability`);
    if (roll < 95) return this.read('variables', owner, `/v1/apps/${app.name}/variables`);
    if (roll < 98) return this.read('webhooks', owner, '/v1/webhooks');
    return this.read('apps', owner, '/v1/apps');
  }
}

type Op =
  | 'create-app'
  | 'provision'
  | 'change-plan'
  | 'enable-feature'
  | 'disable-feature'
  | 'maintenance-window'
  | 'backup-schedule'
  | 'backup'
  | 'download-link'
  | 'restore'
  | 'upgrade'
  | 'failover'
  | 'node-failure'
  | 'node-recovery'
  | 'maintenance'
  | 'deprovision'
  | 'create-webhook'
  | 'read';

const WEIGHTS: ReadonlyArray<[Op, number]> = [
  ['create-app', 1],
  ['provision', 8],
  ['change-plan', 5],
  ['enable-feature', 5],
  ['disable-feature', 4],
  ['maintenance-window', 3],
  ['backup-schedule', 3],
  ['backup', 10],
  ['download-link', 4],
  ['restore', 3],
  ['upgrade', 3],
  ['failover', 4],
  ['node-failure', 3],
  ['node-recovery', 4],
  ['maintenance', 2],
  ['deprovision', 1.5],
  ['create-webhook', 0.3],
  ['read', 15],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
