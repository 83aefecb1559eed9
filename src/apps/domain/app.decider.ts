import { assertNever, Decider } from '../../shared/domain/decider';
import { DomainError } from '../../shared/domain/domain-error';
import { AppCommand } from './app.commands';
import { AppEvent, AppVariable, VariableValue } from './app.events';

export const APP_NAME = /^[a-z][a-z0-9-]{1,46}[a-z0-9]$/;
export const VARIABLE_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;

export type AppState =
  | { status: 'none' }
  | {
      status: 'active';
      name: string;
      owner: string;
      createdAt: string;
      variables: Readonly<Record<string, VariableValue>>;
      /** Attached add-ons: id → provider. */
      addons: Readonly<Record<string, string>>;
    };

type ActiveApp = Extract<AppState, { status: 'active' }>;

export const appDecider: Decider<AppState, AppCommand, AppEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    if (event.type === 'AppCreated') {
      const { name, owner, at } = event.data;
      return { status: 'active', name, owner, createdAt: at, variables: {}, addons: {} };
    }
    if (state.status === 'none') return state;
    switch (event.type) {
      case 'AddonAttached':
        return { ...state, addons: { ...state.addons, [event.data.addonId]: event.data.providerId } };
      case 'AddonDetached': {
        const { [event.data.addonId]: _gone, ...addons } = state.addons;
        return { ...state, addons };
      }
      case 'AppVariablesSet': {
        const variables = { ...state.variables };
        for (const { name, ...value } of event.data.variables) variables[name] = value as VariableValue;
        return { ...state, variables };
      }
      case 'AppVariablesUnset': {
        const variables = { ...state.variables };
        for (const name of event.data.names) delete variables[name];
        return { ...state, variables };
      }
      case 'AppRestartRequested':
        return state;
      default:
        return assertNever(event, 'app event');
    }
  },

  decide(command, state) {
    if (command.type === 'CreateApp') {
      const { name, owner, at } = command.data;
      if (state.status !== 'none') {
        throw new DomainError('APP.ALREADY_EXISTS', `An app named ${name} already exists. Pick another name.`, { app: name });
      }
      if (!APP_NAME.test(name)) {
        throw new DomainError(
          'APP.INVALID_NAME',
          'An app name is 3 to 48 lowercase letters, digits and dashes, starting with a letter and not ending with a dash.',
        );
      }
      return [{ type: 'AppCreated', data: { name, owner, at } }];
    }
    const app = existing(state);
    switch (command.type) {
      case 'AttachAddon': {
        const { addonId, providerId, at } = command.data;
        if (app.addons[addonId]) return [];
        const same = Object.entries(app.addons).find(([, provider]) => provider === providerId);
        if (same) {
          throw new DomainError(
            'ADDON.ALREADY_ATTACHED',
            `App ${app.name} already has a ${providerId} add-on (${same[0]}): change its plan, or remove it first.`,
            { app: app.name, addonId: same[0] },
          );
        }
        return [{ type: 'AddonAttached', data: { addonId, providerId, at } }];
      }
      case 'DetachAddon': {
        // Removal takes the add-on's variables with it, in the same append as the detachment.
        const { addonId, at } = command.data;
        if (!app.addons[addonId]) return [];
        const names = variablesOf(app, addonId);
        return [
          ...(names.length > 0 ? [{ type: 'AppVariablesUnset' as const, data: { names, at } }] : []),
          { type: 'AddonDetached', data: { addonId, at } },
        ];
      }
      case 'SetAppVariables': {
        const invalid = command.data.variables.filter((v) => !VARIABLE_NAME.test(v.name)).map((v) => v.name);
        if (invalid.length > 0) {
          throw new DomainError(
            'APP.INVALID_VARIABLE_NAME',
            'A variable name is uppercase letters, digits and underscores, not starting with a digit.',
            { names: invalid.map((n) => n.slice(0, 128)) },
          );
        }
        const changed = command.data.variables.filter((v) => !sameValue(app.variables[v.name], v));
        return changed.length > 0 ? [{ type: 'AppVariablesSet', data: { variables: changed, at: command.data.at } }] : [];
      }
      case 'UnsetAppVariables': {
        const names = command.data.names.filter((name) => name in app.variables);
        return names.length > 0 ? [{ type: 'AppVariablesUnset', data: { names, at: command.data.at } }] : [];
      }
      case 'RequestAppRestart':
        return [{ type: 'AppRestartRequested', data: command.data }];
      default:
        return assertNever(command, 'app command');
    }
  },
};

function existing(state: AppState): ActiveApp {
  if (state.status === 'none') throw new DomainError('APP.NOT_FOUND', 'No such app.');
  return state;
}

/** The variables holding an add-on's URL, and the aliases pointing at them. */
function variablesOf(app: ActiveApp, addonId: string): string[] {
  const entries = Object.entries(app.variables);
  const direct = entries.filter(([, v]) => 'addonUrl' in v && v.addonUrl === addonId).map(([name]) => name);
  const aliases = entries.filter(([, v]) => 'alias' in v && direct.includes(v.alias)).map(([name]) => name);
  return [...direct, ...aliases];
}

function sameValue(current: VariableValue | undefined, next: AppVariable): boolean {
  if (!current) return false;
  const { name: _name, ...value } = next;
  return JSON.stringify(current) === JSON.stringify(value);
}
