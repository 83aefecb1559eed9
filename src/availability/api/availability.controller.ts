import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../security/access.decorators';
import type { Principal } from '../../security/principal';
import { CurrentPrincipal } from '../../security/request.decorators';
import { AvailabilityService } from '../availability.service';

/** An add-on's availability against its SLA, month by month, from the availability read model. */
@ApiTags('availability')
@Controller('v1/addons/:id/availability')
export class AvailabilityController {
  constructor(private readonly availability: AvailabilityService) {}

  @Get()
  @Roles('owner', 'support', 'platform')
  @ApiQuery({ name: 'month', required: false, description: 'YYYY-MM (UTC); the current month when absent' })
  @ApiOperation({ summary: 'Unplanned downtime minutes in a month, the budget of its SLA, met or breached' })
  @ApiOkResponse({
    description: '{ availability: { month, downtime_minutes, incidents, sla_percent, budget_minutes, availability_percent, status, partial } }',
  })
  async get(
    @Param('id') id: string,
    @Query('month') month: string | undefined,
    @Query('min_position') minPosition: string | undefined,
    @CurrentPrincipal() principal: Principal,
  ) {
    return { availability: await this.availability.of(principal, id, month, minPosition) };
  }
}
