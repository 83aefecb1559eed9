import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { auditFilterOf, listAudit } from '../../../projections/audit/audit.query';
import { ReadModels } from '../../../projections/read-models';
import { AppAccess } from '../../apps/app-access.service';
import { Roles } from '../../security/access.decorators';
import type { Principal } from '../../security/principal';
import { CurrentPrincipal } from '../../security/request.decorators';
import { AppAuditQueryDto, AuditQueryDto } from './audit-query.dto';

/** Who did what, from the audit read model: one entry per event, never a secret. */
@ApiTags('audit')
@Controller('v1')
export class AuditController {
  constructor(
    private readonly readModels: ReadModels,
    private readonly access: AppAccess,
  ) {}

  @Get('audit')
  @Roles('support')
  @ApiOperation({ summary: 'The audit log, in log order, filtered and cursor-paginated (support)' })
  @ApiOkResponse({ description: '{ entries: [...], next_cursor }' })
  async audit(@Query() query: AuditQueryDto) {
    await this.readModels.upToDate([], query.min_position);
    return this.page(query, query.app);
  }

  @Get('apps/:app/events')
  @Roles('owner', 'support')
  @ApiOperation({ summary: "The app's audit entries, its add-ons' included" })
  @ApiOkResponse({ description: '{ entries: [...], next_cursor }' })
  async appEvents(@Param('app') appName: string, @Query() query: AppAuditQueryDto, @CurrentPrincipal() principal: Principal) {
    const app = await this.access.app(principal, appName);
    await this.readModels.upToDate([`app-${app.name}`], query.min_position);
    return this.page(query, app.name);
  }

  private async page(query: AppAuditQueryDto, app: string | undefined) {
    const table = await this.readModels.table('audit', 'audit');
    return listAudit(this.readModels.db.manager, table, auditFilterOf(query, app));
  }
}
