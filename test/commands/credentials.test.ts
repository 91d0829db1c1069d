/** The SDK credential chain and region resolution, through `main(argv, io)` in-process (the SDK reads this process's environment, set per run). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { cliEnv } from '../helpers/cli.js';
import { runCliInProcess as runCli } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';

let emulator: RunningEmulator;
const tempDir = useTempDir();

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, seed: { parameters: [{ name: '/cred/a', type: 'SecureString', value: 'v' }] } });
});
afterAll(async () => {
  await emulator?.close();
});

function manifest(dir: string): string {
  const file = join(dir, 'm.yaml');
  writeFileSync(file, 'version: 1\noutputs:\n  - { path: a.env, format: dotenv, values: { A: /cred/a } }\n');
  return file;
}

/** The CLI environment without any credentials or region. */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cliEnv(emulator.url, { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, ...extra });
}

describe('credentials and region', () => {
  it('uses a named profile from the shared files with --profile', async () => {
    const dir = tempDir();
    const credentials = join(dir, 'credentials');
    writeFileSync(credentials, '[deploy]\naws_access_key_id = AKIAEMULATORDEMO\naws_secret_access_key = emulator-demo-secret\n');
    const result = await runCli(['write', '-m', manifest(dir), '--profile', 'deploy'], bareEnv({ AWS_SHARED_CREDENTIALS_FILE: credentials }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readFileSync(join(dir, 'a.env'), 'utf8')).toContain("A='v'");
  });

  it('exits 4 with a hint when no credentials can be found', async () => {
    const dir = tempDir();
    const result = await runCli(['write', '-m', manifest(dir), '--timeout', '10'], bareEnv());
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/no AWS credentials found/);
    expect(result.stderr).toMatch(/hint: attach an instance role/);
  });

  it('exits 4 for an unknown access key and for a wrong secret', async () => {
    const dir = tempDir();
    const unknown = await runCli(['write', '-m', manifest(dir)], cliEnv(emulator.url, { AWS_ACCESS_KEY_ID: 'AKIANOBODY' }));
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('UnrecognizedClientException');
    const wrong = await runCli(['write', '-m', manifest(dir)], cliEnv(emulator.url, { AWS_SECRET_ACCESS_KEY: 'not-the-secret' }));
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('InvalidSignatureException');
  });

  it('exits 2 with a hint when no region is configured', async () => {
    const dir = tempDir();
    const result = await runCli(['write', '-m', manifest(dir)], cliEnv(emulator.url, { AWS_REGION: undefined }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no AWS region configured');
    expect(result.stderr).toContain('--region');
  });
});
