import { CommandContext } from '../../../shared/cqrs/command-context';

export class ProvisionAddonCommand {
  constructor(
    readonly appName: string,
    readonly providerId: string,
    readonly planId: string,
    readonly version: string | undefined,
    readonly context: CommandContext,
  ) {}
}
