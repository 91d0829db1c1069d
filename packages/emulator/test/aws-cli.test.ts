/**
 * The real AWS CLI v1 (Python, signs 4 headers, posts to `/`) against the
 * emulator: the peer tool operators seed Parameter Store with.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { startEmulator, type RunningEmulator } from '../src/index.js';
import { isolatedAwsEnv } from './aws-env.js';
import { DEMO, REGION, baseSeed } from './helpers.js';

const run = promisify(execFile);
// Found on PATH, not run: each start of the Python CLI costs about a second, and a broken one fails the tests below.
const hasAws = spawnSync('sh', ['-c', 'command -v aws'], { stdio: 'ignore' }).status === 0;
if (!hasAws) {
  if (process.env.CI) throw new Error('CI: the AWS CLI (aws) must be installed for test/emulator/aws-cli.test.ts');
  console.warn('skipping the AWS CLI tests: `aws` is not on PATH (they run in CI)');
}

let emulator: RunningEmulator;
beforeAll(async () => {
  if (hasAws) emulator = await startEmulator({ port: 0, seed: baseSeed() });
});
afterAll(async () => {
  await emulator?.close();
});

/** The AWS CLI v1 reads its region from AWS_DEFAULT_REGION. */
function env(secret = DEMO.secretAccessKey): NodeJS.ProcessEnv {
  return isolatedAwsEnv({ AWS_SECRET_ACCESS_KEY: secret, AWS_DEFAULT_REGION: REGION });
}

async function aws(args: string[], secret?: string, endpoint = emulator.url): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('aws', ['ssm', ...args, '--endpoint-url', endpoint, '--output', 'json'], { env: env(secret) });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

// Concurrent: each test's calls are in sequence, but the two tests share nothing.
describe.skipIf(!hasAws).concurrent('AWS CLI v1', () => {
  it('puts a SecureString, overwrites it, and reads it back decrypted', async () => {
    const put = await aws(['put-parameter', '--name', '/cli/secret', '--type', 'SecureString', '--key-id', 'alias/MyApplicationKey', '--value', 'first-value']);
    expect(put.stderr).toBe('');
    expect(JSON.parse(put.stdout)).toEqual({ Version: 1, Tier: 'Standard' });

    const again = await aws(['put-parameter', '--name', '/cli/secret', '--type', 'SecureString', '--key-id', 'alias/MyApplicationKey', '--value', 'x']);
    expect(again.code).toBe(255);
    expect(again.stderr).toContain('ParameterAlreadyExists');

    const overwrite = await aws([
      'put-parameter',
      '--name',
      '/cli/secret',
      '--type',
      'SecureString',
      '--key-id',
      'alias/MyApplicationKey',
      '--value',
      'second-value',
      '--overwrite',
    ]);
    expect(JSON.parse(overwrite.stdout)).toEqual({ Version: 2, Tier: 'Standard' });

    // The CLI posts to the endpoint's own path; the emulator routes on X-Amz-Target only.
    const got = await aws(['get-parameters', '--names', '/cli/secret', '/cli/missing', '--with-decryption'], undefined, `${emulator.url}/some/path`);
    expect(got.code).toBe(0);
    const out = JSON.parse(got.stdout) as { Parameters: Record<string, unknown>[]; InvalidParameters: string[] };
    expect(out.Parameters).toHaveLength(1);
    expect(out.Parameters[0]).toMatchObject({ Name: '/cli/secret', Type: 'SecureString', Value: 'second-value', Version: 2 });
    expect(out.InvalidParameters).toEqual(['/cli/missing']);

    const cipher = await aws(['get-parameters', '--names', '/cli/secret']);
    expect(cipher.stdout).not.toContain('second-value');
  });

  it('is refused with a wrong secret (exit 255, InvalidSignatureException)', async () => {
    const res = await aws(['get-parameters', '--names', '/myapp/prod/cert'], 'wrong-secret');
    expect(res.code).toBe(255);
    expect(res.stderr).toContain('InvalidSignatureException');
  });
});
