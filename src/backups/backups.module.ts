import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AppsModule } from '../apps/apps.module';
import { AppConfig } from '../config/app-config';
import { KeyRing } from '../security/key-ring';
import { Clock } from '../shared/clock';
import { ArchiveController } from './api/archive.controller';
import { ARCHIVE_LINK_KEY_PURPOSE, ArchiveLinks } from './archive-links';

/**
 * Backup archives: signed download links and the download itself. The backups' rules are
 * the add-on's (`addons/domain`); the archives are the data plane's (`PlatformDriver`).
 */
@Module({
  imports: [CqrsModule, AppsModule],
  controllers: [ArchiveController],
  providers: [
    {
      provide: ArchiveLinks,
      inject: [KeyRing, AppConfig, Clock],
      useFactory: (keyRing: KeyRing, config: AppConfig, clock: Clock) =>
        new ArchiveLinks(keyRing.deriveKey(ARCHIVE_LINK_KEY_PURPOSE), config.archiveLinkTtlSeconds, clock),
    },
  ],
})
export class BackupsModule {}
