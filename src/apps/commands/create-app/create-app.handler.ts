import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '../../../shared/clock';
import { CommandExecutor, Decided } from '../../../shared/cqrs/command-executor';
import { APP } from '../../app.aggregate';
import { AppState } from '../../domain/app.decider';
import { AppEvent } from '../../domain/app.events';
import { CreateAppCommand } from './create-app.command';

@CommandHandler(CreateAppCommand)
export class CreateAppHandler implements ICommandHandler<CreateAppCommand, Decided<AppState, AppEvent>> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly clock: Clock,
  ) {}

  execute({ name, owner, context }: CreateAppCommand) {
    const at = this.clock.now().toISOString();
    return this.executor.execute(APP, name, { type: 'CreateApp', data: { name, owner, at } }, context);
  }
}
