/**
 * The standalone executable's main script: runs the bundle, embedded as the
 * SEA asset BUNDLE_PART, through the V8 code cache embedded beside it
 * (src/startup/parts.ts), much as the npm bin runs it (src/startup/launch.ts).
 *
 * Why not Node's own SEA code cache (`useCodeCache`): Node makes it when it
 * builds the blob, before anything runs, so it holds the bundle's top level
 * only, and each function a command calls is compiled again on every run.
 * The release build makes this cache after a `validate` run under the
 * executable's own Node (scripts/make-code-cache.ts), so it also holds the
 * start-up path every command shares: yargs, the command table, the
 * manifest reader. It cannot be made on the host: the executable is
 * read-only there, and a cache written beside it would be code any writer
 * of that directory could plant (docs/threat-model.md).
 *
 * `--version` alone never loads the bundle (src/startup/version-flag.ts).
 */
import { BUNDLE_PART, fromSeaAsset } from './parts.js';
import { stdoutWriter } from './output.js';
import { versionOnly } from './version-flag.js';

const version = versionOnly(process.argv.slice(2));
// Run as the executable itself, as Node runs an executable's main script. It
// started with its V8 flags (its execArgv: EXECUTABLE_V8_FLAGS), the flags its
// code caches were made under: V8 uses a cache only under those.
if (version === undefined) fromSeaAsset(BUNDLE_PART, process.execPath);
else stdoutWriter()(version);
