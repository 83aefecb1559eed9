import { Message } from '../../shared/domain/decider';
import { AppRestartRequested, AppVariable } from './app.events';

export type CreateApp = Message<'CreateApp', { name: string; owner: string; at: string }>;
export type AttachAddon = Message<'AttachAddon', { addonId: string; providerId: string; at: string }>;
export type DetachAddon = Message<'DetachAddon', { addonId: string; at: string }>;
export type SetAppVariables = Message<'SetAppVariables', { variables: AppVariable[]; at: string }>;
export type UnsetAppVariables = Message<'UnsetAppVariables', { names: string[]; at: string }>;
export type RequestAppRestart = Message<
  'RequestAppRestart',
  { reason: AppRestartRequested['data']['reason']; addonId?: string; at: string }
>;

export type AppCommand = CreateApp | AttachAddon | DetachAddon | SetAppVariables | UnsetAppVariables | RequestAppRestart;
