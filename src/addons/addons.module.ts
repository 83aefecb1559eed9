import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AppsModule } from '../apps/apps.module';
import { AddonsController } from './api/addons.controller';
import { BackupsController } from './api/backups.controller';
import { PlatformController } from './api/platform.controller';
import { CompleteProvisioningHandler } from './commands/complete-provisioning/complete-provisioning.handler';
import { DeprovisionAddonHandler } from './commands/deprovision-addon/deprovision-addon.handler';
import { ExecuteAddonCommandHandler } from './commands/execute-addon-command/execute-addon-command.handler';
import { ProvisionAddonHandler } from './commands/provision-addon/provision-addon.handler';

@Module({
  imports: [CqrsModule, AppsModule],
  controllers: [AddonsController, BackupsController, PlatformController],
  providers: [ProvisionAddonHandler, CompleteProvisioningHandler, DeprovisionAddonHandler, ExecuteAddonCommandHandler],
})
export class AddonsModule {}
