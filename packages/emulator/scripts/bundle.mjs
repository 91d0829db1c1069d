// How the emulator becomes single CommonJS files (esbuild): its own bin, and
// the module ssm-materialize loads for its `emulator` command. Both hold
// yaml and the SigV4 signer, so they need nothing but Node at run time.
import { build } from 'esbuild';
import { join } from 'node:path';

const src = join(import.meta.dirname, '..', 'src');

const OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // Whitespace and syntax only: stack frames keep our function names.
  minifyWhitespace: true,
  minifySyntax: true,
  // ssm-materialize's standalone executable compiles the module itself, with no loader for import().
  supported: { 'dynamic-import': false },
};

/** The `ssm-emulator` command: runs when executed. */
export function bundleEmulatorBin(outfile) {
  return build({ ...OPTIONS, entryPoints: [join(src, 'bin.ts')], outfile, banner: { js: '#!/usr/bin/env node' } });
}

/** The module behind `ssm-materialize emulator`: exports emulatorCommand and EmulatorError, runs nothing when loaded. */
export function bundleEmulatorCommand(outfile) {
  return build({ ...OPTIONS, entryPoints: [join(src, 'command.ts')], outfile, metafile: true });
}
