import { CommandContext } from '../../../shared/cqrs/command-context';

export class CreateAppCommand {
  constructor(
    readonly name: string,
    readonly owner: string,
    readonly context: CommandContext,
  ) {}
}
