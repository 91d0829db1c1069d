/**
 * The npm package's bin: runs the bundle beside it (ssm-materialize.bundle.cjs)
 * through the V8 code cache `npm run build` made for it.
 *
 * Why: Node reads, decodes and compiles the whole 1.5 MB bundle before the
 * first line of the tool runs, and Node 20 keeps no compile cache of its own.
 * A deploy hook on every host of a fleet pays that at each run. Here:
 * - the bundle is read as latin1, not UTF-8: it is ASCII (the build checks),
 *   and skipping UTF-8 decoding of 1.5 MB is measurable on small machines;
 * - the compiled code comes from the cache, which V8 checks against the
 *   source, its own version and flags, and ignores when they differ (another
 *   Node version, say): then the bundle compiles as it would without us.
 *   The build makes the cache after a training run (a `write` against the
 *   bundled emulator), so it also holds the functions a run compiles on the
 *   way: yargs, the YAML parser, the SDK's request path, the writer.
 * The cache is only ever written by the build, next to the bundle, with the
 * package's own permissions; at run time this file writes nothing.
 *
 * The bundle needs none of this: `node ssm-materialize.bundle.cjs` runs it
 * as plain CommonJS, and the release ships it that way.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { YOUNG_GENERATION_DEFAULT } from './heap-flags.js';

const BUNDLE = join(__dirname, 'ssm-materialize.bundle.cjs');
const CACHE = join(__dirname, 'ssm-materialize.bundle.cache');

/** The bundle as a CommonJS function, exactly as the build compiled it for the cache. */
function compileBundle(cachedData?: Buffer): Script {
  const source = readFileSync(BUNDLE, 'latin1');
  // The wrapper's own line keeps the bundle's line numbers in stack traces.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {\n${source}\n})`;
  return new Script(wrapped, { filename: BUNDLE, lineOffset: -1, cachedData });
}

function readCache(): Buffer | undefined {
  try {
    return readFileSync(CACHE);
  } catch {
    return undefined; // no cache (a copied bundle, a cleaned dist): compile from source
  }
}

function run(script: Script): void {
  const bundle = script.runInThisContext() as (...args: unknown[]) => void;
  const bundleModule = { exports: {} };
  bundle.call(bundleModule.exports, bundleModule.exports, createRequire(BUNDLE), bundleModule, BUNDLE, __dirname);
}

export function runBundle(): void {
  run(compileBundle(readCache()));
}

/** Whether V8 takes the cache on this Node (the bundle's tests ask; a rejected cache costs only its read). */
export function codeCacheAccepted(): boolean {
  const cache = readCache();
  return cache !== undefined && !compileBundle(cache).cachedDataRejected;
}

/**
 * Build step (scripts/build.mjs), in a process of its own: run the bundle
 * with `args` (the training run), and at exit write the cache of everything
 * compiled by then. Without `args`, the cache of the top-level code only.
 */
export function writeCodeCache(args?: string[]): void {
  const script = compileBundle();
  if (!args) {
    writeFileSync(CACHE, script.createCachedData());
    return;
  }
  process.argv = [process.argv[0]!, BUNDLE, ...args];
  process.on('exit', () => {
    // The bundle set its heap flag (bin.ts); the cache must carry the flags a fresh start has.
    setFlagsFromString(YOUNG_GENERATION_DEFAULT);
    writeFileSync(CACHE, script.createCachedData());
  });
  run(script);
}

if (require.main === module) runBundle();
