import { ProjectionCheckpoints1795300000000 } from './1795300000000-projection-checkpoints';
import { BackupsV11795300000001 } from './1795300000001-backups-v1';
import { AuditV11795300000002 } from './1795300000002-audit-v1';
import { AddonsAvailabilityV11795300000003 } from './1795300000003-addons-availability-v1';
import { AppsV11795300000004 } from './1795300000004-apps-v1';
import { DeferredIndexes1795300000005 } from './1795300000005-deferred-indexes';
import { WebhooksV11795300000006 } from './1795300000006-webhooks-v1';
import { AddonsV21795300000007 } from './1795300000007-addons-v2';

/** Every migration of the read store, in order. A projection's new version comes with one creating its tables. */
export const MIGRATIONS = [
  ProjectionCheckpoints1795300000000,
  BackupsV11795300000001,
  AuditV11795300000002,
  AddonsAvailabilityV11795300000003,
  AppsV11795300000004,
  DeferredIndexes1795300000005,
  WebhooksV11795300000006,
  AddonsV21795300000007,
];
