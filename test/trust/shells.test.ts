/**
 * The shell format in every sh-family shell users source it with
 * (`set -a; . file`): bash, dash, busybox ash, zsh, ksh93 and mksh.
 *
 * A key any of them treats specially is refused wherever it comes from, the
 * manifest author's `values:` included (issue 16): mksh evaluates `$(...)`
 * inside the value of its integer variables, so `COLUMNS='a[$(cmd)]'` runs
 * cmd even though the author chose the key. The special names are derived
 * from the shells themselves: every name each shell's binary holds is sourced
 * with a hostile value, and every name that runs code, does not read back or
 * prints the value must be refused by the gate.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManifestError, UnrepresentableValueError } from '../../src/errors.js';
import { shellFormat } from '../../src/formats/shell.js';
import { parseManifest } from '../../src/manifest.js';
import { shellSpecialFamily } from '../../src/trust/keys.js';
import { anyValue, SEED } from '../formats/fuzz.js';

interface Shell {
  name: string;
  argv: string[];
  /** The binary whose strings hold the names the shell knows. */
  binary: string;
  /** A builtin that writes its argument unchanged (mksh has no printf builtin). */
  write: string;
}

const SHELLS: Shell[] = [
  { name: 'bash', argv: ['bash', '--norc', '--noprofile'], binary: 'bash', write: "printf '%s'" },
  { name: 'dash', argv: ['dash'], binary: 'dash', write: "printf '%s'" },
  { name: 'busybox ash', argv: ['busybox', 'ash'], binary: 'busybox', write: "printf '%s'" },
  { name: 'zsh', argv: ['zsh', '-f'], binary: 'zsh', write: 'print -rn --' },
  { name: 'ksh93', argv: ['ksh'], binary: 'ksh93', write: 'print -rn --' },
  { name: 'mksh', argv: ['mksh'], binary: 'mksh', write: 'print -rn --' },
];

const HOSTILE = 'a[$(touch pwned)]';

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'ssm-shells-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Sourced {
  /** Per file, per key: the value the shell holds afterwards (undefined: unset). */
  values: Array<Array<string | undefined>>;
  stderr: string;
  ran: boolean;
}

/**
 * Source each file in turn in one shell process and write every key's value
 * to its own file with a builtin and a redirection: no external command, no
 * separator a value could contain, nothing a sourced PATH or IFS can break.
 */
function sourceAll(shell: Shell, files: Array<{ content: string; keys: readonly string[] }>): Sourced {
  return withDir((dir) => {
    const lines: string[] = [];
    files.forEach((f, i) => {
      writeFileSync(join(dir, `f${i}.sh`), f.content);
      lines.push(`set -a; . ./f${i}.sh; set +a`);
      f.keys.forEach((k, j) => lines.push(`if [ -n "\${${k}+x}" ]; then ${shell.write} "\${${k}}" > v${i}_${j}; fi`));
    });
    const res = spawnSync(shell.argv[0]!, [...shell.argv.slice(1), '-c', lines.join('\n')], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir },
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      timeout: 60_000,
    });
    const values = files.map((f, i) => f.keys.map((_, j) => (existsSync(join(dir, `v${i}_${j}`)) ? readFileSync(join(dir, `v${i}_${j}`), 'utf8') : undefined)));
    return { values, stderr: res.stderr ?? '', ran: existsSync(join(dir, 'pwned')) };
  });
}

/** `export KEY='value'` exactly as the shell format writes an accepted key. */
const exportLine = (key: string, value: string) => `export ${key}='${value.replace(/'/g, `'\\''`)}'\n`;

/** Whether `names`, each assigned HOSTILE together, all read back exactly with no output and nothing run. */
function behaves(shell: Shell, names: string[]): boolean {
  const { values, stderr, ran } = sourceAll(shell, [{ content: names.map((n) => exportLine(n, HOSTILE)).join(''), keys: names }]);
  return !ran && stderr === '' && values[0]!.every((v) => v === HOSTILE);
}

/** Group testing: the names that misbehave on their own, found by halving groups that misbehave. */
function misbehaving(shell: Shell, names: string[]): string[] {
  if (names.length === 0 || behaves(shell, names)) return [];
  if (names.length === 1) return names;
  const mid = names.length >> 1;
  return [...misbehaving(shell, names.slice(0, mid)), ...misbehaving(shell, names.slice(mid))];
}

/** Upper-case names in the shell's binary (what `strings` would list): every variable it knows is among them. */
function namesInBinary(shell: Shell): string[] {
  const which = spawnSync('sh', ['-c', `command -v ${shell.binary}`], { encoding: 'utf8' }).stdout.trim();
  const text = readFileSync(realpathSync(which)).toString('latin1');
  return [...new Set(text.split('\0').filter((s) => /^[A-Z_][A-Z0-9_]{1,30}$/.test(s)))];
}

/** zsh's own list of its special parameters. */
function zshSpecials(): string[] {
  const out = spawnSync('zsh', ['-fc', 'for k in ${(k)parameters}; do [[ ${parameters[$k]} == *special* ]] && print -r -- "$k"; done'], {
    encoding: 'utf8',
  }).stdout;
  return out.split('\n').filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
}

/** Names each ksh lists with an attribute (`typeset -i` integers and friends). */
function kshTyped(shell: Shell, command: string): string[] {
  const out = spawnSync(shell.argv[0]!, [...shell.argv.slice(1), '-c', command], { encoding: 'utf8', env: {} }).stdout;
  return [...out.matchAll(/(?:^|\s)([A-Z_][A-Z0-9_]*)(?==|$)/gm)].map((m) => m[1]!);
}

describe('shell format: special names in bash, dash, busybox ash, zsh, ksh93 and mksh', { timeout: 300_000 }, () => {
  const integerNames = [
    'COLUMNS',
    'LINES',
    'KSHUID',
    'KSHGID',
    'KSHEGID',
    'PGRP',
    'USER_ID',
    'RANDOM',
    'SECONDS',
    'TMOUT',
    'OPTIND',
    'PPID',
    'HISTSIZE',
    'LINENO',
    'BASHPID',
    'PROMPT_EOL_MARK',
  ];

  it('mksh runs a$(cmd) in the value of its integer variables, even under a key the author chose (so refusing them is right)', () => {
    const mksh = SHELLS.find((s) => s.name === 'mksh')!;
    for (const name of ['COLUMNS', 'LINES', 'KSHUID', 'KSHGID', 'KSHEGID', 'PGRP', 'USER_ID']) {
      expect(sourceAll(mksh, [{ content: exportLine(name, HOSTILE), keys: [name] }]).ran, name).toBe(true);
    }
  });

  it('the format refuses those keys from any source: render, and validate for keys under values:', () => {
    for (const name of integerNames) {
      expect(() => shellFormat.render([[name, HOSTILE]], { outputPath: '/srv/env.sh' }), name).toThrow(UnrepresentableValueError);
    }
    let err: unknown;
    try {
      parseManifest(
        'version: 1\noutputs:\n  - path: env.sh\n    format: shell\n    values:\n      COLUMNS: /app/columns\n      DB_HOST: /app/db\n',
        'm.yaml',
        {},
        '/out',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).problems).toEqual([expect.objectContaining({ line: 6, message: 'key "COLUMNS" is not a valid name for format shell' })]);
  });

  for (const shell of SHELLS) {
    it(`${shell.name}: an accepted key holding ${HOSTILE} reads back exactly and runs nothing`, () => {
      const content = shellFormat.render(
        [
          ['DB_HOST', HOSTILE],
          ['APP_COLUMNS', HOSTILE],
          ['GREETING', "it's `id` $(id) ${HOME}"],
        ],
        { outputPath: '/srv/env.sh' },
      );
      const r = sourceAll(shell, [{ content, keys: ['DB_HOST', 'APP_COLUMNS', 'GREETING'] }]);
      expect(r).toEqual({ values: [[HOSTILE, HOSTILE, "it's `id` $(id) ${HOME}"]], stderr: '', ran: false });
    });

    it(`${shell.name}: every name the shell treats specially (asked of the shell itself) is refused`, () => {
      const candidates = new Set(namesInBinary(shell));
      if (shell.name === 'zsh') for (const n of zshSpecials()) candidates.add(n);
      if (shell.name === 'mksh') for (const n of kshTyped(shell, 'typeset -i')) candidates.add(n);
      if (shell.name === 'ksh93') for (const n of kshTyped(shell, 'typeset -p')) candidates.add(n);
      const names = [...candidates].filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
      const found: string[] = [];
      for (let i = 0; i < names.length; i += 64) found.push(...misbehaving(shell, names.slice(i, i + 64)));
      expect(found.length, 'the probe finds the specials it should (OPTIND misbehaves in every shell but busybox ash)').toBeGreaterThan(0);
      expect(found.filter((n) => shellSpecialFamily(n) === undefined)).toEqual([]);
    });
  }

  it("zsh: every parameter zsh calls special is refused, except PATH, HOME and TERM, which read back (the author's choice)", () => {
    const specials = zshSpecials();
    expect(specials).toEqual(expect.arrayContaining(['PROMPT', 'COLUMNS', 'LINES', 'path', 'options']));
    expect(specials.filter((n) => shellSpecialFamily(n) === undefined).sort()).toEqual(['HOME', 'PATH', 'TERM']);
  });

  it('property: random keys and values through the shell format read back exactly in every shell, or are refused', () => {
    const specials = [
      ...integerNames,
      'IFS',
      'ENV',
      'PS1',
      'PS4',
      'CDPATH',
      'LANG',
      'LC_ALL',
      'HISTFILE',
      'path',
      'options',
      'status',
      '_',
      'FPATH',
      'BASH_ENV',
      'ZDOTDIR',
      'MAILCHECK',
      'FUNCNEST',
      'SHLVL',
      'OPTARG',
      'KEYBOARD_HACK',
      'WORDCHARS',
    ];
    const key = fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,7}$/) },
      { weight: 2, arbitrary: fc.constantFrom(...specials) },
      { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/) },
    );
    const value = fc.oneof(anyValue, fc.constantFrom(HOSTILE, '$(touch pwned)', '`touch pwned`', '%(e:touch pwned:)', "'; touch pwned; '"));
    const cases = fc.sample(fc.uniqueArray(fc.tuple(key, value), { minLength: 1, maxLength: 4, selector: ([k]) => k }), { numRuns: 300, seed: SEED });
    const accepted: Array<{ content: string; keys: string[]; values: string[] }> = [];
    let refused = 0;
    for (const entries of cases) {
      try {
        const content = shellFormat.render(entries, { outputPath: '/srv/env.sh' });
        accepted.push({ content, keys: entries.map(([k]) => k), values: entries.map(([, v]) => v) });
      } catch (e) {
        expect(e).toBeInstanceOf(UnrepresentableValueError);
        const keys = (e as UnrepresentableValueError).keys;
        // Refused only for a special key or a value no shell can hold (NUL, lone surrogate, over-long).
        for (const k of keys) {
          const v = entries.find(([kk]) => kk === k)![1];
          expect(shellSpecialFamily(k) !== undefined || v.includes('\0') || /\p{Cs}/u.test(v) || v.length > 100_000, k).toBe(true);
        }
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(60);
    for (const shell of SHELLS) {
      const r = sourceAll(shell, accepted);
      expect({ stderr: r.stderr, ran: r.ran }, shell.name).toEqual({ stderr: '', ran: false });
      r.values.forEach((vals, i) => expect(vals, `${shell.name}: ${accepted[i]!.keys.join(',')}`).toEqual(accepted[i]!.values));
    }
  });
});
