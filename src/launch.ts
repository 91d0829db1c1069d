/**
 * The npm package's bin: runs the bundle beside it (ssm-materialize.bundle.cjs)
 * with Node's compile cache on, in the running user's private cache directory.
 *
 * Why: Node reads and compiles the whole bundle before the first line of the
 * tool runs, and a deploy hook on every host of a fleet pays that at each
 * run. Node >= 22 keeps the compiled code between runs itself
 * (module.enableCompileCache), checked against the source and Node's version.
 * The directory is chosen by src/compile-cache.ts: never Node's shared
 * default under the temp dir; when no private one is usable, the bundle
 * compiles as it would without us. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 *
 * The bundle needs none of this: `node ssm-materialize.bundle.cjs` runs it
 * as plain CommonJS, and the release ships it that way.
 */
import { enableCompileCache } from 'node:module';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { privateCompileCacheDir } from './compile-cache.js';
import { NO_OPTIMIZING_COMPILER_FLAGS } from './heap-flags.js';

const BUNDLE = join(__dirname, 'ssm-materialize.bundle.cjs');

// As early as can be (src/heap-flags.ts says why): before resolving and
// loading the bundle, which makes Node's own path functions hot enough to optimize.
for (const flag of NO_OPTIMIZING_COMPILER_FLAGS) setFlagsFromString(flag);

const cacheDir = privateCompileCacheDir(process.env);
if (cacheDir) enableCompileCache(cacheDir);
require(BUNDLE);
