/**
 * The command line: the only module that knows argv and exit codes. A thin
 * registry: each command declares its flags and handler in
 * src/commands/NAME.command.ts (commands/definition.ts), yargs parses, and
 * the command it chose runs (the store-backed ones run src/pipeline.ts).
 * `main` returns the exit code instead of exiting, and takes its output,
 * environment and, optionally, the StoreOpener from `io`, so every command
 * is testable in-process as well as through the built binary.
 */
import { fstatSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { ExitCode, UsageError, exitCodeOf } from './errors.js';
import { Logger, type Io, type Verbosity } from './log.js';
import { formatNames } from './formats/index.js';
import { globalOptions, type Choice, type Command, type GlobalArgs, type MainIo } from './commands/definition.js';
import { unknownArgumentMessage } from './commands/unknown-arguments.js';
import { write } from './commands/write.command.js';
import { check, plan } from './commands/plan.command.js';
import { exec } from './commands/exec.command.js';
import { policy } from './commands/policy.command.js';
import { fleet } from './commands/fleet.command.js';
import { put } from './commands/put.command.js';
import { validate } from './commands/validate.command.js';
import { init } from './commands/init.command.js';
import { emulator } from './commands/emulator.command.js';
import packageJson from '../package.json' with { type: 'json' };

export type { MainIo };

/** The one place the version lives is package.json; the bundles carry it from there. */
export const VERSION: string = packageJson.version;

/** Every command, in the order of `--help`; each declares its own flags (src/commands/*.command.ts). */
export const COMMANDS: readonly Command[] = [write, plan, check, exec, policy, fleet, put, validate, init, emulator];

/** The top of `--help`, also the man page's description. */
export const SUMMARY = [
  'ssm-materialize: write configuration and secrets from AWS SSM Parameter Store into local files,',
  'atomically and with restricted permissions, at deploy time.',
];

/** The exit codes, as `--help` and the man page list them (errors.ts `ExitCode` defines them). */
export const EXIT_CODES: ReadonlyArray<readonly [code: number, meaning: string]> = [
  [0, 'ok'],
  [1, 'check: would change'],
  [2, 'usage or invalid manifest'],
  [3, 'parameters missing'],
  [4, 'access denied or bad credentials'],
  [5, 'store unavailable'],
  [6, 'output not writable or value not representable'],
  [70, 'bug'],
];

/** The notes at the end of `--help`, also in the man page. */
export const NOTES = {
  formats: `Formats: ${formatNames.join(', ')}.`,
  docs: 'Docs: README.md; the emulator: packages/emulator/README.md.',
};

const exitCodes = (codes: typeof EXIT_CODES): string => codes.map(([code, meaning]) => `${code} ${meaning}`).join(' | ');

/** The end of `--help`. */
const EPILOGUE = [NOTES.formats, `Exit codes: ${exitCodes(EXIT_CODES.slice(0, 4))} |`, `${exitCodes(EXIT_CODES.slice(4))}.`, NOTES.docs];

export async function main(argv: string[], io: MainIo): Promise<number> {
  let log = new Logger(io);
  // `exec -m F -- CMD ARGS`: everything after `--` is the child's, untouched by yargs.
  const dashDash = argv.indexOf('--');
  const childCommand = dashDash >= 0 ? argv.slice(dashDash + 1) : [];
  const ownArgv = dashDash >= 0 ? argv.slice(0, dashDash) : argv;
  try {
    // With a parse callback, yargs hands --help and --version text over instead of printing it to the console.
    let shown = '';
    let chosen: Choice | undefined;
    const args = await parser(ownArgv, (c) => (chosen = c)).parseAsync(ownArgv, {}, (_err, _argv, output) => {
      shown = output;
    });
    if (shown) {
      io.stdout(shown.endsWith('\n') ? shown : `${shown}\n`);
      return ExitCode.ok;
    }
    if (!chosen) throw new UsageError('no command (see --help)');
    // Before the command runs: it must not act (init writes a file) and only then be told its argv was wrong.
    if (dashDash >= 0 && chosen.name !== 'exec') throw new UsageError('`--` and the arguments after it are only for `exec` (exec -m FILE -- CMD ARGS)');
    log = loggerFor(args, io);
    for (const w of chosen.warnings) {
      log.warn('deprecated_flag', { flag: w.flag, use: w.use }, `${w.flag} is deprecated and goes away in the next release: use ${w.use}`);
    }
    return await chosen.run({ io, log, childCommand });
  } catch (err) {
    log.error(err);
    return exitCodeOf(err);
  }
}

/**
 * The width of the terminal standard output is, if it is one. Asked only of a character device:
 * process.stdout is made on first use, and for a pipe or a file that costs a short run more than
 * the answer is worth (there is none); node:tty would load the net module just to say no.
 */
function terminalColumns(): number | undefined {
  try {
    return fstatSync(1).isCharacterDevice() ? process.stdout.columns || undefined : undefined;
  } catch {
    return undefined; // no standard output at all
  }
}

/** The options and commands, for parsing and --help; each command's handler reports the parsed command through `chosen`. */
function parser(argv: string[], chosen: (choice: Choice) => void): Argv<GlobalArgs> {
  const y = yargs(argv);
  skipHelpCache(y);
  const root = y
    .scriptName('ssm-materialize')
    .usage([...SUMMARY, '', 'Usage: ssm-materialize [command] [options]   (the default command is `write`)'].join('\n'))
    .version(VERSION)
    .strict()
    .exitProcess(false)
    .showHelpOnFail(false)
    .wrap(Math.min(110, terminalColumns() ?? 100))
    .fail((msg, err) => {
      throw err ?? new UsageError(`${unknownArgumentMessage(msg, argv)} (see --help)`);
    })
    .options(globalOptions);
  for (const command of COMMANDS) command.register(root, argv, chosen);
  return root.epilogue(EPILOGUE.join('\n')).help().alias('help', 'h');
}

/**
 * After parsing a command given by name, yargs renders the whole help text
 * in advance, in case the command's handler fails and help is to be shown
 * (yargs 18, lib/command.js: cacheHelpMessage). Our handlers are empty
 * (runCommand dispatches) and help is never shown on a failure
 * (showHelpOnFail(false)), but that rendering, which measures the width of
 * every help line, cost tens of milliseconds of every `write`. `--help`
 * itself renders as before. yargs is pinned; should the internal method
 * move, this does nothing and only the time comes back.
 */
function skipHelpCache(y: Argv): void {
  type Usage = { cacheHelpMessage?: () => void };
  const internals = (y as unknown as { getInternalMethods?: () => { getUsageInstance?: () => Usage } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

function loggerFor(args: GlobalArgs, io: Io): Logger {
  const verbosity: Verbosity = args.quiet ? 'quiet' : args.verbose ? 'verbose' : 'normal';
  return new Logger(io, args['log-format'], verbosity);
}
