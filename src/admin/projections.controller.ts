import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ReadModels } from '../../projections/read-models';
import { NoBodyPipe } from '../http/no-body.pipe';
import { Roles } from '../security/access.decorators';
import { DomainError } from '../shared/domain/domain-error';

/** Operators' view of the read models: where each projection stands, and unparking one. */
@ApiTags('admin')
@Controller('v1/admin/projections')
export class ProjectionsAdminController {
  constructor(private readonly readModels: ReadModels) {}

  @Get()
  @Roles('admin', 'support')
  @ApiOperation({ summary: 'Each projection version: status, checkpoint, lag behind the log, where it is parked' })
  @ApiOkResponse({ description: '{ log_head, projections: [...] }' })
  async list() {
    return this.readModels.overview();
  }

  @Post(':name/retry')
  @Roles('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Apply the event the projection is parked on again (after a fix), then go on' })
  async retry(@Param('name') name: string, @Body(NoBodyPipe) _body: unknown) {
    await this.parkedRunner(name).retry();
    return this.readModels.overview();
  }

  @Post(':name/skip')
  @Roles('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Pass over the event the projection is parked on (its effect is lost), then go on' })
  async skip(@Param('name') name: string, @Body(NoBodyPipe) _body: unknown) {
    await this.parkedRunner(name).skip();
    return this.readModels.overview();
  }

  private parkedRunner(name: string) {
    const runner = this.readModels.runners.find((r) => r.projection.name === name);
    if (!runner) throw new DomainError('PROJECTION.NOT_FOUND', 'No projection by that name runs in this process.');
    if (!runner.state.parked) throw new DomainError('PROJECTION.NOT_PARKED', 'This projection is not parked.');
    return runner;
  }
}
