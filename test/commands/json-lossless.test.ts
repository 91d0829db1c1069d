/**
 * JSON expansion keeps every number exactly as the secret wrote it, and a
 * value nested too deep to expand is refused by parameter name (exit 6)
 * instead of crashing the run. In-process main against the emulator.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDotenv, readJson } from '../helpers/consumers.js';
import { useInProcessEmulator } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'CANARY';
const REF = '/aws/reference/secretsmanager';
const NUMBERS = `{"big": 12345678901234567890, "dec": 1.10, "huge": 1e400, "neg": -0.0, "pw": "${CANARY}-pw", "conn": {"port": 5432.0, "ids": [1.10, 2E+5, 12345678901234567890]}}`;
// About 64 KiB: the most Secrets Manager holds, nested as deep as that allows.
const DEPTH = 32_000;
const DEEP = `{"a":${'['.repeat(DEPTH)}"${CANARY}"${']'.repeat(DEPTH)}}`;

const tempDir = useTempDir();
const { run } = useInProcessEmulator(
  () => ({
    parameters: [{ name: '/app/numbers', type: 'String', value: NUMBERS }],
    secrets: [
      { name: 'prod/numbers', value: NUMBERS },
      { name: 'prod/deep', value: DEEP },
    ],
  }),
  CANARY,
);

function manifest(dir: string, body: string): string {
  const file = join(dir, 'materialize.yaml');
  writeFileSync(file, `version: 1\noutputs:\n${body}`);
  return file;
}

describe('lossless json expansion', () => {
  it('numbers keep their source text under chosen fields and "*", in dotenv and json', async () => {
    const dir = tempDir();
    const file = manifest(
      dir,
      `  - path: app.env
    format: dotenv
    values:
      n: { parameter: ${REF}/prod/numbers, json: { BIG: big, DEC: dec, HUGE: huge, NEG: neg, CONN: conn, IDS: conn.ids } }
      ALL: { parameter: /app/numbers, json: "*" }
  - path: config.json
    format: json
    values:
      n: { parameter: ${REF}/prod/numbers, json: "*" }
`,
    );
    const r = await run(['write', '-m', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8'))).toEqual({
      BIG: '12345678901234567890',
      DEC: '1.10',
      HUGE: '1e400',
      NEG: '-0.0',
      CONN: '{"port":5432.0,"ids":[1.10,2E+5,12345678901234567890]}',
      IDS: '[1.10,2E+5,12345678901234567890]',
      ALL_BIG: '12345678901234567890',
      ALL_DEC: '1.10',
      ALL_HUGE: '1e400',
      ALL_NEG: '-0.0',
      ALL_PW: `${CANARY}-pw`,
      ALL_CONN_PORT: '5432.0',
      ALL_CONN_IDS: '[1.10,2E+5,12345678901234567890]',
    });
    expect(readJson(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({
      n: {
        big: '12345678901234567890',
        dec: '1.10',
        huge: '1e400',
        neg: '-0.0',
        pw: `${CANARY}-pw`,
        conn: { port: '5432.0', ids: '[1.10,2E+5,12345678901234567890]' },
      },
    });
  });

  it('a value nested about 32,000 levels deep (64 KiB) is refused by parameter name, exit 6, nothing written', async () => {
    expect(DEEP.length).toBeLessThanOrEqual(65_536);
    const dir = tempDir();
    for (const json of ['"*"', '{ A: a }']) {
      const r = await run([
        'write',
        '-m',
        manifest(dir, `  - path: a.env\n    format: dotenv\n    values:\n      D: { parameter: ${REF}/prod/deep, json: ${json} }\n`),
      ]);
      expect(r.code).toBe(6);
      expect(r.stderr).toContain(`${REF}/prod/deep nests arrays or objects more than 64 levels deep`);
      expect(readdirSync(dir)).toEqual(['materialize.yaml']);
    }
  });

  it('field names such as __proto__ and constructor are ordinary fields', async () => {
    const dir = tempDir();
    const r = await run([
      'write',
      '-m',
      manifest(dir, `  - path: a.env\n    format: dotenv\n    values:\n      n: { parameter: /app/numbers, json: { P: __proto__, C: constructor } }\n`),
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('/app/numbers: field "__proto__"');
    expect(r.stderr).toContain('/app/numbers: field "constructor"');
  });
});
