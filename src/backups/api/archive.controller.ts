import { Controller, Get, Param, Res, StreamableFile } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiGoneResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ADDON } from '../../addons/addon.aggregate';
import { ExecuteAddonCommand } from '../../addons/commands/execute-addon-command/execute-addon-command.command';
import { AddonEvent } from '../../addons/domain/addon.events';
import { AddonState } from '../../addons/domain/addon.state';
import { AppAccess } from '../../apps/app-access.service';
import type { ApiResponse } from '../../http/http-types';
import { markPosition } from '../../http/write-response';
import { DriverError, PlatformDriver } from '../../platform/driver/platform-driver.port';
import { Public, Roles } from '../../security/access.decorators';
import type { Principal } from '../../security/principal';
import { CurrentPrincipal, RequestContext } from '../../security/request.decorators';
import type { CommandContext } from '../../shared/cqrs/command-context';
import { CommandExecutor, Decided } from '../../shared/cqrs/command-executor';
import { DomainError } from '../../shared/domain/domain-error';
import { ARCHIVE_LINK_PATH, ArchiveLinks } from '../archive-links';

const backupGone = () =>
  new DomainError('BACKUP.EXPIRED', 'This backup expired under the retention policy and its archive was deleted.');

/**
 * Downloading a backup: an owner (or support) asks for a link, which records the audited
 * `BackupDownloadRequested`; the link itself, short-lived and signed, is the credential
 * that streams the archive, so it can be handed to a browser or `curl` without a token.
 */
@ApiTags('backups')
@Controller()
export class ArchiveController {
  constructor(
    private readonly commands: CommandBus,
    private readonly access: AppAccess,
    private readonly executor: CommandExecutor,
    private readonly links: ArchiveLinks,
    private readonly driver: PlatformDriver,
  ) {}

  @Get('v1/apps/:app/addons/:id/backups/:bid/archive')
  @Roles('owner', 'support')
  @ApiOperation({ summary: 'A short-lived link to download the archive of a done backup (the request is audited)' })
  @ApiOkResponse({ description: '{ download_url, expires_at }' })
  @ApiGoneResponse({ description: '`BACKUP.EXPIRED`' })
  async link(
    @Param('app') appName: string,
    @Param('id') id: string,
    @Param('bid') backupId: string,
    @CurrentPrincipal() principal: Principal,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ) {
    // Backups outlive their add-on: a removed add-on's kept backups can still be downloaded.
    await this.access.addon(principal, appName, id, { removed: true });
    const decided = await this.commands.execute<ExecuteAddonCommand, Decided<AddonState, AddonEvent>>(
      new ExecuteAddonCommand(id, { type: 'RequestBackupDownload', data: { backupId } }, context),
    );
    markPosition(res, decided.position);
    const { token, expiresAt } = this.links.issue(id, backupId);
    res.setHeader('Cache-Control', 'no-store');
    return { download_url: `${ARCHIVE_LINK_PATH}${token}`, expires_at: expiresAt.toISOString() };
  }

  @Get('v1/backup-archives/:token')
  @Public()
  @ApiOperation({ summary: 'The archive (gzip) behind a link from …/backups/:bid/archive; the link is the credential' })
  @ApiProduces('application/gzip')
  @ApiOkResponse({ description: 'The `.dump.gz`, with its checksum in `Digest` and `X-Checksum`' })
  @ApiNotFoundResponse({ description: '`ARCHIVE.LINK_INVALID`' })
  @ApiGoneResponse({ description: '`ARCHIVE.LINK_EXPIRED`, or `BACKUP.EXPIRED`' })
  async download(@Param('token') token: string, @Res({ passthrough: true }) res: ApiResponse): Promise<StreamableFile> {
    const link = this.links.check(token);
    if (!link.valid) {
      throw link.reason === 'expired'
        ? new DomainError('ARCHIVE.LINK_EXPIRED', 'This download link has expired. Ask for a new one.')
        : new DomainError('ARCHIVE.LINK_INVALID', 'This download link is not valid. Ask for a new one.');
    }
    const { state } = await this.executor.load(ADDON, link.addonId);
    const backup = state.status === 'none' ? undefined : state.backups.find((b) => b.id === link.backupId);
    if (backup?.status !== 'done') throw backupGone();

    const opened = await this.driver.openBackup(link.addonId, link.backupId).catch((error: unknown) => {
      if (error instanceof DriverError && error.retryable) {
        throw new DomainError('SERVICE.UNAVAILABLE', 'The backup store did not answer. Try the link again.');
      }
      throw error;
    });
    if (!opened) throw backupGone();
    if (backup.checksum && opened.checksum !== backup.checksum) {
      opened.stream.destroy();
      // Never serve bytes other than those the backup recorded.
      throw new Error(`The archive of backup ${backup.id} does not match the checksum recorded when it was taken.`);
    }

    const hex = opened.checksum.replace(/^sha256:/, '');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Checksum', opened.checksum);
    res.setHeader('Digest', `sha-256=${Buffer.from(hex, 'hex').toString('base64')}`);
    return new StreamableFile(opened.stream, {
      type: 'application/gzip',
      length: opened.sizeBytes,
      disposition: `attachment; filename="${fileNameOf(backup.name)}.dump.gz"`,
    }).setErrorHandler((_error, response) => {
      // Broken midway: cut the connection, so the client sees a short body, not a whole one.
      if (!response.destroyed) response.destroy?.();
    });
  }
}

/** A backup name is `<yyyyMMddHHmmss>_<resource id>`; anything else is replaced, to keep the header well-formed. */
function fileNameOf(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || 'backup';
}
