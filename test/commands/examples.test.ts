/**
 * The shipped example, end to end: examples/materialize.yaml against the
 * emulator seeded from examples/seed.yaml (what `npm run demo` does) must
 * produce exactly the files in examples/expected/, and each must read back
 * in its consumer to the seeded values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadSeedFile } from '@ssm-materialize/emulator';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { cliEnv } from '../helpers/cli.js';
import { runCliInProcess as runCli } from '../helpers/main.js';
import { readDotenv, readJson, readShell, readYaml } from '../helpers/consumers.js';
import { useTempDir } from '../helpers/tmp.js';

const examples = join(import.meta.dirname, '..', '..', 'examples');
let emulator: RunningEmulator;
const tempDir = useTempDir();

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, seed: loadSeedFile(join(examples, 'seed.yaml')) });
});
afterAll(async () => {
  await emulator?.close();
});

describe('examples/', () => {
  it('materializes exactly examples/expected/, with the manifest modes', async () => {
    const out = tempDir();
    const result = await runCli(['write', '-m', join(examples, 'materialize.yaml')], cliEnv(emulator.url, { STAGE: 'prod', OUT_DIR: out }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const expectedDir = join(examples, 'expected');
    const files = readdirSync(expectedDir).sort();
    expect(readdirSync(out).sort()).toEqual(files);
    for (const f of files) expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(expectedDir, f), 'utf8'));
    expect(Object.fromEntries(files.map((f) => [f, (statSync(join(out, f)).mode & 0o777).toString(8)]))).toEqual({
      'app.env': '600',
      'app.sh': '600',
      'config.json': '640',
      'config.yaml': '600',
    });

    const seed = loadSeedFile(join(examples, 'seed.yaml'));
    const value = (name: string, version?: number) => {
      const p = seed.parameters?.find((q) => q.name === name);
      const v = version === undefined ? (p?.value ?? p?.versions?.at(-1)) : p?.versions?.[version - 1];
      return Array.isArray(v) ? v.join(',') : v;
    };
    const env = readDotenv(readFileSync(join(out, 'app.env'), 'utf8'));
    expect(env).toMatchObject({
      API_KEY: value('/myapp/prod/APPLICATION_SECRET_API_KEY'),
      DB_PASSWORD: value('/myapp/prod/db/password'),
      TLS_CERT: value('/myapp/prod/cert', 1),
      LOG_LEVEL: 'info',
      MAIL_GREETING: value('/myapp/prod/env/mail/greeting'),
      MAIL_SMTP_HOST: value('/myapp/prod/env/mail/smtp-host'),
    });
    expect(readJson(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual({
      db: { password: value('/myapp/prod/db/password') },
      tls: { cert: value('/myapp/prod/cert', 2) },
      log: { level: 'info' },
    });
    expect(readYaml(readFileSync(join(out, 'config.yaml'), 'utf8'))).toMatchObject({
      SETTINGS_JSON: value('/myapp/prod/env/SETTINGS_JSON'),
      NODE_ENV: 'production',
    });
    expect(readShell(join(out, 'app.sh'), ['DB_PASSWORD', 'GREETING'])).toEqual({
      DB_PASSWORD: value('/myapp/prod/db/password'),
      GREETING: value('/myapp/prod/env/mail/greeting'),
    });
  });
});
