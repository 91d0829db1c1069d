import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import dotenv from 'dotenv';
import fc from 'fast-check';
import { parse as parseHtml } from 'parse5';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ManifestError, UnrepresentableValueError } from '../../src/errors.js';
import { hasNoncharacter, parseSystemdEnvFile } from '../../src/formats/systemd.js';
import { renderTemplate, templateFilters, templateFormat, templateKeys } from '../../src/formats/template.js';
import type { Entries } from '../../src/formats/types.js';
import { CANARY, RUNS, SEED, anyValue, hasLoneSurrogate, FUZZ_TIMEOUT } from './fuzz.js';
import { hasCommand, readWithPyYaml, requireWithPhp, sourceInShell } from './real-consumers.js';

const PATH = '/repo/deploy/app.tmpl';
const inCI = Boolean(process.env.CI);
const hasPhp = hasCommand('php');

function manifestError(fn: () => unknown): ManifestError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ManifestError) return e;
    throw e;
  }
  throw new Error('expected a ManifestError');
}

/** Render `template` once per generated value list; collect the accepted outputs for a batched consumer check. */
function fuzzFilter(filter: string, template: (keys: string[]) => string): Array<{ entries: Entries; content: string }> {
  const out: Array<{ entries: Entries; content: string }> = [];
  fc.assert(
    fc.property(fc.array(anyValue, { minLength: 1, maxLength: 6 }), (values) => {
      const entries: Entries = values.map((v, i) => [`K${i}`, v] as const);
      try {
        out.push({ entries, content: renderTemplate(template(entries.map(([k]) => k)), PATH, entries) });
      } catch (e) {
        expect(e).toBeInstanceOf(UnrepresentableValueError);
        for (const k of (e as UnrepresentableValueError).keys) {
          const v = values[Number(k.slice(1))]!;
          // Only impossible values are refused: lone surrogates, NUL for sh/systemd, dotenv's measured gaps.
          if (filter === 'sh') expect(hasLoneSurrogate(v) || v.includes('\0')).toBe(true);
          else if (filter === 'systemd') expect(hasLoneSurrogate(v) || v.includes('\0') || hasNoncharacter(v)).toBe(true);
          else if (filter !== 'dotenv') expect(hasLoneSurrogate(v)).toBe(true);
        }
      }
    }),
    { seed: SEED, numRuns: Math.ceil(RUNS / 3) },
  );
  return out;
}

describe('template format', { timeout: FUZZ_TIMEOUT }, () => {
  it('substitutes placeholders with their filters and keeps the rest verbatim', () => {
    const text = 'a: {{A|raw}} b: {{ A | json }} c: {{  A  |  sh  }}\nliteral {{ \'{{\' }} and {{ "}}" }} }} {\n<?php {{ B | php }}';
    expect(
      renderTemplate(text, PATH, [
        ['A', "it's"],
        ['B', 'x\\y'],
      ]),
    ).toBe("a: it's b: \"it's\" c: 'it'\\''s'\nliteral {{ and }} }} {\n<?php 'x\\\\y'");
  });

  it('adds no trailing newline: the output is exactly the template', () => {
    expect(renderTemplate('{{ P | raw }}', PATH, [['P', 'secret']])).toBe('secret');
  });

  it('requires an explicit filter and reports every problem with line and column', () => {
    const text = ['ok {{ A | raw }}', 'no filter {{ A }}', '  bad {{ A | nope }} {{ MISSING | json }}', 'open {{ A | raw', '{{ }} {{ A | raw | json }}'].join(
      '\n',
    );
    const err = manifestError(() => renderTemplate(text, PATH, [['A', 'x']]));
    expect(err.exitCode).toBe(2);
    const where = err.problems.map((p) => `${p.file}:${p.line}:${p.column}`);
    expect(where).toEqual([`${PATH}:2:11`, `${PATH}:3:7`, `${PATH}:3:22`, `${PATH}:4:6`, `${PATH}:5:1`, `${PATH}:5:7`]);
    expect(err.problems[0]!.message).toMatch(/no filter.*raw/);
    expect(err.problems[1]!.message).toMatch(/unknown filter "nope"/);
    expect(err.problems[2]!.message).toMatch(/unknown key "MISSING"/);
    expect(err.problems[3]!.message).toMatch(/unclosed/);
    expect(err.message).toContain(`${PATH}:3:22`);
  });

  it('templateKeys lists referenced keys in order, once, and reports syntax errors', () => {
    expect(templateKeys('{{ B | raw }} {{ A | json }} {{ B | sh }} {{ "{{" }}', PATH)).toEqual(['B', 'A']);
    expect(manifestError(() => templateKeys('x\n{{ A | bogus }}', PATH)).problems).toEqual([expect.objectContaining({ file: PATH, line: 2, column: 1 })]);
  });

  it('needs a template in the render context', () => {
    expect(() => templateFormat.render([['A', 'x']], { outputPath: '/out' })).toThrow(ManifestError);
    expect(templateFormat.render([['A', 'x']], { outputPath: '/out', template: { path: PATH, text: '{{ A | raw }}\n' } })).toBe('x\n');
    expect(templateFormat.parse('x', { outputPath: '/out' })).toBeUndefined();
  });

  it('json filter: JSON.parse reads every value back', () => {
    for (const { entries, content } of fuzzFilter('json', (ks) => `[${ks.map((k) => `{{ ${k} | json }}`).join(', ')}]\n`)) {
      expect(JSON.parse(content)).toEqual(entries.map(([, v]) => v));
    }
  });

  it('json filter in an HTML <script>: the browser tokenizer (parse5) sees exactly the JSON, which reads back as the value', () => {
    type Node = { nodeName: string; childNodes?: Node[]; value?: string };
    const scripts = (node: Node): Node[] => [...(node.nodeName === 'script' ? [node] : []), ...(node.childNodes ?? []).flatMap(scripts)];
    const hostile = fc.oneof(
      anyValue,
      fc
        .array(fc.constantFrom('</script>', '</SCRIPT >', '<!--', '-->', '<script>', '<', '>', '&', '&lt;', '\u2028', '\u2029', 'a', '"', "'", '\\'), {
          maxLength: 8,
        })
        .map((a) => a.join('')),
    );
    const template =
      '<!doctype html>\n<html><head>\n<script type="application/json" id="cfg">{{ A | json }}</script>\n<script>window.B = {{ B | json }};</script>\n</head><body><p>Don\'t change this page.</p></body></html>\n';
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        fc.pre(!hasLoneSurrogate(a) && !hasLoneSurrogate(b));
        const page = renderTemplate(template, '/repo/site/index.html.tmpl', [
          ['A', a],
          ['B', b],
        ]);
        const found = scripts(parseHtml(page));
        expect(found).toHaveLength(2);
        const text = found.map((s) => (s.childNodes ?? []).map((t) => t.value ?? '').join(''));
        expect(text[0]).toBe(templateFilters['json']!(a));
        expect(JSON.parse(text[0]!)).toBe(a);
        expect(text[1]).toBe(`window.B = ${String(templateFilters['json']!(b))};`);
        expect(JSON.parse(text[1]!.slice('window.B = '.length, -1))).toBe(b);
        for (const t of text) expect(t).not.toMatch(/[<>&\u2028\u2029]/);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('yaml filter: yaml 1.2, 1.1 and PyYAML read every value back as a string', () => {
    const cases = fuzzFilter('yaml', (ks) => ks.map((k) => `${k}: {{ ${k} | yaml }}\n`).join(''));
    for (const { entries, content } of cases) {
      expect(parseYaml(content)).toEqual(Object.fromEntries(entries));
      expect(parseYaml(content, { version: '1.1' })).toEqual(Object.fromEntries(entries));
    }
    readWithPyYaml(cases.map((c) => c.content)).forEach((r, i) => expect(r).toEqual(Object.fromEntries(cases[i]!.entries)));
  });

  it('sh filter: bash reads every value back and runs nothing', () => {
    const cases = fuzzFilter('sh', (ks) => ks.map((k) => `${k}={{ ${k} | sh }}\n`).join(''));
    const { values, stderr, executed } = sourceInShell('bash', cases);
    expect(stderr).toBe('');
    expect(executed).toBe(false);
    values.forEach((v, i) => expect(v).toEqual(Object.fromEntries(cases[i]!.entries)));
  });

  it('dotenv filter: dotenv.parse reads every accepted value back', () => {
    for (const { entries, content } of fuzzFilter('dotenv', (ks) => ks.map((k) => `${k}={{ ${k} | dotenv }}\n`).join(''))) {
      expect(dotenv.parse(content)).toEqual(Object.fromEntries(entries));
    }
  });

  it('systemd filter: the EnvironmentFile= parser reads every accepted value back', () => {
    for (const { entries, content } of fuzzFilter('systemd', (ks) => ks.map((k) => `${k}={{ ${k} | systemd }}\n`).join(''))) {
      expect(parseSystemdEnvFile(content)).toEqual(Object.fromEntries(entries));
    }
  });

  it.skipIf(!hasPhp && !inCI)('php filter: real PHP reads every value back', () => {
    const cases = fuzzFilter('php', (ks) => `<?php return [${ks.map((k) => `'${k}' => {{ ${k} | php }},`).join('\n')}];\n`);
    requireWithPhp(cases.map((c) => c.content)).forEach((r, i) => expect(r).toEqual(Object.fromEntries(cases[i]!.entries)));
  });

  it('refuses an unrepresentable value by key, never printing it', () => {
    try {
      renderTemplate('{{ A | sh }} {{ B | raw }}', PATH, [
        ['A', `${CANARY}\0`],
        ['B', 'fine'],
      ]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnrepresentableValueError);
      expect((e as UnrepresentableValueError).keys).toEqual(['A']);
      expect(String((e as Error).message) + String((e as Error).stack) + String((e as UnrepresentableValueError).hint)).not.toContain(CANARY);
    }
  });

  it('flags a quoting filter inside quotes the template opened, and json in a YAML template', () => {
    const text = [
      'export A="{{ A | sh }}"',
      "<?php x = '{{ B | php }}'; ?>",
      'ok: {{ C | yaml }}',
      'name: "{{ D | raw }}"',
      '"k": {{ E | json }}, "esc \\" still closed": {{ F | json }}',
      'cmd = `{{ G | dotenv }}`',
      '',
    ].join('\n');
    const err = manifestError(() => templateKeys(text, PATH));
    expect(err.problems.map((p) => [p.line, p.column, p.message.split(', but')[0]])).toEqual([
      [1, 11, '{{ A | sh }} is inside "…" (opened on line 1)'],
      [2, 12, "{{ B | php }} is inside '…' (opened on line 2)"],
      [6, 8, '{{ G | dotenv }} is inside `…` (opened on line 6)'],
    ]);
    const yamlErr = manifestError(() => templateKeys('a: {{ A | json }}\nb: {{ B | yaml }}\n', '/repo/settings.yaml.tmpl'));
    expect(yamlErr.problems.map((p) => p.line)).toEqual([1]);
    expect(yamlErr.problems[0]?.message).toContain('use the yaml filter');
  });

  it('token filter: writes one plain word unchanged, refuses anything that could end an argument, a directive or a block', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        const out = templateFilters['token']!(v);
        if (typeof out === 'string') {
          expect(out).toBe(v);
          expect(v).toMatch(/^[A-Za-z0-9._:/@+=,-]+$/);
        } else expect(v).not.toMatch(/^[A-Za-z0-9._:/@+=,-]+$/);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    for (const bad of ['', 'a b', 'a;b', 'a}', '{', '#x', '$host', '"q"', "'q'", 'a\nb', 'a\\b'])
      expect(typeof templateFilters['token']!(bad), bad).toBe('object');
  });

  it('the nginx starter template refuses a value that would add a location block, and writes host:port as is', () => {
    const dir = join(import.meta.dirname, '../../templates');
    const text = readFileSync(join(dir, 'nginx-upstream.conf.tmpl'), 'utf8');
    const keys = templateKeys(text, 'nginx-upstream.conf.tmpl');
    const plain = Object.fromEntries(keys.map((k) => [k, k === 'SERVER_NAME' ? 'app.example.com' : k === 'UPSTREAM_API_KEY' ? 'k3y-ABC=' : '10.0.0.1:8080']));
    const out = renderTemplate(text, 'nginx-upstream.conf.tmpl', Object.entries(plain));
    expect(out).toContain('    server 10.0.0.1:8080;\n');
    expect(out).toContain('proxy_set_header X-Api-Key k3y-ABC=;');
    const attack = `127.0.0.1:1;\n}\nserver { listen 8081; location /${CANARY} { return 200 $http_x_api_key; } }\nupstream x {\n server 127.0.0.1:2`;
    const err = (() => {
      try {
        renderTemplate(text, 'nginx-upstream.conf.tmpl', Object.entries({ ...plain, BACKEND_PRIMARY: attack }));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UnrepresentableValueError);
    expect((err as UnrepresentableValueError).keys).toEqual(['BACKEND_PRIMARY']);
    expect((err as Error).message).not.toContain(CANARY);
  });

  it('every filter is documented and every starter template renders', () => {
    expect(Object.keys(templateFilters).sort()).toEqual(['dotenv', 'json', 'php', 'raw', 'sh', 'systemd', 'token', 'yaml']);
    const dir = join(import.meta.dirname, '../../templates');
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    for (const f of Object.keys(templateFilters)) expect(readme).toContain(`| \`${f}\` |`);
    const files = readdirSync(dir).filter((f) => f.endsWith('.tmpl'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      const keys = templateKeys(text, f);
      expect(keys.length).toBeGreaterThan(0);
      expect(readme).toContain(f);
      const out = renderTemplate(
        text,
        f,
        keys.map((k) => [k, `value-of-${k}`]),
      );
      expect(out).not.toContain('{{');
      expect(out.endsWith('\n')).toBe(true);
    }
  });

  it.skipIf(!hasPhp && !inCI)('the PHP starter template is valid PHP even for a hostile password', () => {
    const dir = join(import.meta.dirname, '../../templates');
    const text = readFileSync(join(dir, 'config.php.tmpl'), 'utf8');
    const keys = templateKeys(text, 'config.php.tmpl');
    const out = renderTemplate(
      text,
      'config.php.tmpl',
      keys.map((k) => [k, k === 'DB_PORT' ? '5432' : `'; system('id'); \\'${k}`]),
    );
    const [config] = requireWithPhp([out]);
    expect(config).toMatchObject({ 'db.password': "'; system('id'); \\'DB_PASSWORD" });
  });
});
