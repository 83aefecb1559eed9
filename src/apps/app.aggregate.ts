import { Aggregate } from '../shared/cqrs/aggregate';
import { Upcasters } from '../shared/domain/upcasting';
import { AppCommand } from './domain/app.commands';
import { appDecider, AppState } from './domain/app.decider';
import { APP_EVENT_SCHEMA_VERSIONS, AppEvent } from './domain/app.events';

/** Apps live in `app-<name>` streams: the name is the app's id, unique by construction. */
export const APP: Aggregate<AppState, AppCommand, AppEvent> = {
  category: 'app',
  decider: appDecider,
  schemaVersions: APP_EVENT_SCHEMA_VERSIONS,
  // Every app event is at version 1: no upcaster yet, but a version newer than this build is refused on read.
  upcasters: new Upcasters(APP_EVENT_SCHEMA_VERSIONS),
};
