import { EsdbEventStore } from '../../src/event-store/esdb/esdb-event-store';
import { eventStoreContract } from './event-store.contract';

const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;

if (connectionString) {
  describe('EventStore contract: EventStoreDB', () => {
    // Every case opens its own client, like a process would, on the server named by the variable.
    eventStoreContract(async () =>
      EsdbEventStore.fromConnectionString(connectionString, { logger: { warn: () => undefined } }),
    );
  });
} else {
  describe('EventStore contract: EventStoreDB', () => {
    it.skip('SKIPPED: set EVENTSTORE_CONNECTION_STRING (e.g. esdb://localhost:2113?tls=false) to run it', () => {
      // Skipped on purpose: this machine has no EventStoreDB (see README, "Test suites").
    });
  });
  // Say it in the output too, not only in the list of skipped cases.
  console.warn('EventStoreDB contract suite skipped: EVENTSTORE_CONNECTION_STRING is not set.');
}
