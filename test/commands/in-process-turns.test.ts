/**
 * test/helpers/main.ts runs the CLI in this process, and the SDK takes its
 * credentials and endpoint from process.env: runs started at once must take
 * turns, each with its own settings, or one run signs with another's keys.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { cliEnv } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
/** Two stores, each knowing only its own access key. */
const STORES = [
  { key: 'AKIATURNSFIRST', secret: 'first-secret', value: 'first-value' },
  { key: 'AKIATURNSSECOND', secret: 'second-secret', value: 'second-value' },
];
let emulators: RunningEmulator[] = [];

beforeAll(async () => {
  emulators = await Promise.all(
    STORES.map((s) =>
      startEmulator({
        port: 0,
        seed: {
          credentials: [{ access_key_id: s.key, secret_access_key: s.secret }],
          parameters: [{ name: '/turns/a', type: 'SecureString', value: s.value }],
        },
      }),
    ),
  );
});
afterAll(async () => {
  await Promise.all(emulators.map((e) => e.close()));
});

it('in-process runs started at once each use their own credentials and endpoint', async () => {
  const runs = STORES.map((s, i) => {
    const dir = tempDir();
    const manifest = join(dir, 'm.yaml');
    writeFileSync(manifest, 'version: 1\noutputs:\n  - { path: a.env, format: dotenv, values: { A: /turns/a } }\n');
    const env = cliEnv(emulators[i]!.url, { AWS_ACCESS_KEY_ID: s.key, AWS_SECRET_ACCESS_KEY: s.secret });
    return { dir, result: runCliInProcess(['write', '-m', manifest], env) };
  });
  for (const [i, { dir, result }] of runs.entries()) {
    const r = await result;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parseDotenv(readFileSync(join(dir, 'a.env'), 'utf8'))).toEqual({ A: STORES[i]!.value });
  }
});
