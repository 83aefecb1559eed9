import { CommandBus } from '@nestjs/cqrs';
import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { listBackups } from '../../projections/backups/backup-list.query';
import { ReadModels } from '../../projections/read-models';
import { addonView, backupsView } from '../addons/api/addon.view';
import { DeprovisionAddonCommand } from '../addons/commands/deprovision-addon/deprovision-addon.command';
import { ExecuteAddonCommand } from '../addons/commands/execute-addon-command/execute-addon-command.command';
import { ProvisionAddonCommand } from '../addons/commands/provision-addon/provision-addon.command';
import { AddonEvent } from '../addons/domain/addon.events';
import { Addon, AddonState } from '../addons/domain/addon.state';
import { AppAccess } from '../apps/app-access.service';
import { Roles } from '../security/access.decorators';
import type { Principal } from '../security/principal';
import { CurrentPrincipal, RequestContext } from '../security/request.decorators';
import { Clock } from '../shared/clock';
import type { CommandContext } from '../shared/cqrs/command-context';
import { Decided } from '../shared/cqrs/command-executor';
import { Random } from '../shared/random';
import { AddonModel, AddonPayload } from './addon.model';
import { AddonArgs, BackupsArgs, ChangePlanArgs, ProvisionAddonArgs, UpgradeAddonArgs } from './addons.input';
import { BackupModel, BackupPayload } from './backup.model';

type Decision = Decided<AddonState, AddonEvent>;

/**
 * Add-ons and their backups over GraphQL: the reads and writes of AddonsController and
 * BackupsController, with the same roles, the same reach (another owner's add-on is
 * ADDON.NOT_FOUND) and the same commands on the CommandBus.
 */
@Resolver(() => AddonModel)
export class AddonsResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly access: AppAccess,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly readModels: ReadModels,
  ) {}

  @Query(() => [AddonModel], { description: "The app's add-ons." })
  @Roles('owner', 'support', 'platform')
  async addons(@Args('app') appName: string, @CurrentPrincipal() principal: Principal): Promise<AddonModel[]> {
    const app = await this.access.app(principal, appName);
    const addons = await Promise.all(Object.keys(app.addons).map((id) => this.access.addon(principal, appName, id)));
    return addons.map(({ addon }) => this.model(addon));
  }

  @Query(() => AddonModel)
  @Roles('owner', 'support', 'platform')
  async addon(@Args() { app, addonId }: AddonArgs, @CurrentPrincipal() principal: Principal): Promise<AddonModel> {
    const { addon } = await this.access.addon(principal, app, addonId);
    return this.model(addon);
  }

  @Query(() => [BackupModel], { description: "Newest first; a removed add-on's backups are still listed." })
  @Roles('owner', 'support')
  async backups(@Args() { app, addonId, minPosition }: BackupsArgs, @CurrentPrincipal() principal: Principal): Promise<BackupModel[]> {
    await this.access.addon(principal, app, addonId, { removed: true });
    return this.readBackups(addonId, minPosition);
  }

  @ResolveField('backups', () => [BackupModel], { description: 'As the backups query, with the same roles.' })
  @Roles('owner', 'support')
  async addonBackups(
    @Parent() addon: AddonModel,
    @Args('minPosition', { type: () => String, nullable: true }) minPosition: string | undefined,
    @CurrentPrincipal() principal: Principal,
  ): Promise<BackupModel[]> {
    await this.access.addon(principal, addon.app, addon.id, { removed: true });
    return this.readBackups(addon.id, minPosition ?? undefined);
  }

  @Mutation(() => AddonPayload, { description: 'Provision an add-on: it answers in provisioning.' })
  @Roles('owner')
  async provisionAddon(
    @Args() args: ProvisionAddonArgs,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
  ): Promise<AddonPayload> {
    await this.access.app(principal, args.app);
    const decided = await this.commands.execute<ProvisionAddonCommand, Decision>(
      new ProvisionAddonCommand(args.app, args.providerId, args.planId, args.version, context),
    );
    return this.payload(decided);
  }

  @Mutation(() => AddonPayload, { description: 'Change plan: restarted on a new host, then the app restarts.' })
  @Roles('owner')
  async changePlan(
    @Args() { app, addonId, planId }: ChangePlanArgs,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
  ): Promise<AddonPayload> {
    await this.access.addon(principal, app, addonId);
    const decided = await this.run(addonId, { type: 'ChangePlan', data: { planId } }, context);
    const change = decided.events.find((e) => e.type === 'PlanChanged');
    const warnings =
      change?.type === 'PlanChanged' && change.data.downgrade
        ? [`${change.data.toPlanId} has less memory than ${change.data.fromPlanId}: check your data still fits.`]
        : [];
    return this.payload(decided, warnings);
  }

  @Mutation(() => BackupPayload, { description: 'Manual backup: answers at once with the backup scheduled.' })
  @Roles('owner')
  async requestBackup(
    @Args() { app, addonId }: AddonArgs,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
  ): Promise<BackupPayload> {
    await this.access.addon(principal, app, addonId);
    const backupId = this.random.uuid();
    const decided = await this.run(addonId, { type: 'RequestBackup', data: { backupId, method: 'manual' } }, context);
    const backup = backupsView(this.addonOf(decided), this.clock.now()).find((b) => b.id === backupId);
    if (!backup) throw new Error('A backup request left no backup');
    return { backup: BackupModel.from(backup), position: decided.position?.toString() ?? null };
  }

  @Mutation(() => AddonPayload, { description: 'Upgrade to nextVersion, or to the version given if the rules allow it.' })
  @Roles('owner')
  async upgradeAddon(
    @Args() { app, addonId, version }: UpgradeAddonArgs,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
  ): Promise<AddonPayload> {
    await this.access.addon(principal, app, addonId);
    const command = { type: 'StartUpgrade' as const, data: { ...(version !== undefined && { toVersion: version }) } };
    return this.payload(await this.run(addonId, command, context));
  }

  @Mutation(() => AddonPayload, { description: "Remove the add-on: its variables leave the app; its backups age out by the policy." })
  @Roles('owner')
  async deprovisionAddon(
    @Args() { app, addonId }: AddonArgs,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
  ): Promise<AddonPayload> {
    await this.access.addon(principal, app, addonId);
    const decided = await this.commands.execute<DeprovisionAddonCommand, Decision>(new DeprovisionAddonCommand(addonId, context));
    return this.payload(decided);
  }

  /** From the backups read model, once it holds everything the add-on's stream had when asked (as BackupsController). */
  private async readBackups(addonId: string, minPosition: string | undefined): Promise<BackupModel[]> {
    await this.readModels.upToDate([`addon-${addonId}`], minPosition);
    const tables = {
      backups: await this.readModels.table('backups', 'backups'),
      addons: await this.readModels.table('backups', 'backup_addons'),
    };
    const backups = (await listBackups(this.readModels.db.manager, tables, addonId, this.clock.now())) ?? [];
    return backups.map(BackupModel.from);
  }

  private run(id: string, command: ExecuteAddonCommand['command'], context: CommandContext): Promise<Decision> {
    return this.commands.execute<ExecuteAddonCommand, Decision>(new ExecuteAddonCommand(id, command, context));
  }

  private model(addon: Addon): AddonModel {
    return AddonModel.from(addonView(addon, this.clock.now()));
  }

  private addonOf(decided: Decision): Addon {
    if (decided.state.status === 'none') throw new Error('A decision on an add-on left no add-on');
    return decided.state;
  }

  private payload(decided: Decision, warnings: string[] = []): AddonPayload {
    return { addon: this.model(this.addonOf(decided)), position: decided.position?.toString() ?? null, warnings };
  }
}
