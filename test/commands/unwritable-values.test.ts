/**
 * Values the .env format cannot express (passwords like those of `aws
 * secretsmanager get-random-password`: ending in a backslash while needing
 * quotes, all three quote kinds with `#`; and a CR) are a fact of the file
 * format, not of the value:
 * - `exec` writes no file: its child gets them exactly (python3 reads its
 *   environment as bytes);
 * - `write` refuses them and `plan` names them by output and key, never the
 *   value, with the ExcludeCharacters a rotation should use;
 * - `put -m MANIFEST NAME` warns before storing one;
 * - every password without a backslash and a backtick fits (a property over
 *   that alphabet, read back by dotenv and Node's util.parseEnv).
 * Real SDK against the emulator, in-process.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getFormat } from '../../src/formats/index.js';
import { readDotenv } from '../helpers/consumers.js';
import { useInProcessEmulator } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'CANARY';
/** Printable ASCII, as get-random-password draws from (space only with IncludeSpace). */
const VALUES = {
  ENDS_IN_BACKSLASH: `${CANARY}#k2/Z+q\\`,
  THREE_QUOTES: `${CANARY}a'b"c\`d#e`,
  CARRIAGE_RETURN: `${CANARY}line1\rline2`,
};
const PLAIN = `${CANARY}-plain`;

const tempDir = useTempDir();
const { run } = useInProcessEmulator(
  () => ({
    parameters: [
      ...Object.entries(VALUES).map(([k, value]) => ({ name: `/app/${k.toLowerCase()}`, type: 'SecureString' as const, value })),
      { name: '/app/plain', type: 'SecureString', value: PLAIN },
    ],
  }),
  CANARY,
);

function manifest(dir: string): string {
  const file = join(dir, 'm.yaml');
  const values = [...Object.keys(VALUES).map((k) => `${k}: /app/${k.toLowerCase()}`), 'PLAIN: /app/plain'].join(', ');
  writeFileSync(file, `version: 1\noutputs:\n  - { path: app.env, format: dotenv, values: { ${values} } }\n`);
  return file;
}

describe('values dotenv cannot express', () => {
  it('exec hands them to the child exactly (its output says format: dotenv, but exec writes no file)', async () => {
    const dir = tempDir();
    const probe = join(dir, 'probe.json');
    const script = `import os, json; json.dump({k: os.environb[k.encode()].hex() for k in ${JSON.stringify([...Object.keys(VALUES), 'PLAIN'])}}, open(${JSON.stringify(probe)}, 'w'))`;
    const r = await run(['exec', '-m', manifest(dir), '--', 'python3', '-c', script]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
    expect(JSON.parse(readFileSync(probe, 'utf8'))).toEqual({ ...Object.fromEntries(Object.entries(VALUES).map(([k, v]) => [k, hex(v)])), PLAIN: hex(PLAIN) });
    expect(existsSync(join(dir, 'app.env'))).toBe(false);
  });

  it('write refuses them (exit 6, nothing written); plan names each by output and key, never the value, with the ExcludeCharacters to use', async () => {
    const dir = tempDir();
    const m = manifest(dir);
    const write = await run(['write', '-m', m]);
    expect(write.code).toBe(6);
    expect(existsSync(join(dir, 'app.env'))).toBe(false);
    const plan = await run(['plan', '-m', m]);
    expect(plan.code).toBe(6);
    expect(plan.stderr).toContain(`${join(dir, 'app.env')}: dotenv: cannot represent the value of "ENDS_IN_BACKSLASH", "THREE_QUOTES", "CARRIAGE_RETURN"`);
    expect(plan.stderr).not.toMatch(/"PLAIN"/);
    expect(plan.stderr).toMatch(/hint: .*`exec` can still pass it; a rotated password fits every \.env file when generated with ExcludeCharacters '\\`'/);
  });

  it('put -m MANIFEST NAME warns, by output, format and key, before storing a value an output cannot write', async () => {
    const dir = tempDir();
    const m = manifest(dir);
    const bad = await run(['put', '/app/ends_in_backslash', '--overwrite', '-m', m], {}, `${CANARY}new#value\\`);
    expect(bad.code).toBe(0);
    expect(bad.stderr).toMatch(
      new RegExp(`^warning: ${join(dir, 'app.env')} \\(dotenv\\) cannot write this value of /app/ends_in_backslash as ENDS_IN_BACKSLASH: `, 'm'),
    );
    expect(bad.stdout).toMatch(/stored \/app\/ends_in_backslash \(SecureString\), version 2/);
    const good = await run(['put', '/app/plain', '--overwrite', '-m', m], {}, `${CANARY}fine#value`);
    expect(good.code).toBe(0);
    expect(good.stderr).toBe('');
  });

  it("every password over printable ASCII and space, without backslash and backtick, is written and read back by dotenv and Node's parser", () => {
    const alphabet = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).filter((c) => c !== '\\' && c !== '`');
    const dotenv = getFormat('dotenv');
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 64 }), (password) => {
        const content = dotenv.render([['PASSWORD', password]], { outputPath: 'app.env' });
        expect(readDotenv(content).PASSWORD).toBe(password);
        expect(parseEnv(content).PASSWORD).toBe(password);
      }),
      { numRuns: 20000 },
    );
  });
});
