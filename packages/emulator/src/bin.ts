/**
 * `ssm-emulator`: the emulator's own command line, the same options and
 * banner as `ssm-materialize emulator`, without the product.
 */
import { parseEmulatorArgs, USAGE } from './args.js';
import { emulatorCommand, EmulatorError } from './command.js';

async function main(): Promise<number> {
  const io = { stdout: (s: string) => process.stdout.write(s), stderr: (s: string) => process.stderr.write(s) };
  try {
    const opts = parseEmulatorArgs(process.argv.slice(2));
    if (opts === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    return await emulatorCommand(opts, io);
  } catch (err) {
    if (!(err instanceof EmulatorError)) throw err;
    io.stderr(`ssm-emulator: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}\n`);
    return err.exitCode;
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`ssm-emulator: internal error (a bug; please report it):\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
