import { Injectable } from '@nestjs/common';
import { listAppNames } from '../../../projections/apps/apps.projection';
import { ReadModels } from '../../../projections/read-models';
import { Principal } from '../../security/principal';

/** Which apps exist, from the apps read model: an owner's own, or every one for support and the platform. */
@Injectable()
export class AppDirectory {
  constructor(private readonly readModels: ReadModels) {}

  async names(principal: Principal, minPosition?: string): Promise<string[]> {
    // Every app created before the query is listed.
    await this.readModels.upToDate('all', minPosition);
    const table = await this.readModels.table('apps', 'apps');
    return listAppNames(this.readModels.db.manager, table, principal.role === 'owner' ? principal.subject : undefined);
  }
}
