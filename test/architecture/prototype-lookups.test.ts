/**
 * Names from outside must never find an `Object.prototype` member. The rule
 * that keeps src/ and the emulator package so is eslint-rules/prototype-lookups.ts,
 * run over both by `npm run lint`; here it is shown to find each form it
 * forbids (a check that finds nothing proves nothing), and the one lookup
 * every run makes by such a name is checked against the real interpolation.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TSESLint } from '@typescript-eslint/utils';
import tseslint from 'typescript-eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import local from '../../eslint-rules/prototype-lookups.js';
import { interpolate } from '../../src/manifest.js';

/** The rule's findings in one file, with a program of that file alone (as the lint's type information). */
function prototypeLookups(file: string, text: string): string[] {
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    types: ['node'],
    skipLibCheck: true,
    noEmit: true,
  });
  const config = {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { programs: [program] } },
    plugins: { local },
    rules: { 'local/prototype-lookups': 'error' },
  } satisfies TSESLint.FlatConfig.Config;
  return new TSESLint.Linter({ configType: 'flat', cwd: dirname(file) })
    .verify(text, [config], file)
    .map(
      (m) =>
        `${m.line}: ${m.ruleId ?? m.message}: ${text.split('\n')[m.line - 1]?.slice(m.column - 1, m.endColumn === undefined ? undefined : m.endColumn - 1)}`,
    );
}

describe('lookups keyed by names from outside', () => {
  it('finds each form it forbids, and passes the allowed ones (a check that finds nothing proves nothing)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proto-scan-'));
    try {
      const file = join(dir, 'sample.ts');
      const text = `export function sample(r: Record<string, string>, k: string, loose: any, list: string[], i: number): unknown[] {
  const safe = Object.create(null) as Record<string, string>;
  safe[k] = 'x';
  r[k] = 'y';
  return [r[k], k in r, loose[k], safe[k], k in safe, list[i], r['fixed']];
}
`;
      writeFileSync(file, text);
      expect(prototypeLookups(file, text)).toEqual([
        '4: local/prototype-lookups: r[k]',
        '5: local/prototype-lookups: r[k]',
        '5: local/prototype-lookups: k in r',
        '5: local/prototype-lookups: loose[k]',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a manifest ${VAR} named after an Object.prototype member is an unset variable, in a plain object and in process.env', () => {
    for (const env of [{ PATH: '/bin' }, process.env]) {
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
        const errors: string[] = [];
        expect(interpolate(`/app/\${${name}}`, env, (m) => errors.push(m))).toBe(`/app/\${${name}}`);
        expect(errors).toEqual([`environment variable ${name} is not set`]);
      }
    }
  });
});
