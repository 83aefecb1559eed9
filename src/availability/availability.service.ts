import { Injectable } from '@nestjs/common';
import { MonthlyAvailability, monthlyAvailability } from '../../projections/availability/availability.query';
import { ReadModels } from '../../projections/read-models';
import { AppAccess } from '../apps/app-access.service';
import type { Principal } from '../security/principal';
import { Clock } from '../shared/clock';
import { DomainError } from '../shared/domain/domain-error';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** An add-on's availability in a month, for whoever reaches it: what REST and GraphQL answer. */
@Injectable()
export class AvailabilityService {
  constructor(
    private readonly readModels: ReadModels,
    private readonly access: AppAccess,
    private readonly clock: Clock,
  ) {}

  async of(principal: Principal, addonId: string, month?: string, minPosition?: string): Promise<MonthlyAvailability> {
    const now = this.clock.now();
    const wanted = month ?? now.toISOString().slice(0, 7);
    if (typeof wanted !== 'string' || !MONTH.test(wanted)) {
      throw new DomainError('VALIDATION.FAILED', 'month must be a calendar month, YYYY-MM.', {
        fields: [{ field: 'month', messages: ['month must be YYYY-MM'] }],
      });
    }
    await this.access.reachableAddon(principal, addonId, { removed: true });
    await this.readModels.upToDate([`addon-${addonId}`], minPosition);
    const tables = {
      availability: await this.readModels.table('availability', 'availability'),
      addons: await this.readModels.table('availability', 'availability_addons'),
    };
    const availability = await monthlyAvailability(this.readModels.db.manager, tables, addonId, wanted, now);
    if (!availability) throw new DomainError('ADDON.NOT_FOUND', 'No such add-on.');
    return availability;
  }
}
