import { describe, expect, it } from 'vitest';
import { parseManifest, interpolate } from '../../src/manifest.js';
import { ManifestError } from '../../src/errors.js';

const env = { STAGE: 'prod', OUT: '/srv/app' };
const parse = (text: string, e: Record<string, string | undefined> = env) => parseManifest(text, 'm.yaml', e, '/base');

function problemsOf(text: string, e: Record<string, string | undefined> = env): string[] {
  try {
    parse(text, e);
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).exitCode).toBe(2);
    return (err as ManifestError).problems.map((p) => `${p.line}: ${p.at ? p.at + ': ' : ''}${p.message}`);
  }
  throw new Error('expected the manifest to be refused');
}

describe('manifest v1', () => {
  it('resolves short and long value forms, selectors, prefix and paths', () => {
    const m = parse(`version: 1
region: eu-west-1
prefix: /myapp/\${STAGE}/
outputs:
  - path: \${OUT}/.env
    format: dotenv
    mode: "0640"
    owner: www-data
    group: "33"
    values:
      API_KEY: APPLICATION_SECRET_API_KEY
      DB: { parameter: /other/db/password }
      CERT: { parameter: cert:3 }
      LABELED: tls/cert:prod
      LOG_LEVEL: { parameter: log-level, optional: true, default: info }
    paths:
      - { path: env, recursive: true }
      - /abs/path
`);
    expect(m.region).toBe('eu-west-1');
    expect(m.prefix).toBe('/myapp/prod');
    const o = m.outputs[0]!;
    expect(o.path).toBe('/srv/app/.env');
    expect(o.mode).toBe(0o640);
    expect(o.owner).toBe('www-data');
    expect(o.group).toBe('33');
    expect(o.values.map((v) => [v.key, v.parameter, v.optional, v.default])).toEqual([
      ['API_KEY', '/myapp/prod/APPLICATION_SECRET_API_KEY', false, undefined],
      ['DB', '/other/db/password', false, undefined],
      ['CERT', '/myapp/prod/cert:3', false, undefined],
      ['LABELED', '/myapp/prod/tls/cert:prod', false, undefined],
      ['LOG_LEVEL', '/myapp/prod/log-level', true, 'info'],
    ]);
    expect(o.paths).toEqual([
      { path: '/myapp/prod/env', recursive: true, optional: false, allowKeys: [], line: 17 },
      { path: '/abs/path', recursive: false, optional: false, allowKeys: [], line: 18 },
    ]);
  });

  it('defaults mode to 0600 and resolves relative output paths against the manifest directory', () => {
    const m = parse('version: 1\noutputs:\n  - { path: out/app.env, format: dotenv, values: { A: single } }\n');
    expect(m.outputs[0]!.mode).toBe(0o600);
    expect(m.outputs[0]!.path).toBe('/base/out/app.env');
    expect(m.outputs[0]!.values[0]!.parameter).toBe('single');
  });

  it('reads a plain 0600 as octal, not as decimal 600', () => {
    const m = parse('version: 1\noutputs:\n  - { path: a, format: json, mode: 0640, values: { A: x } }\n');
    expect(m.outputs[0]!.mode).toBe(0o640);
  });

  it('accepts JSON manifests', () => {
    const m = parse(JSON.stringify({ version: 1, outputs: [{ path: '/x/a.json', format: 'json', values: { 'db.host': '/app/db/host' } }] }));
    expect(m.outputs[0]!.values[0]!.parameter).toBe('/app/db/host');
  });

  it('reports every problem at once, each with its line', () => {
    const problems = problemsOf(`version: 1
prefix: myapp
outputs:
  - path: /a/.env
    format: dotenvv
    mode: "0999"
    colour: blue
    values:
      A: /aws/secret
      B: { parameter: "/ok/name:0" }
      C: { parameter: x/y }
      D: { parameter: /bad//name }
      E: { parameter: /p, default: d }
  - format: json
    values: { X: /x }
`);
    const expected = [
      '2: prefix: invalid path "myapp": must start with /',
      '7: outputs[0]: unknown key "colour"',
      '5: outputs[0].format: unknown format "dotenvv"',
      '6: outputs[0].mode: expected an octal mode such as "0600" or "0640"',
      '9: outputs[0].values.A: invalid parameter name "/aws/secret": names beginning with "aws" or "ssm" are reserved',
      '10: outputs[0].values.B: invalid version selector ":0"',
      // C (x/y) is relative to the broken prefix: reported once, at the prefix.
      '12: outputs[0].values.D: invalid parameter name "/bad//name": empty path segment',
      '13: outputs[0].values.E.default: a default is only used with `optional: true`',
      '14: outputs[1]: missing `path`',
    ];
    expect(problems).toHaveLength(expected.length);
    expected.forEach((prefix, i) => expect(problems[i]).toContain(prefix));
  });

  it('refuses an unset ${VAR} instead of substituting an empty string', () => {
    expect(problemsOf('version: 1\nprefix: /app/${STAGE}\noutputs:\n  - { path: /a, format: json, values: { A: x } }\n', {})).toEqual([
      '2: prefix: environment variable STAGE is not set',
    ]);
  });

  it('refuses duplicate keys, aliases, wrong version and non-mapping documents', () => {
    expect(problemsOf('version: 1\nversion: 1\noutputs: []\n')[0]).toMatch(/^2: Map keys must be unique/);
    expect(problemsOf('version: 1\nx: &a 1\noutputs:\n  - { path: /a, format: json, values: { A: *a } }\n')).toEqual([
      expect.stringMatching(/^4: outputs\[0\]\.values\.A: YAML aliases/),
    ]);
    expect(problemsOf('version: 2\noutputs:\n  - { path: /a, format: json, values: { A: x } }\n')).toEqual(['1: version: only `version: 1` is supported']);
    expect(problemsOf('- just\n- a list\n')).toEqual(['1: expected a mapping with `version: 1` and `outputs:`']);
  });

  it('refuses a relative hierarchical name when there is no prefix', () => {
    expect(problemsOf('version: 1\noutputs:\n  - { path: /a, format: json, values: { A: x/y } }\n')).toEqual([
      '3: outputs[0].values.A: "x/y" has no leading slash and the manifest has no `prefix`',
    ]);
  });

  it('refuses two outputs writing the same file and a key defined twice', () => {
    const problems = problemsOf(`version: 1
outputs:
  - { path: /a/x, format: json, values: { A: a } }
  - { path: /a/x, format: yaml, values: { A: a } }
`);
    expect(problems).toEqual(['4: output path /a/x is also written by the output on line 3']);
  });

  it('needs a template for format template and values or paths for every output', () => {
    const problems = problemsOf('version: 1\noutputs:\n  - { path: /a/x, format: template }\n');
    expect(problems).toEqual([
      '3: outputs[0]: format `template` needs `template: path/to/file.tmpl`',
      '3: outputs[0]: an output needs `values`, `paths`, or both',
    ]);
  });
});

describe('interpolate', () => {
  it('substitutes set variables, keeps $${ as a literal and reports unset ones', () => {
    const errors: string[] = [];
    expect(interpolate('/a/${X}/$${Y}', { X: 'x' }, (m) => errors.push(m))).toBe('/a/x/${Y}');
    expect(errors).toEqual([]);
    interpolate('${NOPE} ${1bad}', {}, (m) => errors.push(m));
    expect(errors).toEqual(['environment variable NOPE is not set', 'invalid variable reference ${1bad}']);
  });
});
