import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../security/access.decorators';
import { providersView } from './providers.view';

@ApiTags('catalogue')
@Controller('v1/addon-providers')
@Roles('owner', 'support', 'platform', 'admin')
export class ProvidersController {
  @Get()
  @ApiOperation({ summary: 'Database types, versions, plans with class, SLA, retention, RPO and gateway timeouts' })
  @ApiOkResponse({ description: '{ addon_providers: [...] }' })
  list() {
    return { addon_providers: providersView() };
  }
}
