import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { listBackups } from '../../../projections/backups/backup-list.query';
import { ReadModels } from '../../../projections/read-models';
import { AppAccess } from '../../apps/app-access.service';
import type { ApiResponse } from '../../http/http-types';
import { NoBodyPipe } from '../../http/no-body.pipe';
import { markPosition } from '../../http/write-response';
import { Roles } from '../../security/access.decorators';
import type { Principal } from '../../security/principal';
import { CurrentPrincipal, RequestContext } from '../../security/request.decorators';
import { Clock } from '../../shared/clock';
import type { CommandContext } from '../../shared/cqrs/command-context';
import { Decided } from '../../shared/cqrs/command-executor';
import { DomainError } from '../../shared/domain/domain-error';
import { ExecuteAddonCommand } from '../commands/execute-addon-command/execute-addon-command.command';
import { AddonEvent } from '../domain/addon.events';
import { AddonState } from '../domain/addon.state';
import { backupsView } from './addon.view';
import { derivedUuid } from '../../shared/cqrs/event-ids';

/** Backups of an add-on; they outlive its removal, so a removed add-on's are still listed. */
@ApiTags('backups')
@Controller('v1/apps/:app/addons/:id/backups')
export class BackupsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly access: AppAccess,
    private readonly clock: Clock,
    private readonly readModels: ReadModels,
  ) {}

  @Get()
  @Roles('owner', 'support')
  @ApiOperation({ summary: 'Newest first, with the retention bucket keeping each and when it expires' })
  @ApiOkResponse({ description: '{ backups: [...] }' })
  @ApiQuery({ name: 'min_position', required: false, description: 'Wait until the read model holds this position (a write’s X-Event-Position)' })
  async list(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Query('min_position') minPosition: string | undefined,
    @CurrentPrincipal() principal: Principal,
  ) {
    await this.access.addon(principal, appName, id, { removed: true });
    return { backups: await this.readBackups(id, minPosition) };
  }

  @Get(':bid')
  @Roles('owner', 'support')
  @ApiOkResponse({ description: '{ backup }' })
  async get(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Param('bid') backupId: string,
    @Query('min_position') minPosition: string | undefined,
    @CurrentPrincipal() principal: Principal,
  ) {
    await this.access.addon(principal, appName, id, { removed: true });
    const backup = (await this.readBackups(id, minPosition)).find((b) => b.id === backupId);
    if (!backup) throw new DomainError('BACKUP.NOT_FOUND', 'No such backup for this add-on.');
    return { backup };
  }

  /** From the backups read model, once it holds everything the add-on's stream had when asked. */
  private async readBackups(addonId: string, minPosition: string | undefined) {
    await this.readModels.upToDate([`addon-${addonId}`], minPosition);
    const tables = { backups: await this.readModels.table('backups', 'backups'), addons: await this.readModels.table('backups', 'backup_addons') };
    return (await listBackups(this.readModels.db.manager, tables, addonId, this.clock.now())) ?? [];
  }

  @Post()
  @Roles('owner')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Manual backup: answers at once with the backup scheduled; follow it at Location' })
  @ApiAcceptedResponse({ description: '{ backup } in scheduled' })
  async create(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Body(NoBodyPipe) _body: unknown,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    await this.access.addon(principal, appName, id);
    // Derived from the request's cause: a keyed request run again asks for the same backup.
    const backupId = derivedUuid(context.causationId, 'backup', id);
    const decided = await this.commands.execute<ExecuteAddonCommand, Decided<AddonState, AddonEvent>>(
      new ExecuteAddonCommand(id, { type: 'RequestBackup', data: { backupId, method: 'manual' } }, context),
    );
    markPosition(res, decided.position);
    res.setHeader('Location', `/v1/apps/${appName}/addons/${id}/backups/${backupId}`);
    if (decided.state.status === 'none') throw new Error('A backup request left no add-on');
    return { backup: backupsView(decided.state, this.clock.now()).find((b) => b.id === backupId) };
  }
}
