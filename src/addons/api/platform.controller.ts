import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppAccess } from '../../apps/app-access.service';
import type { ApiResponse } from '../../http/http-types';
import { markPosition } from '../../http/write-response';
import { Roles } from '../../security/access.decorators';
import { RequestContext } from '../../security/request.decorators';
import { Clock } from '../../shared/clock';
import type { CommandContext } from '../../shared/cqrs/command-context';
import { Decided } from '../../shared/cqrs/command-executor';
import { ExecuteAddonCommand } from '../commands/execute-addon-command/execute-addon-command.command';
import { AddonEvent } from '../domain/addon.events';
import { AddonState } from '../domain/addon.state';
import { addonView } from './addon.view';
import { MaintenanceDto } from './dto/maintenance.dto';
import { NodeReportDto } from './dto/node-report.dto';
import { derivedUuid } from '../../shared/cqrs/event-ids';

/** Monitoring reports: a node is down, or back. */
@ApiTags('platform')
@Controller('v1/platform')
@Roles('platform')
export class PlatformController {
  constructor(
    private readonly commands: CommandBus,
    private readonly access: AppAccess,
    private readonly clock: Clock,
  ) {}

  @Post('node-failures')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'A node is down: Business fails over; Starter and Sandbox stay unavailable until it recovers' })
  @ApiAcceptedResponse({ description: '{ addon }' })
  report(@Body() body: NodeReportDto, @RequestContext() context: CommandContext, @Res({ passthrough: true }) res: ApiResponse) {
    return this.node('ReportNodeFailure', body, context, res);
  }

  @Post('node-recoveries')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'A node is back' })
  @ApiAcceptedResponse({ description: '{ addon }' })
  recover(@Body() body: NodeReportDto, @RequestContext() context: CommandContext, @Res({ passthrough: true }) res: ApiResponse) {
    return this.node('ReportNodeRecovery', body, context, res);
  }

  @Post('maintenances')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Plan a maintenance: announced now, run in the first maintenance window starting at least 24 h from now',
  })
  @ApiAcceptedResponse({ description: '{ addon } with its announced maintenance' })
  async maintenance(
    @Body() body: MaintenanceDto,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    const addon = await this.access.anyAddon(body.addon_id);
    res.setHeader('Location', `/v1/apps/${addon.appName}/addons/${addon.id}`);
    const maintenanceId = derivedUuid(context.causationId, 'maintenance', body.addon_id);
    const decided = await this.commands.execute<ExecuteAddonCommand, Decided<AddonState, AddonEvent>>(
      new ExecuteAddonCommand(body.addon_id, { type: 'ScheduleMaintenance', data: { maintenanceId, reason: body.reason } }, context),
    );
    markPosition(res, decided.position);
    if (decided.state.status === 'none') throw new Error('A maintenance left no add-on');
    return { addon: addonView(decided.state, this.clock.now()) };
  }

  private async node(
    type: 'ReportNodeFailure' | 'ReportNodeRecovery',
    body: NodeReportDto,
    context: CommandContext,
    res: ApiResponse,
  ) {
    const addon = await this.access.anyAddon(body.addon_id);
    res.setHeader('Location', `/v1/apps/${addon.appName}/addons/${addon.id}`);
    const decided = await this.commands.execute<ExecuteAddonCommand, Decided<AddonState, AddonEvent>>(
      new ExecuteAddonCommand(body.addon_id, { type, data: { node: body.node } }, context),
    );
    markPosition(res, decided.position);
    if (decided.state.status === 'none') throw new Error('A node report left no add-on');
    return { addon: addonView(decided.state, this.clock.now()) };
  }
}
