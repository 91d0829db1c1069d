/**
 * Entry point. Kept apart from cli.ts: when npm's `.bin` symlink starts the
 * tool, an "am I the main module" check on import.meta.url would fail.
 */
import { unlinkSync } from 'node:fs';
import { main } from './cli.js';
import { describeInternalError } from './redact.js';
import { tempFilesInFlight } from './write.js';

// The SDK warns on every run under Node 20; a deploy log does not need it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// On SIGINT/SIGTERM, remove our temp files before dying: outputs are only
// ever replaced by rename, so they stay old-and-complete.
for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
  process.on(signal, () => {
    // `exec` forwards signals to its child and exits with the child's code.
    if (process.listenerCount(signal) > 1) return;
    for (const path of tempFilesInFlight) {
      try {
        unlinkSync(path);
      } catch {
        /* already gone */
      }
    }
    process.stderr.write(`ssm-materialize: interrupted by ${signal}; no output was changed by the unfinished step\n`);
    process.exit(128 + number);
  });
}

// A throw outside main (an event handler, a stray rejection) would make Node
// print the error with its message, which may quote a value: print it as
// main does, without the message, and exit as for any other bug.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err: unknown) => {
    process.stderr.write(`ssm-materialize: internal error (a bug; please report it):\n${describeInternalError(err)}\n`);
    process.exit(70);
  });
}

// No top-level await: the standalone executable runs this as CommonJS (scripts/release.mjs).
void main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  stdin: process.stdin,
}).then((code) => {
  process.exitCode = code;
});
