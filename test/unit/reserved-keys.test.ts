/**
 * Keys from `paths:` are named by whoever writes parameters there: a name that
 * changes how a program loads or runs is refused (exit 6) unless the manifest
 * allows it on that path entry (issue 8, item 3).
 */
import { describe, expect, it } from 'vitest';
import { ManifestError, ReservedKeyError } from '../../src/errors.js';
import { formatNames, formats } from '../../src/formats/index.js';
import { parseManifest } from '../../src/manifest.js';
import { shellSpecialFamily, untrustedKeyFamily } from '../../src/trust/keys.js';
import { renderOutputs } from '../../src/render.js';
import { resolveFromMemory } from '../helpers/memory-store.js';

const CANARY = 'CANARY-reserved-7d1e';

const resolve = resolveFromMemory;

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('reserved keys from paths', () => {
  it('covers every name the issue lists, by exact name or group', () => {
    const required = [
      'NODE_OPTIONS',
      'LD_PRELOAD',
      'LD_LIBRARY_PATH',
      'LD_AUDIT',
      'DYLD_INSERT_LIBRARIES',
      'PATH',
      'BASH_ENV',
      'ENV',
      'PS0',
      'PS1',
      'PS4',
      'PROMPT_COMMAND',
      'SHELLOPTS',
      'IFS',
      'PYTHONPATH',
      'PYTHONSTARTUP',
      'PYTHONHOME',
      'PYTHONWARNINGS',
      'PERL5OPT',
      'PERL5LIB',
      'RUBYOPT',
      'RUBYLIB',
      'JAVA_TOOL_OPTIONS',
      '_JAVA_OPTIONS',
      'NODE_PATH',
      'GCONV_PATH',
      '_',
    ];
    expect(required.filter((k) => untrustedKeyFamily(k) === undefined)).toEqual([]);
    // Ordinary configuration stays usable without an opt-in.
    const ordinary = ['DB_HOST', 'DB_PASSWORD', 'API_KEY', 'PORT', 'LOG_LEVEL', 'PATHS', 'PSQL_URL', 'ENVIRONMENT', 'LDAP_URL', 'REDIS_URL'];
    expect(ordinary.filter((k) => untrustedKeyFamily(k) !== undefined)).toEqual([]);
    // Issue 16: whole namespaces are refused now, so these need `allow_keys` (breaking).
    expect(['NODE_ENV', 'AWS_REGION'].map(untrustedKeyFamily)).not.toContain(undefined);
    // Every shell-special name is refused from paths too.
    expect(['CDPATH', 'GLOBIGNORE', 'FPATH', 'ZDOTDIR'].every((k) => shellSpecialFamily(k) !== undefined && untrustedKeyFamily(k) !== undefined)).toBe(true);
  });

  // A raw output (`file`) takes one named parameter, never `paths:`; a template needs its template file.
  for (const format of formatNames.filter((f) => formats[f].kind === 'keys')) {
    it(`refuses them in format ${format}: exit 6 naming every parameter and key, never a value`, async () => {
      const err = await failure(
        resolve(`version: 1\noutputs:\n  - { path: out.${format}, format: ${format}, paths: [ { path: /app/env, recursive: true } ] }\n`, {
          '/app/env/db-host': 'db.internal',
          '/app/env/node-options': `--import=data:text/javascript,${CANARY}`,
          '/app/env/ld_preload': CANARY,
          '/app/env/ps0': CANARY,
          '/app/env/python/startup': CANARY,
          '/app/env/_': CANARY,
        }),
      );
      expect(err).toBeInstanceOf(ReservedKeyError);
      const e = err as ReservedKeyError;
      expect(e.exitCode).toBe(6);
      expect(e.refused.map((r) => `${r.key}<-${r.parameter}`).sort()).toEqual([
        'LD_PRELOAD<-/app/env/ld_preload',
        'NODE_OPTIONS<-/app/env/node-options',
        'PS0<-/app/env/ps0',
        'PYTHON_STARTUP<-/app/env/python/startup',
        '_<-/app/env/_',
      ]);
      expect(e.message).toContain('m.yaml:3');
      expect(e.message).toContain('key NODE_OPTIONS from parameter /app/env/node-options: family "interpreter and runtime options');
      expect(e.message).toMatch(/add `allow_keys: \[NODE_OPTIONS\]` on the path entry at \S*m\.yaml:3\n/);
      expect(e.hint).toContain('opt in');
      expect(`${e.message}\n${e.hint}`).not.toContain(CANARY);
    });
  }

  it('allow_keys on the path entry lets exactly those keys through, for that entry only', async () => {
    const resolved = await resolve(
      `version: 1
outputs:
  - path: a.json
    format: json
    paths:
      - { path: /app/env, allow_keys: [PATH, JAVA_TOOL_OPTIONS] }
      - { path: /other }
`,
      { '/app/env/path': '/opt/app/bin', '/app/env/java-tool-options': '-Xmx1g', '/app/env/db': 'x', '/other/a': 'y' },
    );
    expect(resolved[0]!.entries).toEqual([
      ['DB', 'x'],
      ['JAVA_TOOL_OPTIONS', '-Xmx1g'],
      ['PATH', '/opt/app/bin'],
      ['A', 'y'],
    ]);
    // The same key under another entry of the same output is still refused.
    const err = await failure(
      resolve(`version: 1\noutputs:\n  - { path: a.json, format: json, paths: [ { path: /app/env, allow_keys: [PATH] }, /other ] }\n`, {
        '/app/env/path': '/opt/app/bin',
        '/other/path': '/tmp/evil',
      }),
    );
    expect((err as ReservedKeyError).refused).toEqual([
      { output: '/out/a.json', key: 'PATH', parameter: '/other/path', family: expect.stringContaining('search paths') },
    ]);
  });

  it('keys the manifest author names under `values:` stay allowed', async () => {
    const resolved = await resolve('version: 1\noutputs:\n  - { path: a.env, format: dotenv, values: { PATH: /app/path, NODE_OPTIONS: /app/no } }\n', {
      '/app/path': '/opt/bin',
      '/app/no': '--max-old-space-size=512',
    });
    expect(renderOutputs(resolved)[0]!.keys).toEqual(['PATH', 'NODE_OPTIONS']);
  });

  it('validates allow_keys offline, with file and line', () => {
    let err: unknown;
    try {
      parseManifest(
        'version: 1\noutputs:\n  - path: a.env\n    format: dotenv\n    paths:\n      - { path: /a, allow_keys: [path, "LD-X"] }\n      - { path: /b, allow_keys: PATH }\n',
        'm.yaml',
        {},
        '/out',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '6: "path" never matches a key from a path (those are upper case: A-Z, 0-9, _)',
      '6: "LD-X" never matches a key from a path (those are upper case: A-Z, 0-9, _)',
      '7: expected a list of keys, e.g. [PATH]',
    ]);
  });
});
