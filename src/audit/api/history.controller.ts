import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppAccess } from '../../apps/app-access.service';
import { EventStore } from '../../event-store/event-store.port';
import { Roles } from '../../security/access.decorators';
import type { Principal } from '../../security/principal';
import { CurrentPrincipal } from '../../security/request.decorators';
import { DomainError } from '../../shared/domain/domain-error';
import { historyStep, HistoryStep, parseReplayPoint, replayAddon } from '../replay/addon-replay';

/** Audit replay, from the event store itself: every step of an add-on, or its state at a point. */
@ApiTags('audit')
@Controller('v1/addons/:id')
export class HistoryController {
  constructor(
    private readonly store: EventStore,
    private readonly access: AppAccess,
  ) {}

  @Get('history')
  @Roles('owner', 'support')
  @ApiOperation({ summary: 'Every event of the add-on with its actor and the add-on as it was right after' })
  @ApiOkResponse({ description: '{ history: [{ position, revision, at, actor, action, summary, correlation_id, state }] }' })
  async history(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    await this.reach(principal, id);
    const history: HistoryStep[] = [];
    for await (const { event, state } of replayAddon(this.store, id)) history.push(historyStep(event, state));
    return { history };
  }

  @Get('state')
  @Roles('owner', 'support')
  @ApiQuery({ name: 'at', required: false, description: 'A position (digits) or an ISO-8601 time; the latest state when absent' })
  @ApiOperation({ summary: 'The add-on as it was at a position or a time, rebuilt from its events' })
  @ApiOkResponse({ description: '{ at, step }: the last step at or before the point' })
  async state(@Param('id') id: string, @Query('at') at: string | undefined, @CurrentPrincipal() principal: Principal) {
    const point = parseReplayPoint(at);
    await this.reach(principal, id);
    let last: HistoryStep | null = null;
    for await (const { event, state } of replayAddon(this.store, id, point)) last = historyStep(event, state);
    if (!last) throw new DomainError('ADDON.NOT_FOUND', 'This add-on did not exist yet at that point.');
    return { at: at ?? null, step: last };
  }

  /** The owner of the add-on's app, or support; a removed add-on's history stays readable. */
  private async reach(principal: Principal, id: string): Promise<void> {
    await this.access.reachableAddon(principal, id, { removed: true });
  }
}
