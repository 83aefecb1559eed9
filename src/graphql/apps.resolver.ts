import { CommandBus } from '@nestjs/cqrs';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { appView } from '../apps/api/app.view';
import { AppAccess } from '../apps/app-access.service';
import { CreateAppCommand } from '../apps/commands/create-app/create-app.command';
import { AppState } from '../apps/domain/app.decider';
import { AppEvent } from '../apps/domain/app.events';
import { AppDirectory } from '../apps/queries/app-directory';
import { Roles } from '../security/access.decorators';
import type { Principal } from '../security/principal';
import { CurrentPrincipal, RequestContext } from '../security/request.decorators';
import type { CommandContext } from '../shared/cqrs/command-context';
import { Decided } from '../shared/cqrs/command-executor';
import { AppModel, AppPayload } from './app.model';
import { CreateAppArgs } from './apps.input';

/** Apps over GraphQL: the reads and the write of AppsController, with its roles. */
@Resolver(() => AppModel)
export class AppsResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly access: AppAccess,
    private readonly directory: AppDirectory,
  ) {}

  @Query(() => [AppModel], { description: 'Apps the caller can see: an owner sees their own.' })
  @Roles('owner', 'support', 'platform')
  async apps(@CurrentPrincipal() principal: Principal): Promise<AppModel[]> {
    const names = await this.directory.names(principal);
    const apps = await Promise.all(names.map((name) => this.access.app(principal, name)));
    return apps.map((app) => AppModel.from(appView(app)));
  }

  @Query(() => AppModel, { description: "Another owner's app is APP.NOT_FOUND, as a missing one." })
  @Roles('owner', 'support', 'platform')
  async app(@Args('name') name: string, @CurrentPrincipal() principal: Principal): Promise<AppModel> {
    return AppModel.from(appView(await this.access.app(principal, name)));
  }

  @Mutation(() => AppPayload, { description: 'Create an app owned by the caller.' })
  @Roles('owner')
  async createApp(
    @Args() args: CreateAppArgs,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
  ): Promise<AppPayload> {
    const decided = await this.commands.execute<CreateAppCommand, Decided<AppState, AppEvent>>(
      new CreateAppCommand(args.name, principal.subject, context),
    );
    const app = AppModel.from(appView(await this.access.app(principal, args.name)));
    return { app, position: decided.position?.toString() ?? null };
  }
}
