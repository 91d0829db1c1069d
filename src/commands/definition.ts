/**
 * What a command is on the command line: its name, help text, flags and
 * examples, declared as data beside the function that runs it. cli.ts
 * registers every definition with yargs; the same data makes the shell
 * completions, the man page and docs/commands.md (scripts/cli-docs.mjs), so
 * `--help` and those never disagree. The argument types of `run` follow from
 * the option tables through yargs's own types (`InferredOptionTypes`).
 *
 * A definition module stays light: it imports its handler with `import()`
 * inside `run`, so start-up (`--version`, `--help`, the chosen command) loads
 * only what the chosen command needs.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes, Options, PositionalOptions } from 'yargs';
import { UsageError } from '../errors.js';
import { own, setOwn } from '../records.js';
import type { Io, Logger } from '../log.js';
import type { StoreOpener } from '../store.js';
import type { PutIo } from './put.js';

/** A flag, or with `positional: true` a positional argument (`<name>` when demanded, `[name..]` when an array). */
export type OptionSpec = Options & { positional?: true };
export type OptionTable = Record<string, OptionSpec>;

/** Options every command has (yargs adds --help and --version). */
export const globalOptions = {
  quiet: {
    alias: 'q',
    type: 'boolean',
    default: false,
    describe: 'Print only errors, and the warnings of a degraded run (fallback region, last good files kept)',
  },
  verbose: { alias: 'v', type: 'boolean', default: false, describe: 'Also print API calls, counts and timings (never values)' },
  'log-format': { choices: ['text', 'json'], default: 'text', describe: 'text for people; json: one object per line, for deploy logs' },
} as const satisfies OptionTable;

export type GlobalArgs = InferredOptionTypes<typeof globalOptions>;

/** What `main` is given besides argv: output, the environment and, optionally, stdin and the store factory. */
export interface MainIo extends Io {
  env: NodeJS.ProcessEnv;
  stdin?: PutIo['stdin'];
  /** Opens the store for write/plan/check/exec; default: the AWS store (src/aws/ssm.ts). Tests inject an in-memory one. */
  openStore?: StoreOpener;
}

/** What a command's `run` gets besides its arguments. */
export interface CommandContext {
  io: MainIo;
  log: Logger;
  /** `exec -m F -- CMD ARGS`: the words after `--`, untouched by yargs. */
  childCommand: string[];
}

/** The parsed arguments of a command with options O, as yargs types them. */
export type CommandArgs<O extends OptionTable> = ArgumentsCamelCase<Omit<GlobalArgs, keyof O> & InferredOptionTypes<O>>;

export interface CommandSpec<O extends OptionTable> {
  name: string;
  /** Other names; `$0` makes it the default command. */
  aliases?: readonly string[];
  description: string;
  /** Its flags and, marked `positional: true`, its positional arguments in order. */
  options: O;
  /**
   * Old spellings of renamed flags (old -> new name), still accepted for one
   * release with a warning on stderr that names the new spelling; `alias`:
   * the old one-letter alias, warned about the same way.
   */
  deprecated?: Readonly<Record<string, Rename<keyof O & string>>>;
  examples?: ReadonlyArray<readonly [command: string, description: string]>;
  run(args: CommandArgs<O>, context: CommandContext): number | Promise<number>;
}

/** A command ready to register: its spec as data (help, completions, man page) and a typed registration. */
export interface Command {
  name: string;
  aliases: readonly string[];
  description: string;
  /** The positional arguments, in order. */
  positionals: OptionTable;
  /** The flags (positionals excluded). */
  flags: OptionTable;
  deprecated: Readonly<Record<string, Rename>>;
  examples: ReadonlyArray<readonly [string, string]>;
  /** The yargs command string, e.g. `put <name> [value..]`. */
  usage: string;
  /** `argv`: the words given, to tell which spelling of a renamed flag was typed. */
  register(y: Argv<GlobalArgs>, argv: readonly string[], chosen: (choice: Choice) => void): Argv<GlobalArgs>;
}

export interface Rename<Name extends string = string> {
  use: Name;
  alias?: string;
}

/** The command yargs parsed, ready to run. */
export interface Choice {
  name: string;
  /** Notes for the log once it exists: the deprecated spellings used. */
  warnings: DeprecationWarning[];
  run(context: CommandContext): number | Promise<number>;
}

export interface DeprecationWarning {
  flag: string;
  use: string;
}

/**
 * A command from its spec: the spec's data for help, completions and the man
 * page, and a `register` in which yargs types the arguments `run` gets.
 */
export function defineCommand<const O extends OptionTable>(spec: CommandSpec<O>): Command {
  const positionals: OptionTable = Object.fromEntries(Object.entries(spec.options).filter(([, o]) => o.positional));
  const flags: OptionTable = Object.fromEntries(Object.entries(spec.options).filter(([, o]) => !o.positional));
  const deprecated: Readonly<Record<string, Rename>> = spec.deprecated ?? {};
  const usage = [spec.name, ...Object.entries(positionals).map(([key, o]) => (o.demandOption ? `<${key}>` : `[${key}${o.array ? '..' : ''}]`))].join(' ');
  return {
    name: spec.name,
    aliases: spec.aliases ?? [],
    description: spec.description,
    positionals,
    flags,
    deprecated,
    examples: spec.examples ?? [],
    usage,
    register: (y, argv, chosen) => {
      const warnings: DeprecationWarning[] = [];
      return y.command(
        [usage, ...(spec.aliases ?? [])],
        spec.description,
        (b) => {
          const built = b.options(spec.options);
          // Declared with the options (for their types), then shown and parsed as positionals.
          for (const [key, o] of Object.entries(positionals)) built.positional(key, positional(o));
          for (const [old, rename] of Object.entries(deprecated)) built.option(old, oldSpelling(own(spec.options, rename.use), rename));
          built.middleware((parsed) => renameOld(parsed, { argv, deprecated, options: spec.options, warnings }), true);
          for (const [command, description] of spec.examples ?? []) built.example(command, description);
          return built;
        },
        (args) => chosen({ name: spec.name, warnings, run: (context) => spec.run(args, context) }),
      );
    },
  };
}

/** What yargs takes for a positional argument (it keeps no other keys). */
function positional({ type, describe, array }: OptionSpec): PositionalOptions {
  return { type: type === 'string' || type === 'number' || type === 'boolean' ? type : undefined, describe, array };
}

/** The old spelling: parsed like the new one, hidden from help, with no default of its own. */
function oldSpelling(current: Options | undefined, { use, alias }: Rename): Options {
  return { type: current?.type, array: current?.array, alias, hidden: true, describe: `old name of --${use}` };
}

interface Renames {
  argv: readonly string[];
  deprecated: Readonly<Record<string, Rename>>;
  options: OptionTable;
  warnings: DeprecationWarning[];
}

/**
 * Before validation: the value of an old spelling moves to the new name, and
 * its use is recorded. Both spellings at once is a usage error, not a guess.
 */
function renameOld(parsed: Record<string, unknown>, { argv, deprecated, options, warnings }: Renames): void {
  for (const [old, { use: current, alias }] of Object.entries(deprecated)) {
    const value = own(parsed, old);
    if (value === undefined) continue;
    if (typed(argv, current, own(options, current)?.alias)) throw new UsageError(`--${old} is the old name of --${current}: give --${current} only`);
    const spelled = alias !== undefined && !typed(argv, old, undefined) ? `-${alias}` : `--${old}`;
    warnings.push({ flag: spelled, use: `--${current}` });
    setOwn(parsed, current, value);
    setOwn(parsed, camelCase(current), value);
  }
}

/** Whether the words before `--` spell this flag (`--name`, `--name=V`, or a one-letter alias, also bundled as in `-qm`). */
function typed(argv: readonly string[], name: string, alias: Options['alias']): boolean {
  const words = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  const letters = (typeof alias === 'string' ? [alias] : (alias ?? [])).filter((a) => a.length === 1);
  return words.some((w) => w === `--${name}` || w.startsWith(`--${name}=`) || (/^-[^-]/.test(w) && letters.some((l) => w.slice(1).split('=')[0]!.includes(l))));
}

function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
