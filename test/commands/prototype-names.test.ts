/**
 * Names an ordinary object answers from Object.prototype (`__proto__`,
 * `constructor`, `toString`, ...) arrive from outside as manifest keys,
 * JSON field names under `json: "*"`, chosen `json:` fields and parameter
 * names: each is only a name (in-process main, emulator; Python's json
 * module reads the result). The lint rule eslint-rules/prototype-lookups.ts
 * keeps the code that way; this checks the behaviour end to end.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useInProcessEmulator } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'CANARY';
const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
/** What the key gate leaves to a writer under `json: "*"`: `__proto__` and `constructor` change a JavaScript reader's object (src/trust/keys.ts). */
const GATED = ['__proto__', 'constructor'];
const PLAIN_NAMES = NAMES.filter((n) => !GATED.includes(n));
const tempDir = useTempDir();
const { run } = useInProcessEmulator(
  () => ({
    parameters: [
      { name: '/proto/fields', type: 'SecureString', value: JSON.stringify(Object.fromEntries(NAMES.map((n) => [n, `${CANARY}-field-${n}`]))) },
      { name: '/proto/plain-fields', type: 'SecureString', value: JSON.stringify(Object.fromEntries(PLAIN_NAMES.map((n) => [n, `${CANARY}-field-${n}`]))) },
      ...NAMES.map((n) => ({ name: `/proto/${n}`, type: 'String' as const, value: `${CANARY}-param-${n}` })),
    ],
  }),
  CANARY,
);

/** What Python's json module reads, as [key, value] pairs in file order (no object semantics on our side). */
function pythonPairs(file: string): unknown {
  return JSON.parse(
    execFileSync(
      'python3',
      ['-c', 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]), object_pairs_hook=lambda p: [list(x) for x in p])))', file],
      { encoding: 'utf8' },
    ),
  );
}

describe('prototype member names from outside are only names', () => {
  it('as manifest keys, parameter names, chosen json fields and json "*" fields', async () => {
    const dir = tempDir();
    const m = join(dir, 'm.yaml');
    const quoted = (n: string) => JSON.stringify(n);
    writeFileSync(
      m,
      `version: 1\noutputs:\n  - path: out.json\n    format: json\n    values:\n` +
        NAMES.map((n) => `      ${quoted(`k.${n}`)}: /proto/${n}\n`).join('') +
        `      chosen: { parameter: /proto/fields, json: { ${NAMES.map((n) => `${quoted(`c_${n}`)}: ${quoted(n)}`).join(', ')} } }\n` +
        `      all: { parameter: /proto/plain-fields, json: "*" }\n`,
    );
    const r = await run(['write', '-m', m]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(pythonPairs(join(dir, 'out.json'))).toEqual([
      ['k', NAMES.map((n) => [n, `${CANARY}-param-${n}`])],
      ...NAMES.map((n) => [`c_${n}`, `${CANARY}-field-${n}`]),
      ['all', PLAIN_NAMES.map((n) => [n, `${CANARY}-field-${n}`])],
    ]);
    const check = await run(['check', '-m', m]);
    expect(check.stdout).toContain('up to date');
    expect(check.code).toBe(0);
    writeFileSync(join(dir, 'out.json'), readFileSync(join(dir, 'out.json'), 'utf8').replace(`${CANARY}-param-constructor`, 'edited'));
    const plan = await run(['plan', '-m', m]);
    expect(plan.stdout).toMatch(new RegExp(`0 added, 0 removed, 1 changed, ${6 + 6 + PLAIN_NAMES.length - 1} unchanged\\n {4}~ k\\.constructor`));
  });

  it('under json: "*", the key gate refuses exactly the fields a JavaScript reader treats specially (exit 6, nothing written)', async () => {
    const dir = tempDir();
    const m = join(dir, 'm.yaml');
    writeFileSync(m, 'version: 1\noutputs:\n  - path: out.json\n    format: json\n    values:\n      all: { parameter: /proto/fields, json: "*" }\n');
    const r = await run(['write', '-m', m]);
    expect(r.code).toBe(6);
    const refused = [...r.stderr.matchAll(/key (all\.\S+) from parameter/g)].map((x) => x[1]);
    expect(refused.sort()).toEqual(GATED.map((n) => `all.${n}`).sort());
    expect(r.stderr).not.toContain(CANARY);
    expect(existsSync(join(dir, 'out.json'))).toBe(false);
  });
});
