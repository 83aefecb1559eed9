import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ADDON } from '../../addons/addon.aggregate';
import { Credentials } from '../../addons/credentials/credentials.service';
import type { ApiResponse } from '../../http/http-types';
import { markPosition } from '../../http/write-response';
import { Roles } from '../../security/access.decorators';
import type { Principal } from '../../security/principal';
import { CurrentPrincipal, RequestContext } from '../../security/request.decorators';
import type { CommandContext } from '../../shared/cqrs/command-context';
import { CommandExecutor, Decided } from '../../shared/cqrs/command-executor';
import { AppAccess } from '../app-access.service';
import { CreateAppCommand } from '../commands/create-app/create-app.command';
import { CreateAppDto } from '../commands/create-app/create-app.dto';
import { AppState } from '../domain/app.decider';
import { AppEvent } from '../domain/app.events';
import { AppDirectory } from '../queries/app-directory';
import { appView } from './app.view';

@ApiTags('apps')
@Controller('v1/apps')
export class AppsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly access: AppAccess,
    private readonly directory: AppDirectory,
    private readonly executor: CommandExecutor,
    private readonly credentials: Credentials,
  ) {}

  @Post()
  @Roles('owner')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Create an app owned by the caller' })
  @ApiCreatedResponse({ description: '{ app }' })
  async create(
    @Body() body: CreateAppDto,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    const decided = await this.commands.execute<CreateAppCommand, Decided<AppState, AppEvent>>(
      new CreateAppCommand(body.name, principal.subject, context),
    );
    markPosition(res, decided.position);
    res.setHeader('Location', `/v1/apps/${body.name}`);
    return { app: appView(await this.access.app(principal, body.name)) };
  }

  @Get()
  @Roles('owner', 'support', 'platform')
  @ApiOperation({ summary: 'Apps the caller can see: an owner sees their own' })
  @ApiOkResponse({ description: '{ apps: [...] }' })
  async list(@CurrentPrincipal() principal: Principal) {
    const names = await this.directory.names(principal);
    const apps = await Promise.all(names.map((name) => this.access.app(principal, name)));
    return { apps: apps.map(appView) };
  }

  @Get(':app')
  @Roles('owner', 'support', 'platform')
  @ApiOkResponse({ description: '{ app }' })
  async get(@Param('app') name: string, @CurrentPrincipal() principal: Principal) {
    return { app: appView(await this.access.app(principal, name)) };
  }

  @Get(':app/variables')
  @Roles('owner', 'support')
  @ApiOperation({ summary: "The app's environment: connection URLs carry their password for the owner only" })
  @ApiOkResponse({ description: '{ variables: [{ name, value }] }' })
  async variables(@Param('app') name: string, @CurrentPrincipal() principal: Principal) {
    const app = await this.access.app(principal, name);
    const reveal = principal.role === 'owner';
    const variables = await Promise.all(
      Object.entries(app.variables).map(async ([variable, source]) => {
        if ('value' in source) return { name: variable, value: source.value };
        if ('alias' in source) return { name: variable, value: `$${source.alias}` };
        const { state } = await this.executor.load(ADDON, source.addonUrl);
        if (state.status === 'none') return { name: variable, value: '' };
        return { name: variable, value: this.credentials.url(state.id, state.connection, { reveal }) };
      }),
    );
    return { variables: variables.sort((a, b) => a.name.localeCompare(b.name)) };
  }
}
