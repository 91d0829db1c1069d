/**
 * Entry point. Kept apart from cli.ts: when npm's `.bin` symlink starts the
 * tool, an "am I the main module" check on import.meta.url would fail.
 * Signals are handled where there is something to clean up: the writer's
 * transaction (write.ts) and `exec`'s forwarding to its child.
 */
import { main } from './cli.js';

// The SDK warns on every run under Node 20; a deploy log does not need it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  stdin: process.stdin,
});
