import { CommandContext } from '../../../shared/cqrs/command-context';

/** The data plane has the instance up: the add-on runs, and its app gets its variables. */
export class CompleteProvisioningCommand {
  constructor(
    readonly addonId: string,
    readonly context: CommandContext,
  ) {}
}
