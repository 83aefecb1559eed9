import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { ApiResponse } from '../http/http-types';
import { Roles } from '../security/access.decorators';
import { PlatformMetrics } from './platform-metrics';

@ApiTags('monitoring')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: PlatformMetrics) {}

  /** Prometheus scrape: the registry in the text exposition format. Never fails for a source that does not answer. */
  @Get()
  @Roles('platform', 'admin')
  @ApiOperation({ summary: 'Prometheus metrics: commands, appends, projection and saga lag, jobs, webhook deliveries, HTTP, process' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The Prometheus text format (version 0.0.4)' })
  async scrape(@Res({ passthrough: true }) res: ApiResponse): Promise<string> {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    return this.metrics.registry.metrics();
  }
}
