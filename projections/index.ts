import { auditProjection } from './audit/audit.projection';
import { backupsProjection } from './backups/backups.projection';
import type { Projection } from './projection';

/** Every read model. */
export const ALL_PROJECTIONS: readonly Projection[] = [backupsProjection, auditProjection];
