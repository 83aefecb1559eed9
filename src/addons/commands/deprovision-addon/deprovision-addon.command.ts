import { CommandContext } from '../../../shared/cqrs/command-context';

export class DeprovisionAddonCommand {
  constructor(
    readonly addonId: string,
    readonly context: CommandContext,
  ) {}
}
