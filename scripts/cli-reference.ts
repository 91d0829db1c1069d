/**
 * The shell completions (bash, zsh), the man page and docs/commands.md, made
 * from the same command definitions as `--help` (src/commands/*.command.ts,
 * registered in src/cli.ts). scripts/cli-docs.mjs writes them at build time;
 * test/commands/cli-reference.test.ts loads them in real bash, zsh and groff.
 */
import { COMMANDS, EXIT_CODES, NOTES, SUMMARY, VERSION } from '../src/cli.js';
import { globalOptions, type Command, type OptionSpec, type OptionTable } from '../src/commands/definition.js';

export const PROGRAM = 'ssm-materialize';
/** File names, the same in dist/ and in a release. */
export const FILES = { bash: 'ssm-materialize.bash', zsh: '_ssm-materialize', man: 'ssm-materialize.1' } as const;
/** Where the npm package keeps them (package.json `files` holds dist/; `man` points npm at the page). */
export const DIST_DIRS = { bash: 'completions', zsh: 'completions', man: 'man' } as const;

interface Flag {
  name: string;
  spec: OptionSpec;
  /** `--name` and each alias as typed (`-m`, `--fleet`). */
  spellings: string[];
}

/** yargs's own --help and --version, listed with the global options. */
const BUILT_IN: OptionTable = {
  help: { alias: 'h', type: 'boolean', describe: 'Show help' },
  version: { type: 'boolean', describe: 'Show version number' },
};

function flagsOf(table: OptionTable): Flag[] {
  return Object.entries(table)
    .filter(([, spec]) => !spec.hidden)
    .map(([name, spec]) => ({ name, spec, spellings: [`--${name}`, ...aliasesOf(spec).map((a) => (a.length === 1 ? `-${a}` : `--${a}`))] }));
}

function aliasesOf(spec: OptionSpec): string[] {
  return typeof spec.alias === 'string' ? [spec.alias] : [...(spec.alias ?? [])];
}

/** Every flag a command accepts, its own and the global ones. */
export function commandFlags(command: Command): Flag[] {
  return [...flagsOf(command.flags), ...flagsOf(globalOptions), ...flagsOf(BUILT_IN)];
}

const takesValue = (spec: OptionSpec): boolean => spec.type !== 'boolean';
const choicesOf = (spec: OptionSpec): string[] => (spec.choices ?? []).map(String);

/** The value a flag takes, as shown: `N`, `text|json`, `VALUE`; nothing for a switch. */
function metavariable(spec: OptionSpec): string {
  if (!takesValue(spec)) return '';
  if (spec.choices) return choicesOf(spec).join('|');
  return spec.type === 'number' ? 'N' : 'VALUE';
}

function notes(spec: OptionSpec): string[] {
  const out: string[] = [];
  if (spec.demandOption) out.push('required');
  if (spec.array) out.push('repeatable');
  if (spec.default !== undefined && spec.default !== false) out.push(`default: ${String(spec.default)}`);
  return out;
}

const describeOf = (spec: OptionSpec): string => String(spec.describe ?? '');
const defaultCommand = (): Command => COMMANDS.find((c) => c.aliases.includes('$0')) ?? COMMANDS[0]!;

// ---------------------------------------------------------------- bash

/** A bash word list, single-quoted for the script. */
const bashWords = (words: string[]): string => `'${words.join(' ').replace(/'/g, `'\\''`)}'`;

/**
 * The spellings of the flags that take a value, grouped by their choices
 * ('' for any value). One table for every command: a spelling takes a value
 * in every command that has it, or in none (checked here).
 */
function valuedSpellings(): Map<string, string[]> {
  const valued = new Map<string, boolean>();
  const groups = new Map<string, string[]>();
  for (const c of COMMANDS) {
    for (const f of commandFlags(c)) {
      for (const s of f.spellings) {
        if (valued.has(s) && valued.get(s) !== takesValue(f.spec))
          throw new Error(`${s} takes a value in one command and not in another: the completions need a table per command`);
        if (valued.has(s)) continue;
        valued.set(s, takesValue(f.spec));
        if (takesValue(f.spec)) groups.set(choicesOf(f.spec).join(' '), [...(groups.get(choicesOf(f.spec).join(' ')) ?? []), s]);
      }
    }
  }
  return groups;
}

export function bashCompletion(): string {
  const fn = '_ssm_materialize';
  const flagCases = COMMANDS.map((c) => `    ${c.name}) flags=${bashWords(commandFlags(c).flatMap((f) => f.spellings))} ;;`);
  const valueCases = [...valuedSpellings()].map(
    ([choices, spellings]) =>
      `    ${spellings.join('|')}) ${choices ? `COMPREPLY=($(compgen -W ${bashWords(choices.split(' '))} -- "$cur"))` : 'COMPREPLY=()'}; return 0 ;;`,
  );
  return `# bash completion for ${PROGRAM} ${VERSION}; generated from its command definitions (scripts/cli-reference.ts).
# Install: copy to ~/.local/share/bash-completion/completions/${PROGRAM} (or source it from ~/.bashrc).
${fn}() {
  local cur prev command="" i flags
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local commands=${bashWords(COMMANDS.map((c) => c.name))}
  for ((i = 1; i < COMP_CWORD; i++)); do
    # After \`exec ... --\`: the child's command line, completed as bash would.
    if [[ "\${COMP_WORDS[i]}" == "--" ]]; then COMPREPLY=($(compgen -c -- "$cur")); return 0; fi
    if [[ -z "$command" && " $commands " == *" \${COMP_WORDS[i]} "* ]]; then command="\${COMP_WORDS[i]}"; fi
  done
  # A flag that takes a value: its choices, or the shell's default (file names).
  case "$prev" in
${valueCases.join('\n')}
  esac
  case "\${command:-${defaultCommand().name}}" in
${flagCases.join('\n')}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [[ -z "$command" ]]; then
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
  fi
}
complete -o default -F ${fn} ${PROGRAM}
`;
}

// ---------------------------------------------------------------- zsh

/** A zsh single-quoted word. */
const zshQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
/** Text inside an _arguments [description]: brackets and backslashes escaped. */
const zshBracket = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\[/g, '\\[').replace(/]/g, '\\]');
/** Text of a _describe entry or an _arguments message, where a colon ends the field. */
const zshColon = (text: string): string => text.replace(/\\/g, '\\\\').replace(/:/g, '\\:');

function zshSpecs(flags: Flag[]): string[] {
  return flags.flatMap(({ name, spec, spellings }) => {
    const exclusive = spellings.length > 1 ? `(${spellings.join(' ')})` : '';
    const repeat = spec.array ? '*' : '';
    const choices = choicesOf(spec);
    const action = !takesValue(spec)
      ? ''
      : choices.length
        ? `:${zshColon(name)}:(${choices.join(' ')})`
        : spec.type === 'number'
          ? `:${zshColon(name)}: `
          : `:${zshColon(name)}:_files`;
    return spellings.map((s) =>
      zshQuote(`${repeat || exclusive}${s}${takesValue(spec) && s.startsWith('--') ? '=' : ''}[${zshBracket(describeOf(spec))}]${action}`),
    );
  });
}

export function zshCompletion(): string {
  const fn = `_${PROGRAM}`;
  const commands = COMMANDS.map((c) => `    ${zshQuote(`${c.name}:${zshColon(c.description)}`)}`);
  const perCommand = COMMANDS.map((c) => {
    // Numbered, and only the demanded ones: put's `[value..]` exists to be refused, never typed.
    const positionals = Object.entries(c.positionals)
      .filter(([, spec]) => spec.demandOption)
      .map(([key], i) => zshQuote(`${i + 1}:${zshColon(key)}: `));
    return [
      `        ${c.name})`,
      `          _arguments -s -S \\`,
      ...[...zshSpecs(commandFlags(c)), ...positionals].map((s) => `            ${s} \\`),
      `            && ret=0`,
      `          ;;`,
    ].join('\n');
  });
  return `#compdef ${PROGRAM}
# zsh completion for ${PROGRAM} ${VERSION}; generated from its command definitions (scripts/cli-reference.ts).
# Install: copy to a directory in $fpath (e.g. ~/.zfunc, with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc).
${fn}() {
  local curcontext="$curcontext" state line ret=1
  typeset -A opt_args
  local -a commands
  commands=(
${commands.join('\n')}
  )
  # Before a command: the default command's flags, or a command.
  _arguments -C -s -S \\
${zshSpecs(commandFlags(defaultCommand()))
  .map((s) => `    ${s} \\`)
  .join('\n')}
    '1: :->command' \\
    '*:: :->arguments' \\
    && ret=0
  case $state in
    command)
      _describe -t commands '${PROGRAM} command' commands && ret=0
      ;;
    arguments)
      curcontext="\${curcontext%:*}-$words[1]:"
      case $words[1] in
${perCommand.join('\n')}
      esac
      ;;
  esac
  return ret
}
${fn} "$@"
`;
}

// ---------------------------------------------------------------- man page

/** Text for roff: backslashes and a leading dot or quote escaped. */
function roff(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/^([.'])/gm, '\\&$1');
}

/** A flag's spelling in roff: bold, with minus signs (not hyphens) so it can be searched and copied. */
const roffFlag = (spelling: string): string => `\\fB${spelling.replace(/-/g, '\\-')}\\fR`;

function roffOptions(flags: Flag[]): string[] {
  return flags.flatMap(({ spec, spellings }) => {
    const value = metavariable(spec);
    const head =
      [...spellings]
        .sort((a, b) => a.length - b.length)
        .map(roffFlag)
        .join(', ') + (value ? ` \\fI${roff(value)}\\fR` : '');
    const extra = notes(spec);
    return ['.TP', head, roff(describeOf(spec) + (extra.length ? ` (${extra.join('; ')})` : ''))];
  });
}

function roffExamples(command: Command): string[] {
  return command.examples.flatMap(([example, description]) => [
    '.PP',
    '.RS 4',
    '.nf',
    roff(example.replace(/\$0/g, PROGRAM)),
    '.fi',
    '.RE',
    ...(description ? [roff(description)] : []),
  ]);
}

export function manPage(): string {
  const lines = [
    `.\\" ${PROGRAM} ${VERSION}; generated from its command definitions (scripts/cli-reference.ts).`,
    `.TH SSM\\-MATERIALIZE 1 "" "${PROGRAM} ${VERSION}" "User Commands"`,
    '.SH NAME',
    `${PROGRAM} \\- write configuration and secrets from AWS SSM Parameter Store into local files`,
    '.SH SYNOPSIS',
    `.B ${PROGRAM}`,
    '[\\fIcommand\\fR] [\\fIoptions\\fR]',
    '.br',
    ...COMMANDS.map((c) => `.B ${PROGRAM}\n${roff(c.usage)} [\\fIoptions\\fR]${c.name === 'exec' ? ' \\fB\\-\\-\\fR \\fICMD\\fR [\\fIARGS\\fR]' : ''}\n.br`),
    '.SH DESCRIPTION',
    roff(SUMMARY.join(' ')),
    `The default command is \\fB${defaultCommand().name}\\fR.`,
    '.SH OPTIONS',
    'Every command takes these:',
    ...roffOptions([...flagsOf(globalOptions), ...flagsOf(BUILT_IN)]),
    '.SH COMMANDS',
    ...COMMANDS.flatMap((c) => [
      `.SS "${roff(c.usage)}"`,
      roff(c.description),
      ...Object.entries(c.positionals).flatMap(([key, spec]) => ['.TP', `\\fI${roff(key)}\\fR`, roff(describeOf(spec))]),
      ...roffOptions(flagsOf(c.flags)),
      ...renamedNote(c, (old, use) => `${roffFlag(old)} (old name of ${roffFlag(use)}; deprecated)`),
      ...roffExamples(c),
    ]),
    '.SH EXIT STATUS',
    ...EXIT_CODES.flatMap(([code, meaning]) => ['.TP', `.B ${code}`, roff(meaning)]),
    '.SH NOTES',
    roff(NOTES.formats),
    '.PP',
    roff(NOTES.docs),
    '.SH SEE ALSO',
    'README.md and docs/commands.md in the npm package; the emulator on its own: \\fBssm\\-emulator\\fR (packages/emulator/README.md).',
  ];
  return `${lines.join('\n')}\n`;
}

/** The old spellings a command still accepts, as a line each. */
function renamedNote(command: Command, line: (old: string, use: string) => string): string[] {
  const renamed = Object.entries(command.deprecated).flatMap(([old, { use, alias }]) => [
    line(`--${old}`, `--${use}`),
    ...(alias ? [line(`-${alias}`, `--${use}`)] : []),
  ]);
  return renamed.length ? ['.PP', 'Still accepted for one release, with a warning:', ...renamed.flatMap((r) => ['.br', r])] : [];
}

// ---------------------------------------------------------------- docs/commands.md

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function markdownFlags(flags: Flag[]): string[] {
  return [
    '| flag | value | description |',
    '|---|---|---|',
    ...flags.map(({ spec, spellings }) => {
      const extra = notes(spec);
      return `| ${spellings.map((s) => `\`${s}\``).join(', ')} | ${metavariable(spec) ? `\`${cell(metavariable(spec))}\`` : ''} | ${cell(describeOf(spec))}${extra.length ? ` (${cell(extra.join('; '))})` : ''} |`;
    }),
  ];
}

export function commandsMarkdown(): string {
  const sections = COMMANDS.map((c) => {
    const renamed = Object.entries(c.deprecated).flatMap(([old, { use, alias }]) =>
      [`\`--${old}\``, ...(alias ? [`\`-${alias}\``] : [])].map((o) => `${o} (now \`--${use}\`)`),
    );
    return [
      `## ${c.name}`,
      '',
      `\`${PROGRAM} ${c.usage} [options]${c.name === 'exec' ? ' -- CMD [ARGS]' : ''}\`${c.aliases.includes('$0') ? ' (the default command)' : ''}`,
      '',
      `${c.description}.`,
      '',
      ...(Object.keys(c.positionals).length ? [...Object.entries(c.positionals).map(([key, spec]) => `- \`${key}\`: ${describeOf(spec)}`), ''] : []),
      ...markdownFlags(flagsOf(c.flags)),
      '',
      ...(renamed.length ? [`Old spellings, still accepted for one release with a warning: ${renamed.join(', ')}.`, ''] : []),
      ...c.examples.flatMap(([example, description]) => ['```sh', example.replace(/\$0/g, PROGRAM), '```', ...(description ? [`${description}`] : []), '']),
    ].join('\n');
  });
  return `# Commands

<!-- Generated from the command definitions (src/commands/*.command.ts) by scripts/cli-reference.ts;
     test/commands/cli-reference.test.ts fails when this file and the definitions differ.
     Regenerate: node scripts/cli-docs.mjs --docs -->

Every command and flag of \`${PROGRAM}\`, as \`${PROGRAM} COMMAND --help\` prints them.
The same definitions make the shell completions and the man page.

## Shell completions and the man page

The npm package carries them in \`dist/completions/\` and \`dist/man/\`; a release carries
\`${FILES.bash}\`, \`${FILES.zsh}\` and \`${FILES.man}\` beside the executables.

\`\`\`sh
pkg="$(npm root -g)/ssm-materialize/dist"   # or the release directory, without /completions and /man
# bash
mkdir -p ~/.local/share/bash-completion/completions
cp "$pkg/completions/${FILES.bash}" ~/.local/share/bash-completion/completions/${PROGRAM}
# zsh: a directory in $fpath, before compinit in ~/.zshrc: fpath=(~/.zfunc $fpath); autoload -U compinit; compinit
mkdir -p ~/.zfunc && cp "$pkg/completions/${FILES.zsh}" ~/.zfunc/
# man page: \`npm install -g\` installs it (man ${PROGRAM}); elsewhere
man -l "$pkg/man/${FILES.man}"
\`\`\`

## Options of every command

${markdownFlags([...flagsOf(globalOptions), ...flagsOf(BUILT_IN)]).join('\n')}

${sections.join('\n')}
## Exit codes

| code | meaning |
|---|---|
${EXIT_CODES.map(([code, meaning]) => `| ${code} | ${cell(meaning)} |`).join('\n')}
`;
}
