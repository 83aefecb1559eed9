import { CommandContext } from '../../../shared/cqrs/command-context';
import { AddonCommand } from '../../domain/addon.commands';

/** A domain command without its time: the handler stamps it with the clock. */
export type UndatedAddonCommand = AddonCommand extends infer C
  ? C extends { type: infer T; data: infer D }
    ? { type: T; data: Omit<D, 'at'> }
    : never
  : never;

/**
 * Every use case that is one decision on one add-on (change plan, features, window,
 * schedule, backups, upgrade, restore, node reports, failover, and the platform's
 * progress reports) goes through this one handler: read, fold, decide, append.
 */
export class ExecuteAddonCommand {
  constructor(
    readonly addonId: string,
    readonly command: Exclude<UndatedAddonCommand, { type: 'ProvisionAddon' | 'DeprovisionAddon' }>,
    readonly context: CommandContext,
  ) {}
}
