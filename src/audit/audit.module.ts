import { Module } from '@nestjs/common';
import { AppsModule } from '../apps/apps.module';
import { AuditController } from './api/audit.controller';

@Module({
  imports: [AppsModule],
  controllers: [AuditController],
})
export class AuditModule {}
