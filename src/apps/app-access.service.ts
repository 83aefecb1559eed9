import { Injectable } from '@nestjs/common';
import { ADDON } from '../addons/addon.aggregate';
import { Addon } from '../addons/domain/addon.state';
import { Principal } from '../security/principal';
import { CommandExecutor } from '../shared/cqrs/command-executor';
import { DomainError } from '../shared/domain/domain-error';
import { APP } from './app.aggregate';
import { APP_NAME, AppState } from './domain/app.decider';

export type ActiveApp = Extract<AppState, { status: 'active' }>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Who may reach what: an owner reaches only their own apps and add-ons; support,
 * platform and admin reach every app (what they may do there is the routes' @Roles).
 * Anything out of reach answers 404, exactly like something that does not exist.
 */
@Injectable()
export class AppAccess {
  constructor(private readonly executor: CommandExecutor) {}

  async app(principal: Principal, appName: string): Promise<ActiveApp> {
    const notFound = new DomainError('APP.NOT_FOUND', 'No such app.');
    if (!APP_NAME.test(appName)) throw notFound;
    const { state } = await this.executor.load(APP, appName);
    if (state.status === 'none' || !this.reaches(principal, state)) throw notFound;
    return state;
  }

  /** An add-on of the app; a removed one only when `removed` is allowed (its backups outlive it). */
  async addon(
    principal: Principal,
    appName: string,
    addonId: string,
    { removed = false } = {},
  ): Promise<{ app: ActiveApp; addon: Addon }> {
    const app = await this.app(principal, appName);
    const notFound = new DomainError('ADDON.NOT_FOUND', 'No such add-on in this app.');
    if (!UUID.test(addonId)) throw notFound;
    const { state } = await this.executor.load(ADDON, addonId);
    if (state.status === 'none' || state.appName !== app.name) throw notFound;
    if (state.status === 'deprovisioned' && !removed) throw notFound;
    return { app, addon: state };
  }

  /** An add-on anywhere, for the platform's monitoring reports (which name no app). */
  async anyAddon(addonId: string, { removed = false } = {}): Promise<Addon> {
    const notFound = new DomainError('ADDON.NOT_FOUND', 'No such add-on.');
    if (!UUID.test(addonId)) throw notFound;
    const { state } = await this.executor.load(ADDON, addonId);
    if (state.status === 'none' || (state.status === 'deprovisioned' && !removed)) throw notFound;
    return state;
  }

  /** An add-on by id alone (routes that name no app), if the principal reaches its app; a removed one too when allowed. */
  async reachableAddon(principal: Principal, addonId: string, { removed = false } = {}): Promise<Addon> {
    const addon = await this.anyAddon(addonId, { removed });
    try {
      await this.app(principal, addon.appName);
    } catch (error) {
      // Another owner's add-on answers exactly as a missing one.
      if (error instanceof DomainError && error.code === 'APP.NOT_FOUND') throw new DomainError('ADDON.NOT_FOUND', 'No such add-on.');
      throw error;
    }
    return addon;
  }

  reaches(principal: Principal, app: ActiveApp): boolean {
    return principal.role !== 'owner' || app.owner === principal.subject;
  }
}
