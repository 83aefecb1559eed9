import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { APP } from '../../../apps/app.aggregate';
import { AppConfig } from '../../../config/app-config';
import { Clock } from '../../../shared/clock';
import { CommandExecutor, Decided } from '../../../shared/cqrs/command-executor';
import { ADDON } from '../../addon.aggregate';
import { addonVariables } from '../../domain/addon-variables';
import { AddonEvent } from '../../domain/addon.events';
import { AddonState } from '../../domain/addon.state';
import { CompleteProvisioningCommand } from './complete-provisioning.command';

@CommandHandler(CompleteProvisioningCommand)
export class CompleteProvisioningHandler
  implements ICommandHandler<CompleteProvisioningCommand, Decided<AddonState, AddonEvent>>
{
  constructor(
    private readonly executor: CommandExecutor,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async execute({ addonId, context }: CompleteProvisioningCommand) {
    const at = this.clock.now().toISOString();
    const decided = await this.executor.execute(ADDON, addonId, { type: 'CompleteProvisioning', data: { at } }, context);
    const addon = decided.state;
    if (addon.status === 'running') {
      const variables = addonVariables(this.config.addonVariablePrefix, addon.providerId, addon.id);
      // Setting them again is a no-op, so a repeated report converges.
      await this.executor.execute(APP, addon.appName, { type: 'SetAppVariables', data: { variables, at } }, context);
    }
    return decided;
  }
}
