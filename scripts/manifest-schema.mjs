// `npm run schema`: write what follows from the declared manifest schema
// (src/manifest-schema.ts) into the files that are committed and shipped:
//   schema/materialize.schema.json   the JSON Schema editors use (in the npm package)
//   docs/manifest.md                 the reference table, between its generated-section markers
// test/unit/manifest-schema.test.ts fails when either differs from what the
// schema makes, and says to run this.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
// The schema module is TypeScript with .js import specifiers: bundle it (packages stay imports), then load it.
const bundle = join(root, '.tmp', 'manifest-schema-export.mjs');
await build({
  entryPoints: [join(root, 'src', 'manifest-schema-export.ts')],
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  logLevel: 'silent',
});
const { JSON_SCHEMA_FILE, toJsonSchema, toMarkdownReference, spliceReference } = await import(pathToFileURL(bundle).href);

const schemaFile = join(root, JSON_SCHEMA_FILE);
mkdirSync(dirname(schemaFile), { recursive: true });
writeFileSync(schemaFile, JSON.stringify(toJsonSchema(), null, 2) + '\n');

const docsFile = join(root, 'docs', 'manifest.md');
writeFileSync(docsFile, spliceReference(readFileSync(docsFile, 'utf8'), toMarkdownReference()));
console.log(`wrote ${JSON_SCHEMA_FILE} and docs/manifest.md`);
