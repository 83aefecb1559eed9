/**
 * `npm run schemas`: writes the JSON Schema of every public event type into
 * src/public-events/schemas/ (and removes those of versions no longer current). A test
 * fails when the committed files differ from the code.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA_DIR, schemaFiles } from '../public-events/schema-files';

mkdirSync(SCHEMA_DIR, { recursive: true });
const files = schemaFiles();
for (const { name, content } of files) writeFileSync(join(SCHEMA_DIR, name), content);
const current = new Set(files.map((f) => f.name));
for (const name of readdirSync(SCHEMA_DIR)) if (name.endsWith('.json') && !current.has(name)) rmSync(join(SCHEMA_DIR, name));
console.log(`Wrote ${files.length} schemas to ${SCHEMA_DIR}`);
