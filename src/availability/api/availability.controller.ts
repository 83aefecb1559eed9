import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { monthlyAvailability } from '../../../projections/availability/availability.query';
import { ReadModels } from '../../../projections/read-models';
import { AppAccess } from '../../apps/app-access.service';
import { Roles } from '../../security/access.decorators';
import type { Principal } from '../../security/principal';
import { CurrentPrincipal } from '../../security/request.decorators';
import { Clock } from '../../shared/clock';
import { DomainError } from '../../shared/domain/domain-error';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** An add-on's availability against its SLA, month by month, from the availability read model. */
@ApiTags('availability')
@Controller('v1/addons/:id/availability')
export class AvailabilityController {
  constructor(
    private readonly readModels: ReadModels,
    private readonly access: AppAccess,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Roles('owner', 'support', 'platform')
  @ApiQuery({ name: 'month', required: false, description: 'YYYY-MM (UTC); the current month when absent' })
  @ApiOperation({ summary: 'Unplanned downtime minutes in a month, the budget of its SLA, met or breached' })
  @ApiOkResponse({ description: '{ availability: { month, downtime_minutes, incidents, sla_percent, budget_minutes, availability_percent, status, partial } }' })
  async get(
    @Param('id') id: string,
    @Query('month') month: string | undefined,
    @Query('min_position') minPosition: string | undefined,
    @CurrentPrincipal() principal: Principal,
  ) {
    const now = this.clock.now();
    const wanted = month ?? now.toISOString().slice(0, 7);
    if (typeof wanted !== 'string' || !MONTH.test(wanted)) {
      throw new DomainError('VALIDATION.FAILED', 'month must be a calendar month, YYYY-MM.', { fields: [{ field: 'month', messages: ['month must be YYYY-MM'] }] });
    }
    await this.access.reachableAddon(principal, id, { removed: true });
    await this.readModels.upToDate([`addon-${id}`], minPosition);
    const tables = {
      availability: await this.readModels.table('availability', 'availability'),
      addons: await this.readModels.table('availability', 'availability_addons'),
    };
    const availability = await monthlyAvailability(this.readModels.db.manager, tables, id, wanted, now);
    if (!availability) throw new DomainError('ADDON.NOT_FOUND', 'No such add-on.');
    return { availability };
  }
}
