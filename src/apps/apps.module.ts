import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { Credentials } from '../addons/credentials/credentials.service';
import { AppsController } from './api/apps.controller';
import { AppAccess } from './app-access.service';
import { CreateAppHandler } from './commands/create-app/create-app.handler';
import { AppDirectory } from './queries/app-directory';

@Module({
  imports: [CqrsModule],
  controllers: [AppsController],
  providers: [CreateAppHandler, AppAccess, AppDirectory, Credentials],
  exports: [AppAccess, Credentials, AppDirectory],
})
export class AppsModule {}
