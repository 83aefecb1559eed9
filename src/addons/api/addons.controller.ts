import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { findAddon, listAddons } from '../../../projections/addons/addon-list.query';
import { ReadModels } from '../../../projections/read-models';
import { parseScheduledAt } from '../../backups/domain/backup-schedule';
import { CLASS_POLICIES, findPlan } from '../../catalogue/domain/catalogue';
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
import { DeprovisionAddonCommand } from '../commands/deprovision-addon/deprovision-addon.command';
import { ExecuteAddonCommand } from '../commands/execute-addon-command/execute-addon-command.command';
import { ProvisionAddonCommand } from '../commands/provision-addon/provision-addon.command';
import { AddonEvent } from '../domain/addon.events';
import { Addon, AddonState } from '../domain/addon.state';
import { addonView, backupScheduleView } from './addon.view';
import { BackupScheduleDto } from './dto/backup-schedule.dto';
import { ChangePlanDto } from './dto/change-plan.dto';
import { MaintenanceWindowDto } from './dto/maintenance-window.dto';
import { ProvisionAddonDto } from './dto/provision-addon.dto';
import { RestoreDto } from './dto/restore.dto';
import { UpgradeDto } from './dto/upgrade.dto';
import { derivedUuid } from '../../shared/cqrs/event-ids';

type Decision = Decided<AddonState, AddonEvent>;

/** The add-ons of an app. Owners write; support and the platform read; another owner's app is a 404. */
@ApiTags('addons')
@Controller('v1/apps/:app/addons')
export class AddonsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly access: AppAccess,
    private readonly clock: Clock,
    private readonly readModels: ReadModels,
  ) {}

  @Post()
  @Roles('owner')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Provision an add-on: 201 { addon } in provisioning' })
  async provision(
    @Param('app') appName: string,
    @Body() body: ProvisionAddonDto,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    await this.access.app(principal, appName);
    const decided = await this.commands.execute<ProvisionAddonCommand, Decision>(
      new ProvisionAddonCommand(appName, body.addon_provider_id, body.plan_id, body.version, context),
    );
    const addon = this.addonOf(decided);
    res.setHeader('Location', `/v1/apps/${appName}/addons/${addon.id}`);
    return this.answer(res, decided);
  }

  @Get()
  @Roles('owner', 'support', 'platform')
  @ApiOkResponse({ description: '{ addons: [...] }' })
  @ApiQuery({ name: 'min_position', required: false, description: 'Wait until the read model holds this position (a write’s X-Event-Position)' })
  async list(@Param('app') appName: string, @Query('min_position') minPosition: string | undefined, @CurrentPrincipal() principal: Principal) {
    const app = await this.access.app(principal, appName);
    // From the add-ons read model, once it holds what the app's add-ons' streams had when asked.
    await this.readModels.upToDate([`app-${app.name}`, ...Object.keys(app.addons).map((id) => `addon-${id}`)], minPosition);
    const table = await this.readModels.table('addons', 'addons');
    return { addons: await listAddons(this.readModels.db.manager, table, app.name, this.clock.now()) };
  }

  @Get(':id')
  @Roles('owner', 'support', 'platform')
  @ApiOkResponse({ description: '{ addon }' })
  @ApiQuery({ name: 'min_position', required: false, description: 'Wait until the read model holds this position (a write’s X-Event-Position)' })
  async get(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Query('min_position') minPosition: string | undefined,
    @CurrentPrincipal() principal: Principal,
  ) {
    const { app } = await this.access.addon(principal, appName, id);
    await this.readModels.upToDate([`addon-${id}`], minPosition);
    const addon = await findAddon(this.readModels.db.manager, await this.readModels.table('addons', 'addons'), app.name, id, this.clock.now());
    if (!addon) throw new DomainError('ADDON.NOT_FOUND', 'No such add-on in this app.');
    return { addon };
  }

  @Patch(':id')
  @Roles('owner')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Change plan: restarted on a new host, then the app restarts' })
  @ApiAcceptedResponse({ description: '{ addon } in changing-plan, with a warning when the new plan has less memory' })
  async changePlan(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Body() body: ChangePlanDto,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    await this.access.addon(principal, appName, id);
    const decided = await this.run(id, { type: 'ChangePlan', data: { planId: body.plan_id } }, context);
    res.setHeader('Location', `/v1/apps/${appName}/addons/${id}`);
    const change = decided.events.find((e) => e.type === 'PlanChanged');
    const warnings =
      change?.type === 'PlanChanged' && change.data.downgrade
        ? [`${change.data.toPlanId} has less memory than ${change.data.fromPlanId}: check your data still fits.`]
        : [];
    return { ...this.answer(res, decided), ...(warnings.length > 0 && { warnings }) };
  }

  @Delete(':id')
  @Roles('owner')
  @ApiOperation({ summary: 'Remove the add-on: its variables leave the app; its backups age out by the policy' })
  @ApiOkResponse({ description: '{ addon } deprovisioned' })
  async deprovision(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Body(NoBodyPipe) _body: unknown,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    await this.access.addon(principal, appName, id);
    const decided = await this.commands.execute<DeprovisionAddonCommand, Decision>(
      new DeprovisionAddonCommand(id, context),
    );
    return this.answer(res, decided);
  }

  @Post(':id/upgrade')
  @Roles('owner')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Upgrade to next_version, or to the version given if the rules allow it' })
  async upgrade(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Body() body: UpgradeDto,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    await this.access.addon(principal, appName, id);
    const decided = await this.run(
      id,
      { type: 'StartUpgrade', data: { ...(body.version !== undefined && { toVersion: body.version }) } },
      context,
    );
    res.setHeader('Location', `/v1/apps/${appName}/addons/${id}`);
    return this.answer(res, decided);
  }

  @Put(':id/features/:feature')
  @Roles('owner')
  @ApiOperation({ summary: 'Enable force-tls, internet-access, redis-rdb, redis-aof or redis-cache' })
  async enableFeature(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Param('feature') feature: string,
    @Body(NoBodyPipe) _body: unknown,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    await this.access.addon(principal, appName, id);
    return this.answer(res, await this.run(id, { type: 'EnableFeature', data: { feature } }, context));
  }

  @Delete(':id/features/:feature')
  @Roles('owner')
  @ApiOperation({ summary: 'Disable a feature' })
  async disableFeature(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Param('feature') feature: string,
    @Body(NoBodyPipe) _body: unknown,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    await this.access.addon(principal, appName, id);
    return this.answer(res, await this.run(id, { type: 'DisableFeature', data: { feature } }, context));
  }

  @Put(':id/maintenance-window')
  @Roles('owner')
  @ApiOperation({ summary: 'Set the weekly maintenance slot (8 hours, UTC)' })
  async setMaintenanceWindow(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Body() body: MaintenanceWindowDto,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    await this.access.addon(principal, appName, id);
    const command = {
      type: 'SetMaintenanceWindow' as const,
      data: { weekdayUtc: body.weekday_utc, startingHourUtc: body.starting_hour_utc },
    };
    return this.answer(res, await this.run(id, command, context));
  }

  @Put(':id/backup-schedule')
  @Roles('owner')
  @ApiOperation({ summary: 'Daily backup hour: 3, "4:00 UTC", "20 Europe/Paris"; answers it in UTC and in the zone' })
  @ApiOkResponse({ description: '{ backup_schedule: { enabled, active, scheduled_at, hour_utc, hour_local, timezone } }' })
  async setBackupSchedule(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Body() body: BackupScheduleDto,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    const { addon } = await this.access.addon(principal, appName, id);
    const time =
      body.scheduled_at === undefined
        ? { hour: addon.backupSchedule.hour, timezone: addon.backupSchedule.timezone }
        : parseScheduledAt(body.scheduled_at);
    const decided = await this.run(id, { type: 'SetBackupSchedule', data: { enabled: body.enabled, ...time } }, context);
    markPosition(res, decided.position);
    const updated = this.addonOf(decided);
    const policy = CLASS_POLICIES[findPlan(updated.planId)!.class];
    return { backup_schedule: backupScheduleView(updated, this.clock.now(), policy.scheduledBackups) };
  }

  @Post(':id/restore')
  @Roles('owner')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Restore from a backup, or (PostgreSQL) to a point in time inside the recovery window' })
  async restore(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Body() body: RestoreDto,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    await this.access.addon(principal, appName, id);
    const restoreId = derivedUuid(context.causationId, 'restore', id);
    const source = body.backup_id !== undefined ? { backupId: body.backup_id } : { pointInTime: body.restore_time! };
    const decided = await this.run(id, { type: 'StartRestore', data: { restoreId, source } }, context);
    res.setHeader('Location', `/v1/apps/${appName}/addons/${id}`);
    return { ...this.answer(res, decided), restore: { id: this.addonOf(decided).restore?.restoreId ?? restoreId } };
  }

  @Post(':id/failover')
  @Roles('platform')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Switchover to the standby (operators; Business plans only)' })
  async failover(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Body(NoBodyPipe) _body: unknown,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    await this.access.addon(principal, appName, id);
    const decided = await this.run(id, { type: 'TriggerFailover', data: { reason: 'switchover' } }, context);
    res.setHeader('Location', `/v1/apps/${appName}/addons/${id}`);
    return this.answer(res, decided);
  }

  private run(id: string, command: ExecuteAddonCommand['command'], context: CommandContext): Promise<Decision> {
    return this.commands.execute<ExecuteAddonCommand, Decision>(new ExecuteAddonCommand(id, command, context));
  }

  private addonOf(decided: Decision): Addon {
    if (decided.state.status === 'none') throw new Error('A decision on an add-on left no add-on');
    return decided.state;
  }

  private answer(res: ApiResponse, decided: Decision) {
    markPosition(res, decided.position);
    return { addon: addonView(this.addonOf(decided), this.clock.now()) };
  }
}
