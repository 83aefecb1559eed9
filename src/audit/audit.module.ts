import { Module } from '@nestjs/common';
import { AppsModule } from '../apps/apps.module';
import { AuditController } from './api/audit.controller';
import { HistoryController } from './api/history.controller';

@Module({
  imports: [AppsModule],
  controllers: [AuditController, HistoryController],
})
export class AuditModule {}
