/**
 * The npm package's bin: runs the bundle beside it (ssm-materialize.bundle.cjs)
 * through a V8 code cache kept in the running user's private cache directory.
 *
 * Why: before a command's first line runs, Node reads and compiles the whole
 * bundle, and each function the command calls is compiled again when first
 * called; a deploy hook on every host of a fleet pays that at each run.
 * Node's own compile cache (module.enableCompileCache) keeps only the first
 * part: it makes its cache right after compiling the file, before anything
 * runs. This bin makes its cache when a run ends, so it also holds every
 * function that run compiled, and the next run of the same command compiles
 * next to nothing (with and without, and Node's: BENCHMARKS.md, runtime section).
 *
 * One cache per command (the first argument) and file, made by the first
 * run of it that succeeds, in the directory src/startup/compile-cache.ts
 * chooses (none: the bundle compiles as it would without us). The files are
 * the bundle and, for the commands that call AWS, the AWS SDK's file beside
 * it (src/startup/parts.ts). A cache is used only with the very file, Node
 * and V8 flags it was made with (its stamp, and V8's own check); anything
 * else is made anew. NODE_DISABLE_COMPILE_CACHE=1 turns it off;
 * NODE_DEBUG=ssm-materialize-cache says what it reads and writes.
 * `--version` alone never loads the bundle (src/startup/version-flag.ts).
 *
 * The bundle needs none of this: `node ssm-materialize.bundle.cjs` runs it
 * as plain CommonJS (Node's own require then loads the SDK's file).
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { debuglog } from 'node:util';
import { cachedDataVersionTag, setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { codeCacheFile, codeCacheStamp, privateCompileCacheDir, readCodeCache, writeCodeCache } from './compile-cache.js';
import { TOOL_V8_FLAGS } from './heap-flags.js';
import { SDK_PART, commonJsWrapper, runCommonJs } from './parts.js';
import { stdoutWriter } from './output.js';
import { versionOnly } from './version-flag.js';

const BUNDLE = join(__dirname, 'ssm-materialize.bundle.cjs');
const SDK = join(__dirname, SDK_PART);
const debug = debuglog('ssm-materialize-cache');

const argv = process.argv.slice(2);
const version = versionOnly(argv);
if (version === undefined) runBundle(argv);
else stdoutWriter()(version);

function runBundle(args: string[]): void {
  // V8 accepts a code cache only under the flags it was made with, and this
  // one is made at exit: so every flag the tool sets on itself is set before
  // compiling (src/bin.ts sets the same values again). Early, too, for what
  // src/startup/heap-flags.ts says.
  for (const flag of TOOL_V8_FLAGS) setFlagsFromString(flag);
  const dir = process.env.NODE_DISABLE_COMPILE_CACHE ? undefined : privateCompileCacheDir(process.env);
  const requireBesideBundle = createRequire(BUNDLE);
  let sdk: unknown;
  // The bundle's `require`: the AWS SDK's file beside it (src/startup/parts.ts) is compiled through a cache of its own.
  const bundleRequire = Object.assign(
    (id: string): unknown => (id === `./${SDK_PART}` ? (sdk ??= runCached(SDK, args, dir, requireBesideBundle)) : requireBesideBundle(id)),
    requireBesideBundle,
  );
  runCached(BUNDLE, args, dir, bundleRequire);
}

/** Runs the CommonJS file `file` as Node would, through the code cache of this command in `dir` (none: compiled as usual); returns its exports. */
function runCached(file: string, args: string[], dir: string | undefined, require: NodeJS.Require): unknown {
  const fd = openSync(file, 'r');
  const identity = fstatSync(fd, { bigint: true });
  const source = readFileSync(fd, 'latin1'); // ASCII, as esbuild writes it (test/e2e/bundle.test.ts): no decoding to do
  closeSync(fd);
  const cacheFile = dir && codeCacheFile(dir, file, args);
  const stamp = codeCacheStamp(identity);
  const cached = cacheFile ? readCodeCache(cacheFile, stamp) : undefined;
  const script = new Script(commonJsWrapper(source), { filename: file, lineOffset: -1, cachedData: cached });
  if (cacheFile) {
    if (cached && !script.cachedDataRejected) debug('using %s', cacheFile);
    else {
      debug('%s %s; making it when this run ends', cached ? 'V8 rejected' : 'no usable', cacheFile);
      writeWhenDone(script, cacheFile, stamp);
    }
  }
  return runCommonJs(script, file, require);
}

/** Caches what this run compiled, if it succeeded under the flags it compiled with (the emulator changes them). */
function writeWhenDone(script: Script, file: string, stamp: string): void {
  const tag = cachedDataVersionTag();
  process.once('exit', (code) => {
    if (code !== 0 || cachedDataVersionTag() !== tag) return;
    debug(writeCodeCache(file, stamp, script.createCachedData()) ? 'wrote %s' : 'could not write %s', file);
  });
}
