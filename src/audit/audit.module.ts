import { Module } from '@nestjs/common';
import { AppsModule } from '../apps/apps.module';
import { AuditController } from './api/audit.controller';
import { HistoryController } from './api/history.controller';
import { AvailabilityController } from '../availability/api/availability.controller';
import { ProjectionsAdminController } from '../admin/projections.controller';

@Module({
  imports: [AppsModule],
  controllers: [AuditController, HistoryController, AvailabilityController, ProjectionsAdminController],
})
export class AuditModule {}
