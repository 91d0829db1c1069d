/**
 * The parts of the tool that ship as files of their own beside the bundle,
 * loaded only by the commands that use them.
 *
 * Why: every run pays for each byte of the bundle before its first line
 * runs (Node reads it, V8 reads its code cache and lays out every function
 * in it), and most runs never touch the biggest parts. `validate`,
 * `--help`, `init` and `check` make no AWS call; only `emulator` runs the
 * emulator. So the AWS SDK (src/aws/aws-sdk.ts, bundled on its own) and the
 * emulator (packages/emulator) are files beside the bundle, and
 * scripts/bundle.mjs turns their imports into a load of that file.
 *
 * Where a part is:
 * - the npm package: dist/NAME beside the bundle; the bin compiles it
 *   through its own code cache, as it does the bundle (src/startup/launch.ts);
 * - the standalone executable: an SEA asset named NAME, with its V8 code
 *   cache as the asset NAME.v8cache when the build made one
 *   (scripts/release.mjs);
 * - run from source (the tests): the module itself, imported as usual.
 * The release's single-file bundle (ssm-materialize-VERSION.cjs) carries
 * the SDK inside it, so that it runs as one file.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { debuglog } from 'node:util';
import { Script } from 'node:vm';

/** The bundle itself: the standalone executable carries it as an asset (src/startup/sea-launch.ts). */
export const BUNDLE_PART = 'ssm-materialize.bundle.cjs';
/** The AWS SDK's file (src/aws/aws-sdk.ts bundled on its own). */
export const SDK_PART = 'ssm-materialize-aws-sdk.cjs';
/** The emulator's file (packages/emulator's command). */
export const EMULATOR_PART = 'ssm-materialize-emulator.cjs';
/** The asset that holds a part's code cache in the executable. */
export const codeCacheAsset = (part: string): string => `${part}.v8cache`;

const debug = debuglog('ssm-materialize-cache');

/** A CommonJS file's source in the wrapper Node puts around it, on the line before it. */
export const commonJsWrapper = (source: string): string => `(function (exports, require, module, __filename, __dirname) {\n${source}\n})`;

/** What running a compiled CommonJS wrapper needs: the file it stands for, and the `require` its code gets. */
export function runCommonJs(script: Script, filename: string, require: NodeJS.Require): unknown {
  const module = { exports: {} };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, require, module, filename, dirname(filename));
  return module.exports;
}

/**
 * The part embedded in the running standalone executable as the SEA asset
 * `part`, compiled as CommonJS (with its code cache asset, if there is one
 * and V8 accepts it) and run as the file `filename`; undefined when this
 * process is no executable. Throws (the asset's own error) when the
 * executable was built without it. The executable's require loads Node's
 * built-ins, all a part needs.
 */
export function fromSeaAsset(part: string, filename = join(dirname(process.execPath), part)): unknown {
  // (The executable's require, like any, loads a built-in; an ES module has no require of its own.)
  const sea = createRequire(process.execPath)('node:sea') as typeof import('node:sea');
  if (!sea.isSea()) return undefined;
  // The raw assets, not copies (getAsset copies): the source is ASCII (test/e2e/bundle.test.ts) and the cache only read.
  const source = Buffer.from(sea.getRawAsset(part)).toString('latin1');
  let cachedData: Buffer | undefined;
  try {
    cachedData = Buffer.from(sea.getRawAsset(codeCacheAsset(part)));
  } catch {
    cachedData = undefined; // built without one: compiled as any script is
  }
  const script = new Script(commonJsWrapper(source), { filename: part, lineOffset: -1, cachedData });
  if (cachedData) debug('%s: %s code cache asset', part, script.cachedDataRejected ? 'V8 rejected the' : 'using the');
  return runCommonJs(script, filename, createRequire(process.execPath));
}
