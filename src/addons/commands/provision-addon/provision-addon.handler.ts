import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { APP } from '../../../apps/app.aggregate';
import { DatabaseType, PROVIDERS } from '../../../catalogue/domain/catalogue';
import { Clock } from '../../../shared/clock';
import { CommandExecutor, Decided } from '../../../shared/cqrs/command-executor';
import { Random } from '../../../shared/random';
import { ADDON } from '../../addon.aggregate';
import { Credentials } from '../../credentials/credentials.service';
import { ProvisionAddon } from '../../domain/addon.commands';
import { addonDecider } from '../../domain/addon.decider';
import { AddonEvent, Connection } from '../../domain/addon.events';
import { AddonState, initialAddonState } from '../../domain/addon.state';
import { ProvisionAddonCommand } from './provision-addon.command';
import { derivedUuid } from '../../../shared/cqrs/event-ids';

const NO_CONNECTION: Connection = { scheme: '', user: '', host: '', port: 0, password: {}, dataKey: {} };

/**
 * Adds an add-on to an app: the app records the attachment (one add-on per type), then
 * the add-on's stream starts, in `provisioning`. The catalogue checks run first, on a dry
 * decision, so a refused request writes nothing at all. If the request dies between the
 * two writes, the platform settles the attachment (the provisioning saga's
 * `settle-attachment`): the stream is claimed as abandoned and the app lets it go.
 */
@CommandHandler(ProvisionAddonCommand)
export class ProvisionAddonHandler implements ICommandHandler<ProvisionAddonCommand, Decided<AddonState, AddonEvent>> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly credentials: Credentials,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  async execute({ appName, providerId, planId, version, context }: ProvisionAddonCommand) {
    const at = this.clock.now().toISOString();
    // Derived from the request's cause: a keyed request run again finds the add-on it began.
    const addonId = derivedUuid(context.causationId, 'addon', appName, providerId);
    const resourceId = `${appName}-${this.random.int(1000, 9999)}`;
    const command: ProvisionAddon = {
      type: 'ProvisionAddon',
      data: {
        addonId,
        appName,
        resourceId,
        providerId,
        planId,
        ...(version !== undefined && { version }),
        connection: NO_CONNECTION,
        // (design) a random weekday, starting 01:00–05:00 UTC: within the platform's
        // 21:00–05:00 range, and clear of the default 00:00 UTC backup hour.
        maintenanceWindow: { weekdayUtc: this.random.int(0, 6), startingHourUtc: this.random.int(1, 5) },
        at,
      },
    };
    // Throws on an unknown provider, plan or version: then nothing is written.
    addonDecider.decide(command, initialAddonState());
    command.data.connection = this.credentials.create(PROVIDERS[providerId as DatabaseType], addonId, resourceId);

    await this.executor.execute(APP, appName, { type: 'AttachAddon', data: { addonId, providerId, at } }, context);
    try {
      return await this.executor.execute(ADDON, addonId, command, context);
    } catch (error) {
      // Undo the attachment so that the app can try again.
      await this.executor
        .execute(APP, appName, { type: 'DetachAddon', data: { addonId, at } }, context)
        .catch(() => undefined);
      throw error;
    }
  }
}
