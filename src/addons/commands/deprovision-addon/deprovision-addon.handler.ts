import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { APP } from '../../../apps/app.aggregate';
import { Clock } from '../../../shared/clock';
import { CommandExecutor, Decided } from '../../../shared/cqrs/command-executor';
import { ADDON } from '../../addon.aggregate';
import { DeprovisionAddon } from '../../domain/addon.commands';
import { addonDecider } from '../../domain/addon.decider';
import { AddonEvent } from '../../domain/addon.events';
import { AddonState } from '../../domain/addon.state';
import { DeprovisionAddonCommand } from './deprovision-addon.command';

/**
 * Removes an add-on. The app goes first (its variables and the attachment leave it in one
 * append), then the add-on records its removal (its backups then age by the after-removal
 * rules). The removal itself is allowed in every state, so once checked it cannot be
 * refused on the add-on's fresh state; a failure in between is finished by a retry, both
 * steps being no-ops when already done.
 */
@CommandHandler(DeprovisionAddonCommand)
export class DeprovisionAddonHandler implements ICommandHandler<DeprovisionAddonCommand, Decided<AddonState, AddonEvent>> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly clock: Clock,
  ) {}

  async execute({ addonId, context }: DeprovisionAddonCommand) {
    const at = this.clock.now().toISOString();
    const removal: DeprovisionAddon = { type: 'DeprovisionAddon', data: { at } };
    const { state } = await this.executor.load(ADDON, addonId);
    addonDecider.decide(removal, state);
    if (state.status !== 'none') {
      await this.executor.execute(APP, state.appName, { type: 'DetachAddon', data: { addonId, at } }, context);
    }
    return this.executor.execute(ADDON, addonId, removal, context);
  }
}
