import { Aggregate } from '../shared/cqrs/aggregate';
import { AddonCommand } from './domain/addon.commands';
import { addonDecider } from './domain/addon.decider';
import { ADDON_EVENT_SCHEMA_VERSIONS, AddonEvent } from './domain/addon.events';
import { AddonState } from './domain/addon.state';
import { ADDON_UPCASTERS } from './domain/addon.upcasters';

/** Add-ons live in `addon-<uuid>` streams, so `$ce-addon` gathers them on EventStoreDB. */
export const ADDON: Aggregate<AddonState, AddonCommand, AddonEvent> = {
  category: 'addon',
  decider: addonDecider,
  schemaVersions: ADDON_EVENT_SCHEMA_VERSIONS,
  upcasters: ADDON_UPCASTERS,
  // 2: an expired backup keeps only its id, name, method, status and times.
  snapshotVersion: 2,
};
