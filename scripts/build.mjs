// Bundle the CLI into one ESM file. A single file loads ~100 ms faster than
// the unbundled module graph (see BENCHMARKS.md), which matters for a tool
// that runs in every deploy hook.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

// Another path as the first argument: `npm run release` builds its copy apart
// from dist/, which tests may be running at the same moment.
const outfile = process.argv[2] ?? 'dist/ssm-materialize.mjs';
await build({
  entryPoints: ['src/bin.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // Some dependencies (parts of the AWS SDK, yargs helpers) are CommonJS
  // and use require/__filename; an ESM bundle has to provide them. (__dirname is
  // left out: a bundled ESM module declares its own.)
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __smCreateRequire } from 'node:module';",
      "import { fileURLToPath as __smFileURLToPath } from 'node:url';",
      'const require = __smCreateRequire(import.meta.url);',
      'const __filename = __smFileURLToPath(import.meta.url);',
    ].join('\n'),
  },
});
chmodSync(outfile, 0o755);
