/**
 * JSON expansion end to end through `write` (in-process main, emulator):
 * chosen fields, nested fields, every field with the entry's key as prefix,
 * in flat and nesting formats; missing fields (exit 3), values that are not
 * JSON objects (exit 6, no value and no JSON.parse message), collisions
 * (exit 2), and the offline checks.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDotenv, readJson } from '../helpers/consumers.js';
import { useInProcessEmulator } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'CANARY';
const REF = '/aws/reference/secretsmanager';
const DB = { username: 'app', password: `${CANARY}-pw "quoted" \n line`, conn: { host: 'db.internal', port: 5432, tls: true }, tags: ['a', 'b'] };

const tempDir = useTempDir();
const { run } = useInProcessEmulator(
  () => ({
    parameters: [
      { name: '/app/settings', type: 'String', value: JSON.stringify({ 'log-level': 'debug', feature: { new_ui: 'on' } }) },
      { name: '/app/not-json', type: 'SecureString', value: `{"password": "${CANARY}-broken` },
      { name: '/app/array', type: 'SecureString', value: `["${CANARY}-in-array"]` },
      { name: '/app/user', type: 'String', value: 'someone' },
    ],
    secrets: [
      { name: 'prod/db', value: JSON.stringify(DB) },
      // Whoever writes the secret names the fields, so under "*" the keys.
      { name: 'prod/hostile', value: JSON.stringify({ options: `--require=${CANARY}`, preload: CANARY, fine: 'ok' }) },
    ],
  }),
  CANARY,
);

function manifest(dir: string, body: string): string {
  const file = join(dir, 'materialize.yaml');
  writeFileSync(file, `version: 1\noutputs:\n${body}`);
  return file;
}

describe('json expansion', () => {
  it('chosen fields, nested paths and every field, in dotenv and json; values round-trip through the consumers', async () => {
    const dir = tempDir();
    const file = manifest(
      dir,
      `  - path: app.env
    format: dotenv
    values:
      USER: /app/user
      db:
        parameter: ${REF}/prod/db
        json: { DB_USER: username, DB_PASSWORD: password, DB_PORT: conn.port, DB_CONN: conn, DB_TAGS: tags }
      SETTINGS: { parameter: /app/settings, json: "*" }
  - path: config.json
    format: json
    values:
      db: { parameter: ${REF}/prod/db, json: "*" }
`,
    );
    const r = await run(['write', '-m', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8'))).toEqual({
      USER: 'someone',
      DB_USER: 'app',
      DB_PASSWORD: DB.password,
      DB_PORT: '5432',
      DB_CONN: JSON.stringify(DB.conn),
      DB_TAGS: '["a","b"]',
      SETTINGS_LOG_LEVEL: 'debug',
      SETTINGS_FEATURE_NEW_UI: 'on',
    });
    expect(readJson(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({
      db: { username: 'app', password: DB.password, conn: { host: 'db.internal', port: '5432', tls: 'true' }, tags: '["a","b"]' },
    });
    // plan lists the expanded keys, never values.
    writeFileSync(join(dir, 'app.env'), 'USER=someone\n');
    const plan = await run(['plan', '-m', file]);
    expect(plan.stdout).toMatch(/\+ DB_PASSWORD/);
  });

  it('a missing field is exit 3 naming the parameter and the field; nothing written', async () => {
    const dir = tempDir();
    const r = await run([
      'write',
      '-m',
      manifest(
        dir,
        `  - path: a.env\n    format: dotenv\n    values:\n      db: { parameter: ${REF}/prod/db, json: { A: username, B: pass, C: conn.port.x } }\n`,
      ),
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${REF}/prod/db: field "pass"`);
    expect(r.stderr).toContain(`${REF}/prod/db: field "conn.port.x"`);
    expect(r.stderr).toMatch(/hint: add the fields/);
    expect(readdirSync(dir)).toEqual(['materialize.yaml']);
  });

  it('a value that is not a JSON object is exit 6 naming the parameter, without the value or the parser message', async () => {
    const dir = tempDir();
    const r = await run([
      'write',
      '-m',
      manifest(
        dir,
        `  - path: a.env\n    format: dotenv\n    values:\n      X: { parameter: /app/not-json, json: "*" }\n      Y: { parameter: /app/array, json: { Y: "0" } }\n`,
      ),
    ]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('/app/not-json');
    expect(r.stderr).toContain('/app/array');
    expect(r.stderr).not.toMatch(/Unterminated|Unexpected|position|JSON at/);
    expect(readdirSync(dir)).toEqual(['materialize.yaml']);
  });

  it('an expanded key that repeats another key is a manifest error (exit 2) naming both parameters', async () => {
    const dir = tempDir();
    const r = await run([
      'write',
      '-m',
      manifest(
        dir,
        `  - path: a.env\n    format: dotenv\n    values:\n      DB_USERNAME: /app/user\n      DB: { parameter: ${REF}/prod/db, json: "*", allow_keys: [DB_CONN_TLS] }\n`,
      ),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/key DB_USERNAME comes from both \/app\/user and \/aws\/reference\/secretsmanager\/prod\/db/);
  });

  it('under "*" a field name that makes a reserved key (NODE + options, LD + preload) is refused, exit 6; chosen keys are the author\'s', async () => {
    const dir = tempDir();
    const all = await run([
      'write',
      '-m',
      manifest(
        dir,
        `  - path: a.env\n    format: dotenv\n    values:\n      NODE: { parameter: ${REF}/prod/hostile, json: "*" }\n      LD: { parameter: ${REF}/prod/hostile, json: "*" }\n`,
      ),
    ]);
    expect(all.code).toBe(6);
    expect(all.stderr).toMatch(/key NODE_OPTIONS from parameter \/aws\/reference\/secretsmanager\/prod\/hostile/);
    expect(all.stderr).toMatch(/key LD_PRELOAD from parameter/);
    expect(readdirSync(dir)).toEqual(['materialize.yaml']);
    const chosen = await run([
      'write',
      '-m',
      manifest(dir, `  - path: a.env\n    format: dotenv\n    values:\n      h: { parameter: ${REF}/prod/hostile, json: { NODE_OPTIONS: options } }\n`),
    ]);
    expect(chosen.code).toBe(0);
  });

  it('validate: chosen keys count as the output keys; bad shapes and optional with json are refused, with lines', async () => {
    const dir = tempDir();
    const r = await run([
      'validate',
      '-m',
      manifest(
        dir,
        `  - path: a.env
    format: dotenv
    values:
      DB_USER: /app/user
      db: { parameter: ${REF}/prod/db, json: { DB_USER: username, "1BAD": password } }
      x: { parameter: /app/settings, json: [a] }
      y: { parameter: /app/settings, json: { K: "a..b" } }
      z: { parameter: /app/settings, json: "*", optional: true }
`,
      ),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/:7: key DB_USER is defined twice/);
    expect(r.stderr).toMatch(/:7: key "1BAD" is not a valid name for format dotenv/);
    expect(r.stderr).toMatch(/:8: .*x\.json: expected `"\*"` \(every field\) or a mapping/);
    expect(r.stderr).toMatch(/:9: .*y\.json\.K: expected a field name, or a dotted path/);
    expect(r.stderr).toMatch(/:10: .*z\.json: a `json` expansion needs its parameter/);
  });
});
