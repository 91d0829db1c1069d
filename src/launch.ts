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
 * The cache is only ever written by the build, next to the bundle, with the
 * package's own permissions; this file never writes anything.
 *
 * The bundle needs none of this: `node ssm-materialize.bundle.cjs` runs it
 * as plain CommonJS, and the release ships it that way.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';

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

export function runBundle(): void {
  const run = compileBundle(readCache()).runInThisContext() as (...args: unknown[]) => void;
  const bundleModule = { exports: {} };
  run.call(bundleModule.exports, bundleModule.exports, createRequire(BUNDLE), bundleModule, BUNDLE, __dirname);
}

/** Whether V8 takes the cache on this Node (the bundle's tests ask; a rejected cache costs only its read). */
export function codeCacheAccepted(): boolean {
  const cache = readCache();
  return cache !== undefined && !compileBundle(cache).cachedDataRejected;
}

/** Build step (scripts/build.mjs): the cache of the compiled bundle, top-level code only. */
export function writeCodeCache(): void {
  writeFileSync(CACHE, compileBundle().createCachedData());
}

if (require.main === module) runBundle();
