import { addonsProjection } from './addons/addons.projection';
import { auditProjection } from './audit/audit.projection';
import { availabilityProjection } from './availability/availability.projection';
import { backupsProjection } from './backups/backups.projection';
import type { Projection } from './projection';

/** Every read model. */
export const ALL_PROJECTIONS: readonly Projection[] = [backupsProjection, auditProjection, addonsProjection, availabilityProjection];
