/**
 * Where a quoting filter may stand, read over the whole template, checked by
 * the real consumers: bash, dash and php run what the template would render
 * to with hostile values; a template whose rendering runs the value's
 * command must be refused (ManifestError naming file:line:col), and every
 * template that is accepted must run nothing from the value.
 *
 * The property puts a placeholder at a random offset of a program written
 * in the language's quoting forms (multi-line strings, `'\''`, `\'`,
 * here-documents, comments), so it lands in code, strings, comments and the
 * middle of words alike.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManifestError, UnrepresentableValueError } from '../../src/errors.js';
import { renderTemplate, templateFilters, templateKeys } from '../../src/formats/template.js';
import { FUZZ_TIMEOUT, SEED } from './fuzz.js';

const PATH = '/repo/deploy/run.sh.tmpl';

type Consumer = 'bash' | 'dash' | 'php';

/**
 * Run `programs` through `run` once per distinct text: a program's outcome
 * depends only on its text (each runs in a fresh directory with the same
 * environment), so a text given twice, such as an accepted rendering equal
 * to the unchecked one, is answered by its one run.
 */
function oncePerText(programs: string[], run: (distinct: string[]) => boolean[]): boolean[] {
  const distinct = [...new Set(programs)];
  const ran = new Map(run(distinct).map((r, i) => [distinct[i]!, r]));
  return programs.map((p) => ran.get(p)!);
}

/** Run each program with `consumer`, each in its own directory; true where it created the file PWNED. */
function runsCommand(consumer: Consumer, programs: string[]): boolean[] {
  return oncePerText(programs, (distinct) => runEach(consumer, distinct));
}

function runEach(consumer: Consumer, programs: string[]): boolean[] {
  const root = mkdtempSync(join(tmpdir(), 'ssm-tmpl-ctx-'));
  try {
    programs.forEach((program, i) => {
      mkdirSync(join(root, String(i)));
      writeFileSync(join(root, String(i), 'program'), program);
    });
    // One shell for all: each program sourced in a subshell of the consumer itself (a fork, not a new process each).
    const run = consumer === 'php' ? 'php -n -d display_errors=0 program' : '. ./program';
    const script = `for d in */; do (cd "$d" && ${run}) </dev/null >/dev/null 2>&1; done; exit 0`;
    const shell = consumer === 'php' ? 'bash' : consumer;
    const args = shell === 'bash' ? ['--norc', '--noprofile', '-c', script] : ['-c', script];
    const res = spawnSync(shell, args, { cwd: root, env: { PATH: process.env.PATH, HOME: root }, stdio: 'ignore', timeout: 300_000 });
    expect(res.status).toBe(0);
    return programs.map((_, i) => existsSync(join(root, String(i), 'PWNED')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Run each JavaScript program in V8 (one node process, a fresh context each, `require` given); true where it created PWNED. */
function runInV8(programs: string[]): boolean[] {
  return oncePerText(programs, runEachInV8);
}

function runEachInV8(programs: string[]): boolean[] {
  const root = mkdtempSync(join(tmpdir(), 'ssm-tmpl-js-'));
  try {
    writeFileSync(join(root, 'programs.json'), JSON.stringify(programs));
    const runner = `
      const vm = require('node:vm'), fs = require('node:fs'), path = require('node:path');
      const programs = JSON.parse(fs.readFileSync('programs.json', 'utf8'));
      const root = process.cwd();
      const ran = programs.map((src, i) => {
        const dir = path.join(root, String(i));
        fs.mkdirSync(dir);
        process.chdir(dir);
        try { vm.runInNewContext(src, { require }, { timeout: 2000 }); } catch {}
        process.chdir(root);
        return fs.existsSync(path.join(dir, 'PWNED'));
      });
      process.stdout.write(JSON.stringify(ran));`;
    const res = spawnSync(process.execPath, ['-e', runner], { cwd: root, env: { PATH: process.env.PATH }, encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(res.status, res.stderr).toBe(0);
    return JSON.parse(res.stdout) as boolean[];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The template rendered with no check at all: what the consumer would get if the placeholder were accepted. */
function substitute(template: string, filter: string, value: string): string {
  return template.replace(/\{\{ X \| \w+ \}\}/g, () => String(templateFilters[filter]!(value)));
}

function refusal(fn: () => unknown): ManifestError | UnrepresentableValueError | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ManifestError || e instanceof UnrepresentableValueError) return e;
    throw e;
  }
  return undefined;
}

/** Values that run `touch PWNED` from whatever quotes or comment they land in. */
const HOSTILE: Record<'sh' | 'php', string[]> = {
  sh: [';touch PWNED;', '$(touch PWNED)', '`touch PWNED`', '\ntouch PWNED\n', "x'\ntouch PWNED\n'", "\\';touch PWNED;#", '"$(touch PWNED)"'],
  php: ['.`touch PWNED`.', '".`touch PWNED`."', '\n`touch PWNED`;\n', '{${`touch PWNED`}}', '*/`touch PWNED`;/*', '\n?><?php `touch PWNED`; ?>'],
};

describe('template placeholders are read in their language across the whole template', { timeout: FUZZ_TIMEOUT }, () => {
  // Each was accepted by the line-only check, and its rendering ran the value under the real consumer.
  const bypasses: Array<{ consumer: Consumer; filter: 'sh' | 'php'; template: string; value: string; at: string }> = [
    { consumer: 'bash', filter: 'sh', template: "A='a'\\''{{ X | sh }}'\n", value: ';touch PWNED;', at: '1:9' },
    { consumer: 'dash', filter: 'sh', template: "A='a'\\''{{ X | sh }}'\n", value: ';touch PWNED;', at: '1:9' },
    { consumer: 'bash', filter: 'sh', template: "MOTD='first line\nsecond {{ X | sh }}'\n", value: ';touch PWNED;', at: '2:8' },
    { consumer: 'bash', filter: 'sh', template: 'cat <<EOF\nvalue: {{ X | sh }}\nEOF\n', value: '$(touch PWNED)', at: '2:8' },
    { consumer: 'bash', filter: 'sh', template: 'echo \\{{ X | sh }}\n', value: ';touch PWNED;#', at: '1:7' },
    { consumer: 'bash', filter: 'sh', template: 'echo ${{ X | sh }}\n', value: "\\';touch PWNED;#", at: '1:7' },
    { consumer: 'php', filter: 'php', template: "<?php\n$greeting = 'it\\'s {{ X | php }}';\n", value: '.`touch PWNED`.', at: '2:20' },
    { consumer: 'php', filter: 'php', template: '<?php\n$motd = "first line\nsecond {{ X | php }}";\n', value: '".`touch PWNED`."', at: '3:8' },
    { consumer: 'php', filter: 'php', template: "<?php\n/* it's\n {{ X | php }} */\n", value: '*/`touch PWNED`;/*', at: '3:2' },
  ];

  it('refuses, at file:line:col, each placeholder whose rendering runs the value (real bash, dash, php)', () => {
    for (const consumer of ['bash', 'dash', 'php'] as const) {
      const cases = bypasses.filter((b) => b.consumer === consumer);
      // The oracle: rendered without any check, each of these runs the command.
      expect(
        runsCommand(
          consumer,
          cases.map((b) => substitute(b.template, b.filter, b.value)),
        ),
      ).toEqual(cases.map(() => true));
      for (const b of cases) {
        const err = refusal(() => templateKeys(b.template, PATH));
        expect(err, b.template).toBeInstanceOf(ManifestError);
        expect((err as ManifestError).problems.map((p) => `${p.line}:${p.column}`)).toEqual([b.at]);
        expect(err!.message).toContain(`${PATH}:${b.at}`);
      }
    }
  });

  it('accepts the same filters in code, across multi-line strings, comments and here-documents, and the consumer reads the value back', () => {
    const sh =
      "# it's a comment\nA='multi\nline \"x\"'\ncat <<'EOF' >/dev/null\n'\nEOF\nB='it'\\''s'\nW=$(echo x){{ X | sh }}\nV={{ X | sh }}\nprintf '%s' \"$V\" > out\n";
    expect(templateKeys(sh, PATH)).toEqual(['X']);
    const php = "<?php\n// it's\n$a = 'it\\'s';\n$b = \"multi\nline ' \";\n$h = <<<EOT\n'\nEOT;\n$v = {{ X | php }};\nfile_put_contents('out', $v);\n";
    expect(templateKeys(php, PATH)).toEqual(['X']);
    for (const [consumer, filter, template] of [
      ['bash', 'sh', sh],
      ['dash', 'sh', sh],
      ['php', 'php', php],
    ] as const) {
      const values = HOSTILE[filter];
      const ran = runsCommand(
        consumer,
        values.map((value) => renderTemplate(template, PATH, [['X', value]])),
      );
      expect(
        values.filter((_, i) => ran[i]),
        consumer,
      ).toEqual([]);
    }
  });

  const shProgram = [
    "A='it'\\''s a \"quote\"'\n",
    'B="x \\"y\\" \'z\' $(echo "in $(echo \'deep\')")"\n',
    "C=$'tab\\t\\'q\\''\n",
    "# a comment with 'an apostrophe\n",
    'echo "multi\nline \'string\'" > /dev/null\n',
    'D=\'multi\nline "sq"\'\n',
    'cat <<EOF >/dev/null\nbody \'x\' "y" $(echo z)\nEOF\n',
    "cat <<'EOF' >/dev/null\nraw $(not run) 'x\nEOF\n",
    "E=`echo 'bq'`\n",
    "F=${A:-'def'}\n",
    'printf \'%s\\n\' "$A" -- plain > /dev/null\n',
    'G=plain; H=$G\n',
  ];
  const phpProgram = [
    "$a = 'it\\'s a \"quote\"';\n",
    '$b = "x \\"y\\" \'z\' {$a}";\n',
    "// a comment with 'an apostrophe\n",
    '# another one, "double"\n',
    '/* block \' " */\n',
    '$c = "multi\nline \'string\'";\n',
    '$d = \'multi\nline "sq"\';\n',
    '$h = <<<EOT\nbody \'x\' "y" {$a}\nEOT;\n',
    "$n = <<<'EOT'\nraw 'x\nEOT;\n",
    '$e = [1, 2];\n',
    "?>\ntext with 'quotes' <?php $f = 1;\n",
  ];

  for (const [consumer, filter] of [
    ['bash', 'sh'],
    ['dash', 'sh'],
    ['php', 'php'],
  ] as const) {
    it(`${consumer}: a ${filter} placeholder at any offset of a real program is accepted only where the value cannot run`, { timeout: 300_000 }, () => {
      const pieces = filter === 'sh' ? shProgram : phpProgram;
      const program = fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 8 }).map((p) => (filter === 'php' ? `<?php\n${p.join('')}` : p.join('')));
      const cases = fc.sample(
        fc.tuple(program, fc.nat(), fc.constantFrom(...HOSTILE[filter])).map(([text, n, value]) => {
          const at = n % (text.length + 1);
          return { template: `${text.slice(0, at)}{{ X | ${filter} }}${text.slice(at)}`, value };
        }),
        { seed: SEED, numRuns: consumer === 'php' ? 100 : 200 },
      );
      const accepted = cases.map((c) => {
        try {
          return renderTemplate(c.template, PATH, [['X', c.value]]);
        } catch (e) {
          if (e instanceof ManifestError || e instanceof UnrepresentableValueError) return undefined;
          throw e;
        }
      });
      const acceptedCases = cases.flatMap((c, i) => (accepted[i] === undefined ? [] : [{ ...c, out: accepted[i] }]));
      // One batch for both: an accepted rendering is usually the unchecked text itself, which then runs once.
      const outcomes = runsCommand(consumer, [...cases.map((c) => substitute(c.template, filter, c.value)), ...acceptedCases.map((c) => c.out)]);
      const unchecked = outcomes.slice(0, cases.length);
      const ran = outcomes.slice(cases.length);
      // Not vacuous: some offsets are dangerous, and some are accepted.
      expect(unchecked.filter(Boolean).length).toBeGreaterThanOrEqual(5);
      expect(acceptedCases.length).toBeGreaterThan(10);
      const slipped = acceptedCases.filter((_, i) => ran[i]).map(({ template, value }) => ({ template, value }));
      expect(slipped).toEqual([]);
    });
  }

  it('node: a json placeholder at any offset of a JavaScript program is accepted only where the value cannot run', { timeout: 300_000 }, () => {
    const pieces = [
      "var a = 'it\\'s a \"quote\"';\n",
      'var b = "x \\"y\\" \'z\'";\n',
      'var c = `tpl ${a} \'q\' "d"`;\n',
      "// a comment with 'an apostrophe\n",
      '/* block \' " */\n',
      '/* it is\n   multi-line */\n',
      'var d = [1, 2];\n',
      'var e = {"k": "v"};\n',
      'var f = a + b;\n',
    ];
    const hostile = [
      "';require('fs').writeFileSync('PWNED','');'",
      "${require('fs').writeFileSync('PWNED','')}",
      "*/require('fs').writeFileSync('PWNED','');/*",
      '\nrequire("fs").writeFileSync("PWNED","")\n',
    ];
    const cases = fc.sample(
      fc.tuple(fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 8 }), fc.nat(), fc.constantFrom(...hostile)).map(([p, n, value]) => {
        const text = p.join('');
        const at = n % (text.length + 1);
        return { template: `${text.slice(0, at)}{{ X | json }}${text.slice(at)}`, value };
      }),
      { seed: SEED, numRuns: 300 },
    );
    const accepted = cases.flatMap((c) => {
      const err = refusal(() => renderTemplate(c.template, '/repo/app.js.tmpl', [['X', c.value]]));
      return err ? [] : [{ ...c, out: renderTemplate(c.template, '/repo/app.js.tmpl', [['X', c.value]]) }];
    });
    const outcomes = runInV8([...cases.map((c) => substitute(c.template, 'json', c.value)), ...accepted.map((c) => c.out)]);
    const unchecked = outcomes.slice(0, cases.length);
    const ran = outcomes.slice(cases.length);
    expect(unchecked.filter(Boolean).length).toBeGreaterThanOrEqual(5);
    expect(accepted.length).toBeGreaterThan(10);
    expect(accepted.filter((_, i) => ran[i]).map(({ template, value }) => ({ template, value }))).toEqual([]);
  });

  it('sh: a value starting with - is refused where it would start a command argument; after -- or = it is written', () => {
    const template = 'ssh -o BatchMode=yes -o ConnectTimeout=1 {{ X | sh }} true\n';
    const value = '-oProxyCommand=touch PWNED';
    // The oracle: the real ssh client runs the proxy command.
    expect(runsCommand('bash', [substitute(template, 'sh', value)])).toEqual([true]);
    const err = refusal(() => renderTemplate(template, PATH, [['X', value]]));
    expect(err).toBeInstanceOf(UnrepresentableValueError);
    expect((err as UnrepresentableValueError).keys).toEqual(['X']);
    expect(err!.message).not.toContain('ProxyCommand');
    expect(err!.message).toContain('cmd -- {{ X | sh }}');
    // With `--` ssh takes it as the host name; as an assignment or after `=` it is a plain word.
    const safe = 'ssh -o BatchMode=yes -o ConnectTimeout=1 -- {{ X | sh }} true\nV={{ X | sh }}\nprintf %s --v={{ X | sh }} >/dev/null\n';
    const out = renderTemplate(safe, PATH, [['X', value]]);
    expect(runsCommand('bash', [out])).toEqual([false]);
    expect(renderTemplate('echo {{ X | sh }}\n', PATH, [['X', 'plain-dash-inside']])).toBe("echo 'plain-dash-inside'\n");
  });
});
