/**
 * The tool's entry written for a SEA startup snapshot (`useSnapshot`), for
 * bench/sea-snapshot.mjs only: the release does not use it (BENCHMARKS.md,
 * "Tried: a SEA startup snapshot"). While the snapshot is built, the bundle's
 * top level runs (yargs, yaml, the command table) and the heap is saved;
 * nothing that belongs to one run may be read there, so the environment,
 * argv (with the `--version` shortcut), the V8 flags and the error handlers
 * are all taken in the deserialize main function, at each start.
 */
import { setFlagsFromString, startupSnapshot } from 'node:v8';
import { VERSION, main } from '../src/cli.js';
import { describeInternalError } from '../src/redact.js';

/** The flags src/bin.ts sets (its heap-flags module says why), written out so this file imports only cli and redact. */
const HEAP_FLAGS = ['--semi-space-growth-factor=1', '--no-maglev', '--no-turbofan'];

function start(): void {
  const env = { ...process.env };
  const args = process.argv.slice(2);
  if (args.length === 1 && args[0] === '--version') {
    process.stdout.write(`${VERSION}\n`);
    process.exit(0);
  }
  for (const flag of HEAP_FLAGS) setFlagsFromString(flag);
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (err: unknown) => {
      process.stderr.write(`ssm-materialize: internal error (a bug; please report it):\n${describeInternalError(err)}\n`);
      process.exit(70);
    });
  }
  void main(args, {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env,
    get stdin() {
      return process.stdin;
    },
  }).then((code) => {
    process.exitCode = code;
  });
}

if (!startupSnapshot.isBuildingSnapshot()) throw new Error('bench/sea-snapshot-entry.ts runs only as a SEA snapshot entry');
startupSnapshot.setDeserializeMainFunction(start);
