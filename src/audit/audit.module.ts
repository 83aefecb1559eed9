import { Module } from '@nestjs/common';
import { AppsModule } from '../apps/apps.module';
import { AuditController } from './api/audit.controller';
import { HistoryController } from './api/history.controller';
import { AvailabilityController } from '../availability/api/availability.controller';
import { ProjectionsAdminController } from '../admin/projections.controller';
import { AvailabilityService } from '../availability/availability.service';

@Module({
  imports: [AppsModule],
  controllers: [AuditController, HistoryController, AvailabilityController, ProjectionsAdminController],
  providers: [AvailabilityService],
  exports: [AvailabilityService],
})
export class AuditModule {}
