import { addonsProjection } from './addons/addons.projection';
import { appsProjection } from './apps/apps.projection';
import { auditProjection } from './audit/audit.projection';
import { availabilityProjection } from './availability/availability.projection';
import { backupsProjection } from './backups/backups.projection';
import type { Projection } from './projection';
import { webhooksProjection } from './webhooks/webhooks.projection';

/** Every read model. */
export const ALL_PROJECTIONS: readonly Projection[] = [
  appsProjection,
  addonsProjection,
  backupsProjection,
  auditProjection,
  availabilityProjection,
  webhooksProjection,
];
