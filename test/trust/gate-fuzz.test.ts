/**
 * A fuzz property per gate input (issue 16, "Done when"): random keys an
 * untrusted writer chooses, as parameter names under `paths:` (plain, with
 * `key_prefix`, with `keys:`) and as field names under `json: "*"`, through
 * every key/value format and through `exec`. The real readers check what was
 * written: no key added, renamed or lost, and none from a refused family;
 * when any key is refused, nothing is rendered and the error names exactly
 * the refused keys.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dotenv from 'dotenv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReservedKeyError } from '../../src/errors.js';
import { getFormat } from '../../src/formats/index.js';
import { flattenParsed } from '../../src/formats/nest.js';
import { parseManifest } from '../../src/manifest.js';
import { fetchAll, planFetch } from '../../src/fetch.js';
import { resolveOutputs } from '../../src/resolve.js';
import { renderOutputs } from '../../src/render.js';
import { judgeUntrustedKey, untrustedKeyFamily } from '../../src/trust/keys.js';
import { SEED } from '../formats/fuzz.js';
import { readWithPyYaml, requireWithPhp, sourceInShell } from '../formats/real-consumers.js';
import { runMain } from '../helpers/main.js';
import { MemoryStore } from '../helpers/memory-store.js';
import { documentedPathKey } from '../helpers/path-keys.js';

const FLAT = ['dotenv', 'shell', 'systemd', 'docker'] as const;
const NESTED = ['json', 'yaml', 'php'] as const;

/** Names the old list let through, and ordinary ones, so both outcomes are common. */
const NAMED_SEGMENTS = [
  'java-opts',
  'ld_preload',
  'makeflags',
  'sslkeylogfile',
  'columns',
  'http_proxy',
  'node-options',
  'node-env',
  'aws',
  'region',
  'path',
  'db-host',
  'feature-flags',
  'pip_index_url',
  'sudo-editor',
  'systemd-pager',
  'goflags',
  'port',
  'api-key',
];
const segment = fc.oneof(fc.stringMatching(/^[a-z][a-zA-Z0-9_.-]{0,5}$/), fc.constantFrom(...NAMED_SEGMENTS));
const relName = fc.array(segment, { minLength: 1, maxLength: 2 }).map((s) => s.join('/'));
/** The documented rule, written out independently of src/names.ts. */
const keyOf = documentedPathKey;

/** Read each rendered file with the reader its format names, in one batch per format. */
function readBack(format: string, contents: string[]): Array<Record<string, string> | undefined> {
  switch (format) {
    case 'dotenv':
      return contents.map((c) => ({ ...dotenv.parse(c) }));
    case 'json':
      return contents.map((c) => flattenParsed(JSON.parse(c)));
    case 'yaml':
      // A reader's error comes back as { error }, which equals no expected record.
      return readWithPyYaml(contents);
    case 'php':
      return requireWithPhp(contents);
    default:
      // shell is sourced by bash below; systemd and docker by their own format's reader here.
      return contents.map((c) => getFormat(format).parse(c, { outputPath: 'x' }));
  }
}

interface Rendered {
  format: string;
  content: string;
  expected: Record<string, string>;
}

function check(rendered: Rendered[]): void {
  for (const format of [...FLAT, ...NESTED]) {
    const mine = rendered.filter((r) => r.format === format);
    if (mine.length === 0) continue;
    if (format === 'shell') {
      const { values, stderr, executed } = sourceInShell(
        'bash',
        mine.map((r) => ({ entries: Object.entries(r.expected), content: r.content })),
      );
      expect({ stderr, executed }).toEqual({ stderr: '', executed: false });
      values.forEach((v, i) => expect(v).toEqual(mine[i]!.expected));
      continue;
    }
    readBack(
      format,
      mine.map((r) => r.content),
    ).forEach((got, i) => expect(got, format).toEqual(mine[i]!.expected));
  }
}

const failure = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('gate property: keys from paths', () => {
  it('every format: exactly the expected keys, or a refusal naming exactly the refused ones', async () => {
    const arb = fc.record({
      rels: fc.uniqueArray(relName, { minLength: 1, maxLength: 6, selector: keyOf }),
      format: fc.constantFrom(...FLAT, ...NESTED),
      mode: fc.constantFrom('plain', 'prefix', 'keys'),
      listed: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    });
    const rendered: Rendered[] = [];
    let refusals = 0;
    for (const { rels, format, mode, listed } of fc.sample(arb, { numRuns: 300, seed: SEED })) {
      const prefix = mode === 'prefix' ? 'APP_' : '';
      const finals = rels.map((r) => prefix + keyOf(r));
      const keysList = mode === 'keys' ? finals.filter((k, i) => listed[i] && untrustedKeyFamily(k) === undefined) : undefined;
      const entry = `{ path: /p, recursive: true${prefix ? `, key_prefix: ${prefix}` : ''}${keysList ? `, keys: [${keysList.join(', ') || 'NONE_LISTED'}]` : ''} }`;
      const manifest = parseManifest(`version: 1\noutputs:\n  - path: out\n    format: ${format}\n    paths:\n      - ${entry}\n`, 'm.yaml', {}, '/out');
      const values = Object.fromEntries(rels.map((r, i) => [`/p/${r}`, `value-${i} $(touch pwned) '"\``]));
      const fetched = await fetchAll(new MemoryStore(values), planFetch(manifest));
      const refused = finals.filter((k) => !judgeUntrustedKey(k, { allowKeys: [], keys: keysList }).allowed);
      const err = failure(() => renderOutputs(resolveOutputs(manifest, fetched)));
      if (refused.length) {
        expect(err).toBeInstanceOf(ReservedKeyError);
        expect((err as ReservedKeyError).refused.map((r) => r.key).sort()).toEqual([...refused].sort());
        refusals++;
        continue;
      }
      expect(err).toBeUndefined();
      const [out] = renderOutputs(resolveOutputs(manifest, fetched));
      for (const k of finals) expect(untrustedKeyFamily(k)).toBeUndefined();
      rendered.push({ format, content: out!.content as string, expected: Object.fromEntries(rels.map((r) => [prefix + keyOf(r), values[`/p/${r}`]!])) });
    }
    expect(refusals).toBeGreaterThan(30);
    expect(rendered.length).toBeGreaterThan(30);
    check(rendered);
  });
});

describe('gate property: field names under json "*"', () => {
  const field = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9_<>$@/ =-]{1,8}$/),
    fc.constantFrom(
      '<<',
      '=',
      '__proto__',
      'constructor',
      'prototype',
      '$type',
      '@class',
      'json_class',
      'py/object',
      'java_opts',
      'LD_PRELOAD',
      'makeflags',
      'user',
      'password',
      'host',
    ),
  );

  it('every format: exactly the expected keys, or a refusal naming exactly the refused ones', async () => {
    const arb = fc.record({
      format: fc.constantFrom(...FLAT, ...NESTED),
      fields: fc.uniqueArray(field, { minLength: 1, maxLength: 5, selector: (f) => f.replace(/[^A-Za-z0-9_]/g, '_').toUpperCase() }),
    });
    const rendered: Rendered[] = [];
    let refusals = 0;
    for (const { format, fields } of fc.sample(arb, { numRuns: 300, seed: SEED + 1 })) {
      const nests = (NESTED as readonly string[]).includes(format);
      const keyFor = (f: string) => (nests ? `grp.${f}` : `GRP_${f.replace(/[^A-Za-z0-9_]/g, '_').toUpperCase()}`);
      const object = Object.fromEntries(fields.map((f, i) => [f, `v${i}`]));
      const manifest = parseManifest(
        `version: 1\noutputs:\n  - path: out\n    format: ${format}\n    values:\n      GRP: { parameter: /s, json: "*" }\n`.replace(
          'GRP:',
          nests ? 'grp:' : 'GRP:',
        ),
        'm.yaml',
        {},
        '/out',
      );
      const fetched = await fetchAll(new MemoryStore({ '/s': JSON.stringify(object) }), planFetch(manifest));
      const refused = fields.map(keyFor).filter((k) => !judgeUntrustedKey(k, { allowKeys: [] }).allowed);
      const err = failure(() => renderOutputs(resolveOutputs(manifest, fetched)));
      if (refused.length) {
        expect(err, JSON.stringify(fields)).toBeInstanceOf(ReservedKeyError);
        expect((err as ReservedKeyError).refused.map((r) => r.key).sort()).toEqual([...refused].sort());
        refusals++;
        continue;
      }
      expect(err, JSON.stringify(fields)).toBeUndefined();
      const [out] = renderOutputs(resolveOutputs(manifest, fetched));
      rendered.push({ format, content: out!.content as string, expected: Object.fromEntries(fields.map((f, i) => [keyFor(f), `v${i}`])) });
    }
    expect(refusals).toBeGreaterThan(30);
    expect(rendered.length).toBeGreaterThan(30);
    check(rendered);
  });
});

describe('gate property: exec', () => {
  it("the child's environment is exactly its own plus the accepted keys; a refused key stops the run before the child starts", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssm-gate-exec-'));
    try {
      const cases = fc.sample(fc.uniqueArray(relName, { minLength: 1, maxLength: 4, selector: keyOf }), { numRuns: 24, seed: SEED + 2 });
      let refusals = 0;
      for (const [n, rels] of cases.entries()) {
        const manifestFile = join(dir, `m${n}.yaml`);
        const envFile = join(dir, `env${n}.json`);
        writeFileSync(manifestFile, 'version: 1\noutputs:\n  - { path: app.env, format: dotenv, paths: [ { path: /p, recursive: true } ] }\n');
        const values = Object.fromEntries(rels.map((r, j) => [`/p/${r}`, `v${j}`]));
        const parent = { PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_EC2_METADATA_DISABLED: 'true' };
        const r = await runMain(
          ['exec', '-m', manifestFile, '--', process.execPath, '-e', 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.env))', envFile],
          {
            store: new MemoryStore(values),
            env: parent,
          },
        );
        const refused = rels.map(keyOf).filter((k) => untrustedKeyFamily(k) !== undefined);
        if (refused.length) {
          expect(r.code, r.stderr).toBe(6);
          for (const k of refused) expect(r.stderr).toContain(`key ${k} from parameter`);
          expect(existsSync(envFile)).toBe(false);
          refusals++;
          continue;
        }
        expect(r.code, r.stderr).toBe(0);
        const childEnv = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>;
        const expected: Record<string, string> = { ...parent, ...Object.fromEntries(rels.map((rel, j) => [keyOf(rel), `v${j}`])) };
        // Node itself may add nothing but what the parent passed and the manifest's keys.
        expect(Object.keys(childEnv).sort()).toEqual(Object.keys(expected).sort());
        for (const [k, v] of Object.entries(expected)) expect(childEnv[k]).toBe(v);
      }
      expect(refusals).toBeGreaterThan(3);
      expect(refusals).toBeLessThan(cases.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
