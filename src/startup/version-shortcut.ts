/**
 * Imported by src/bin.ts before src/cli.ts: ES modules run in import order
 * (the bundle keeps it), so this body runs before yargs and the commands'
 * modules initialize, and `--version` alone ends the process here
 * (src/startup/version-flag.ts says why). Writes to stdout are synchronous for
 * files, pipes and terminals on Linux, so exiting right away loses nothing.
 */
import { stdoutWriter } from './output.js';
import { versionOnly } from './version-flag.js';

const version = versionOnly(process.argv.slice(2));
if (version !== undefined) {
  stdoutWriter()(version);
  process.exit(0);
}
