/**
 * Entry point. Kept apart from cli.ts: when npm's `.bin` symlink starts the
 * tool, an "am I the main module" check on import.meta.url would fail.
 * Signals are handled where there is something to clean up: the writer's
 * transaction (write.ts) and `exec`'s forwarding to its child.
 */
// First import: it copies the environment before anything else can change it.
import { inheritedEnv } from './startup/inherited-env.js';
// Second: `--version` alone is answered here, before cli.js and yargs initialize.
import './startup/version-shortcut.js';
import { createRequire } from 'node:module';
import { main } from './cli.js';
import { TOOL_V8_FLAGS, startedWithExecutableFlags } from './startup/heap-flags.js';
import { stderrWriter, stdoutWriter } from './startup/output.js';
import { describeInternalError } from './redact.js';

// Peak memory and CPU: see heap-flags.ts. The npm bin has set these same
// values before compiling the bundle, the values its code cache was made
// under (src/startup/launch.ts); the executable started with its own.
if (!startedWithExecutableFlags()) {
  const { setFlagsFromString } = createRequire(import.meta.url)('node:v8') as typeof import('node:v8');
  for (const flag of TOOL_V8_FLAGS) setFlagsFromString(flag);
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
  // Straight to the descriptors: no stream is made for output a short run writes (startup/output.ts).
  stdout: stdoutWriter(),
  stderr: stderrWriter(),
  env: inheritedEnv,
  // A getter: only the commands that read standard input pay for making its stream.
  get stdin() {
    return process.stdin;
  },
}).then((code) => {
  process.exitCode = code;
});
