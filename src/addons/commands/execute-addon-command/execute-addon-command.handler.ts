import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '../../../shared/clock';
import { CommandExecutor, Decided } from '../../../shared/cqrs/command-executor';
import { ADDON } from '../../addon.aggregate';
import { AddonCommand } from '../../domain/addon.commands';
import { AddonEvent } from '../../domain/addon.events';
import { AddonState } from '../../domain/addon.state';
import { ExecuteAddonCommand } from './execute-addon-command.command';

@CommandHandler(ExecuteAddonCommand)
export class ExecuteAddonCommandHandler implements ICommandHandler<ExecuteAddonCommand, Decided<AddonState, AddonEvent>> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly clock: Clock,
  ) {}

  execute({ addonId, command, context }: ExecuteAddonCommand) {
    const dated = { type: command.type, data: { ...command.data, at: this.clock.now().toISOString() } } as AddonCommand;
    return this.executor.execute(ADDON, addonId, dated, context);
  }
}
