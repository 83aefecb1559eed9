import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { EventStore } from '../../src/event-store/event-store.port';
import type { EventScopes } from '../../src/public-events/event-scopes';
import { PUBLIC_STREAMS, toPublicEvent } from '../../src/public-events/public-event';
import { INTERNAL_EVENT_TYPES, PublicEvent } from '../../src/public-events/public-event.schemas';
import { schemaFiles } from '../../src/public-events/schema-files';

let validators: Map<string, ValidateFunction> | undefined;
const ajv = addFormats(new Ajv({ allErrors: true }));

/** The validator of each public event type, compiled from the schema files as published. */
function validatorOf(type: string): ValidateFunction | undefined {
  validators ??= new Map(schemaFiles().map(({ content }) => {
    const schema = JSON.parse(content) as { title: string };
    return [schema.title, ajv.compile(schema)];
  }));
  return validators.get(type);
}

/** What is wrong with a public event against its published schema; empty when nothing. */
export function schemaErrors(event: PublicEvent): string[] {
  const { type, position } = event;
  const validate = validatorOf(type);
  if (!validate) return [`${type}: no published schema`];
  return validate(event) ? [] : [`${type} at ${position}: ${ajv.errorsText(validate.errors)}`];
}

/**
 * Every app and add-on event of the log, as the feed and webhooks publish it, checked
 * against its published JSON Schema. Answers how many were checked; throws listing every
 * event that does not validate (or has no public shape).
 */
export async function expectPublishedEventsValid(store: EventStore, scopes: EventScopes): Promise<number> {
  const problems: string[] = [];
  let checked = 0;
  for (const event of await store.readAll({ filter: PUBLIC_STREAMS })) {
    if ((INTERNAL_EVENT_TYPES as readonly string[]).includes(event.type)) continue;
    const scope = await scopes.of(event);
    if (!scope) {
      problems.push(`${event.stream} ${event.type} at ${event.position}: no app`);
      continue;
    }
    const published = toPublicEvent(event, scope);
    if (!published) {
      problems.push(`${event.stream} ${event.type} at ${event.position}: no public shape`);
      continue;
    }
    problems.push(...schemaErrors(published));
    checked++;
  }
  if (problems.length > 0) throw new Error(`published events that break their schema:\n${problems.join('\n')}`);
  return checked;
}
