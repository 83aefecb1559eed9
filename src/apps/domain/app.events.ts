import { Message } from '../../shared/domain/decider';

/**
 * Where a variable's value comes from. Connection URLs are never stored: they are a
 * reference to the add-on, whose credentials are encrypted, resolved when the owner
 * reads the variables.
 */
export type VariableValue =
  | { value: string }
  | { addonUrl: string } // the add-on's connection URL (addon id)
  | { alias: string }; // `$OTHER_VARIABLE`, as REDIS_URL=$SCALINGO_REDIS_URL

export type AppVariable = { name: string } & VariableValue;

export type AppCreated = Message<'AppCreated', { name: string; owner: string; at: string }>;
export type AddonAttached = Message<'AddonAttached', { addonId: string; providerId: string; at: string }>;
export type AddonDetached = Message<'AddonDetached', { addonId: string; at: string }>;
export type AppVariablesSet = Message<'AppVariablesSet', { variables: AppVariable[]; at: string }>;
export type AppVariablesUnset = Message<'AppVariablesUnset', { names: string[]; at: string }>;
export type AppRestartRequested = Message<
  'AppRestartRequested',
  { reason: 'plan-change' | 'upgrade' | 'restore' | 'variables' | 'request'; addonId?: string; at: string }
>;

export type AppEvent =
  | AppCreated
  | AddonAttached
  | AddonDetached
  | AppVariablesSet
  | AppVariablesUnset
  | AppRestartRequested;

/** Version of each event's data shape; bumped when a shape changes. */
export const APP_EVENT_SCHEMA_VERSIONS: Readonly<Record<AppEvent['type'], number>> = {
  AppCreated: 1,
  AddonAttached: 1,
  AddonDetached: 1,
  AppVariablesSet: 1,
  AppVariablesUnset: 1,
  AppRestartRequested: 1,
};
