import { join } from 'node:path';
import { PUBLIC_EVENT_TYPES, PUBLIC_EVENT_VERSIONS, publicEventSchema } from './public-event.schemas';

/** Where the published JSON Schemas are kept in the repository, one file per event type at its current version. */
export const SCHEMA_DIR = join(__dirname, 'schemas');

/** Each schema file's name and content, as `npm run schemas` writes them. */
export function schemaFiles(): Array<{ name: string; content: string }> {
  return PUBLIC_EVENT_TYPES.map((type) => ({
    name: `${type}.v${PUBLIC_EVENT_VERSIONS[type]}.json`,
    content: `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...publicEventSchema(type) }, null, 2)}\n`,
  }));
}
