/**
 * The shell completions, the man page and docs/commands.md come from the
 * command definitions that make `--help` (scripts/cli-reference.ts): every
 * flag of every command is in each of them, the bash completion completes in
 * real bash, the zsh one loads through compinit and completes in a real
 * interactive zsh, and groff and man render the page without a warning.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli.js';
import { globalOptions } from '../../src/commands/definition.js';
import { DIST_DIRS, FILES, bashCompletion, commandFlags, commandsMarkdown, manPage, zshCompletion } from '../../scripts/cli-reference.js';
import { useTempDir } from '../helpers/tmp.js';

const ROOT = join(import.meta.dirname, '..', '..');
const tempDir = useTempDir();
/** A bare environment, as CI has it: no HOME, no SHELL. */
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', TERM: 'dumb' };

function run(command: string, args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { env: ENV, encoding: 'utf8', input, timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function written(kind: keyof typeof FILES, text: string): string {
  const dir = tempDir();
  const file = join(dir, FILES[kind]);
  writeFileSync(file, text);
  return file;
}

/** What the bash completion offers for these words (the last one is being typed). */
function bashComplete(script: string, words: string[]): string[] {
  const array = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = run('bash', [
    '--norc',
    '--noprofile',
    '-c',
    `source "$1"; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _ssm_materialize; printf '%s\\n' "\${COMPREPLY[@]}"`,
    'bash',
    script,
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe('generated from the command definitions', () => {
  it('docs/commands.md is what the definitions make (regenerate: node scripts/cli-docs.mjs --docs)', () => {
    expect(readFileSync(join(ROOT, 'docs', 'commands.md'), 'utf8')).toBe(commandsMarkdown());
  });

  it('the npm package ships exactly what the generator makes (dist/, built by npm run build)', () => {
    const made = { bash: bashCompletion(), zsh: zshCompletion(), man: manPage() };
    for (const kind of ['bash', 'zsh', 'man'] as const) expect(readFileSync(join(ROOT, 'dist', DIST_DIRS[kind], FILES[kind]), 'utf8'), kind).toBe(made[kind]);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { man: string[]; files: string[] };
    // A list: npm links only a list's pages into the prefix's share/man on a global install.
    expect(pkg.man).toEqual([`dist/${DIST_DIRS.man}/${FILES.man}`]);
    expect(pkg.files).toContain('dist');
  });

  it('every flag of every command, with each alias, is in the bash and zsh completions, the man page and docs/commands.md', () => {
    const bash = bashCompletion();
    const zsh = zshCompletion();
    const man = manPage();
    const docs = commandsMarkdown();
    const section = (text: string, start: string, end: RegExp): string => {
      const from = text.indexOf(start);
      expect(from, start).toBeGreaterThanOrEqual(0);
      const rest = text.slice(from + start.length);
      const to = rest.search(end);
      return to < 0 ? rest : rest.slice(0, to);
    };
    const manGlobal = section(man, '.SH OPTIONS', /^\.SH /m);
    const docsGlobal = section(docs, '## Options of every command', /^## /m);
    let checked = 0;
    for (const command of COMMANDS) {
      const bashFlags = new RegExp(`^ {4}${command.name}\\) flags='([^']*)'`, 'm').exec(bash)?.[1]?.split(' ') ?? [];
      const zshBlock = section(zsh, `        ${command.name})\n`, /^ {10};;/m);
      const manBlock = section(man, `.SS "${command.usage}"`, /^\.S[SH] /m);
      const docsBlock = section(docs, `## ${command.name}\n`, /^## /m);
      for (const flag of commandFlags(command)) {
        const global = flag.name in globalOptions || flag.name === 'help' || flag.name === 'version';
        for (const spelling of flag.spellings) {
          const where = `${command.name} ${spelling}`;
          expect(bashFlags, where).toContain(spelling);
          expect(zshBlock, where).toContain(`${spelling}${spelling.startsWith('--') && flag.spec.type !== 'boolean' ? '=' : ''}[`);
          expect(global ? manGlobal : manBlock, where).toContain(`\\fB${spelling.replace(/-/g, '\\-')}\\fR`);
          expect(global ? docsGlobal : docsBlock, where).toContain(`\`${spelling}\``);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(150);
  });
});

describe('the bash completion, sourced in real bash', () => {
  const script = () => written('bash', bashCompletion());

  it("completes the commands, then a command's own flags and no other's", () => {
    const file = script();
    expect(bashComplete(file, ['ssm-materialize', ''])).toEqual(COMMANDS.map((c) => c.name));
    expect(bashComplete(file, ['ssm-materialize', 'pl'])).toEqual(['plan']);
    expect(bashComplete(file, ['ssm-materialize', 'plan', '--q'])).toEqual(['--quota', '--quiet']);
    expect(bashComplete(file, ['ssm-materialize', 'put', '/app/key', '--k'])).toEqual(['--kms-key', '--keep-trailing-newline']);
    // policy has --kms-key too, but not put's --keep-trailing-newline.
    expect(bashComplete(file, ['ssm-materialize', 'policy', '--k'])).toEqual(['--kms-key', '--key-policy', '--key-admin']);
    // No command yet: the default command's (write's) flags.
    expect(bashComplete(file, ['ssm-materialize', '--keep'])).toEqual(['--keep-last-good']);
    // Old spellings are accepted, not offered.
    expect(bashComplete(file, ['ssm-materialize', 'init', '--o'])).toEqual([]);
  });

  it("completes a flag's choices, and leaves other values to the shell's file names", () => {
    const file = script();
    expect(bashComplete(file, ['ssm-materialize', 'put', '/app/key', '--type', 'Str'])).toEqual(['String', 'StringList']);
    expect(bashComplete(file, ['ssm-materialize', 'write', '--log-format', ''])).toEqual(['text', 'json']);
    expect(bashComplete(file, ['ssm-materialize', 'write', '-m', ''])).toEqual([]);
  });

  it('after exec ... --, completes the child command from PATH', () => {
    expect(bashComplete(script(), ['ssm-materialize', 'exec', '-m', 'm.yaml', '--', 'bas'])).toContain('bash');
  });

  it('registers itself for ssm-materialize', () => {
    const r = run('bash', ['--norc', '--noprofile', '-c', 'source "$1"; complete -p ssm-materialize', 'bash', script()]);
    expect(r.stdout.trim()).toBe('complete -o default -F _ssm_materialize ssm-materialize');
  });
});

describe('the zsh completion, in real zsh', () => {
  it('parses, and compinit finds it in $fpath for ssm-materialize', () => {
    const file = written('zsh', zshCompletion());
    expect(run('zsh', ['-n', file]).code).toBe(0);
    const dir = join(file, '..');
    const r = run('zsh', ['-f', '-c', `fpath=(${dir} $fpath); autoload -U compinit; compinit -u -D; print -r -- "$_comps[ssm-materialize]"`]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('_ssm-materialize');
  });

  it('completes a command, a flag, a flag of a command and its choices, typed with TAB in an interactive zsh', () => {
    const dir = join(written('zsh', zshCompletion()), '..');
    // zsh/zpty drives an interactive zsh; a function named ssm-materialize prints the completed line when Enter runs it.
    const inputs = [
      'ssm-materialize pl\t\n',
      'ssm-materialize put /x --kms\talias/K\n',
      'ssm-materialize init --fo\t\n',
      'ssm-materialize -m f --log-f\tj\t\n',
      'ssm-materialize put /x --ty\tStringL\t\n',
    ];
    const driver = [
      'zmodload zsh/zpty',
      `zpty z "env -i PATH=${ENV.PATH} TERM=dumb zsh -f -i"`,
      `zpty -w z "PS1='> '; fpath=(${dir} \\$fpath); autoload -U compinit; compinit -u -D; ssm-materialize() { print -r -- \\"ARGS:\\$*:END\\" }; print LOADED:\\$_comps[ssm-materialize]:END"`,
      "zpty -r -m z out '*LOADED:_*:END*'", // the result, not the echo of the command ($_comps)
      ...inputs.flatMap((input) => [`zpty -w -n z ${zshString(input)}`, "zpty -r -m z out '*ARGS:*:END*'", 'print -r -- "${${out##*ARGS:}%%:END*}"']),
      'zpty -d z',
    ].join('\n');
    const r = run('zsh', ['-f', '-c', driver]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['plan', 'put /x --kms-key=alias/K', 'init --force', '-m f --log-format=json', 'put /x --type=StringList']);
  });
});

/** A zsh $'...' string. */
function zshString(text: string): string {
  return `$'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\t/g, '\\t').replace(/\n/g, '\\n')}'`;
}

describe('the man page', () => {
  it('renders with groff and man, with every warning on and none given', () => {
    const file = written('man', manPage());
    const groff = run('groff', ['-man', '-Tutf8', '-ww', '-z', file]);
    expect(groff.stderr).toBe('');
    expect(groff.code).toBe(0);
    for (const width of ['60', '80', '120']) {
      const r = spawnSync('man', ['--warnings', '-l', file], { env: { ...ENV, MANWIDTH: width, MANPAGER: 'cat', PAGER: 'cat' }, encoding: 'utf8' });
      expect(r.stderr, `MANWIDTH=${width}`).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('SSM-MATERIALIZE(1)');
      for (const command of COMMANDS) expect(r.stdout).toContain(`ssm-materialize ${command.usage}`);
    }
  });
});
