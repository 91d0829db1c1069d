// `npm run schema`: write what follows from the declared manifest schema
// (src/manifest-schema.ts) into the files that are committed and shipped:
//   schema/materialize.schema.json   the JSON Schema editors use (in the npm package)
//   docs/manifest.md                 the reference table, between its generated-section markers
// test/unit/manifest-schema.test.ts fails when either differs from what the
// schema makes, and says to run this.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { importTypeScript } from './import-typescript.mjs';

const root = join(import.meta.dirname, '..');
// The schema module is TypeScript with .js import specifiers: bundled, then loaded.
const { JSON_SCHEMA_FILE, toJsonSchema, toMarkdownReference, spliceReference } = await importTypeScript('src/manifest-schema-export.ts');

const schemaFile = join(root, JSON_SCHEMA_FILE);
mkdirSync(dirname(schemaFile), { recursive: true });
writeFileSync(schemaFile, JSON.stringify(toJsonSchema(), null, 2) + '\n');

const docsFile = join(root, 'docs', 'manifest.md');
writeFileSync(docsFile, spliceReference(readFileSync(docsFile, 'utf8'), toMarkdownReference()));
console.log(`wrote ${JSON_SCHEMA_FILE} and docs/manifest.md`);
