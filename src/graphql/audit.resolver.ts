import { Args, Query, Resolver } from '@nestjs/graphql';
import { auditFilterOf, listAudit } from '../../projections/audit/audit.query';
import { ReadModels } from '../../projections/read-models';
import { AppAccess } from '../apps/app-access.service';
import { historyStep, HistoryStep, parseReplayPoint, replayAddon } from '../audit/replay/addon-replay';
import { EventStore } from '../event-store/event-store.port';
import { Roles } from '../security/access.decorators';
import type { Principal } from '../security/principal';
import { CurrentPrincipal } from '../security/request.decorators';
import { DomainError } from '../shared/domain/domain-error';
import { AddonStateAt, AuditPage, AvailabilityModel, HistoryStepModel } from './audit.model';
import { AvailabilityService } from '../availability/availability.service';
import { AppAuditArgs, AppEventsArgs, AuditArgs } from './audit.input';

/**
 * The audit log (read model) and audit replay (event store) over GraphQL, as
 * AuditController and HistoryController: same roles, same reach, never a secret.
 */
@Resolver()
export class AuditResolver {
  constructor(
    private readonly readModels: ReadModels,
    private readonly access: AppAccess,
    private readonly store: EventStore,
    private readonly availabilityService: AvailabilityService,
  ) {}

  @Query(() => AvailabilityModel, { description: "An add-on's unplanned downtime in a month (UTC) against its SLA budget." })
  @Roles('owner', 'support', 'platform')
  async availability(
    @Args('addonId') addonId: string,
    @Args('month', { type: () => String, nullable: true }) month: string | null | undefined,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AvailabilityModel> {
    const a = await this.availabilityService.of(principal, addonId, month ?? undefined);
    return {
      month: a.month,
      downtimeMinutes: a.downtime_minutes,
      incidents: a.incidents,
      slaPercent: a.sla_percent,
      budgetMinutes: a.budget_minutes,
      availabilityPercent: a.availability_percent,
      status: a.status,
      partial: a.partial,
    };
  }

  @Query(() => AuditPage, { description: 'The audit log, in log order, filtered and cursor-paginated (support).' })
  @Roles('support')
  async audit(@Args() args: AuditArgs): Promise<AuditPage> {
    await this.readModels.upToDate([], args.minPosition);
    return this.page(args, args.app);
  }

  @Query(() => AuditPage, { description: "The app's audit entries, its add-ons' included." })
  @Roles('owner', 'support')
  async appEvents(@Args() args: AppEventsArgs, @CurrentPrincipal() principal: Principal): Promise<AuditPage> {
    const app = await this.access.app(principal, args.app);
    await this.readModels.upToDate([`app-${app.name}`], args.minPosition);
    return this.page(args, app.name);
  }

  @Query(() => [HistoryStepModel], { description: 'Every event of the add-on with its actor and the add-on right after.' })
  @Roles('owner', 'support')
  async history(@Args('addonId') addonId: string, @CurrentPrincipal() principal: Principal): Promise<HistoryStepModel[]> {
    await this.access.reachableAddon(principal, addonId, { removed: true });
    const history: HistoryStep[] = [];
    for await (const { event, state } of replayAddon(this.store, addonId)) history.push(historyStep(event, state));
    return history.map(HistoryStepModel.from);
  }

  @Query(() => AddonStateAt, { description: 'The add-on as it was at a position (digits) or an ISO-8601 time; the latest when absent.' })
  @Roles('owner', 'support')
  async addonState(
    @Args('addonId') addonId: string,
    @Args('at', { type: () => String, nullable: true }) at: string | null | undefined,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AddonStateAt> {
    const point = parseReplayPoint(at ?? undefined);
    await this.access.reachableAddon(principal, addonId, { removed: true });
    let last: HistoryStep | null = null;
    for await (const { event, state } of replayAddon(this.store, addonId, point)) last = historyStep(event, state);
    if (!last) throw new DomainError('ADDON.NOT_FOUND', 'This add-on did not exist yet at that point.');
    return { at: at ?? null, step: HistoryStepModel.from(last) };
  }

  private async page(args: AppAuditArgs, app: string | undefined): Promise<AuditPage> {
    const table = await this.readModels.table('audit', 'audit');
    const page = await listAudit(this.readModels.db.manager, table, auditFilterOf(args, app));
    return AuditPage.from(page);
  }
}
