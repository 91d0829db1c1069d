/**
 * `--role-arn` in-process through `main(argv, io)`: the CLI assumes the role through the
 * emulator's STS (AWS_ENDPOINT_URL_STS), then reads with the session's
 * temporary credentials, which carry the role's rules.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { cliEnv } from '../helpers/cli.js';
import { runCliInProcess as runCli, type MainResult as CliResult } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';
import { DEMO_CREDENTIAL } from '@ssm-materialize/emulator';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const DEPLOY = `arn:aws:iam::${ACCOUNT}:role/deploy`;
const LOCKED = `arn:aws:iam::${ACCOUNT}:role/locked`;
const CANARY = 'CANARY-role';
const KEY_ALIAS = 'alias/MyApplicationKey';

let emulator: RunningEmulator;
const runs: CliResult[] = [];
const tempDir = useTempDir();

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    seed: {
      region: REGION,
      account: ACCOUNT,
      credentials: [DEMO_CREDENTIAL, { access_key_id: 'AKIAOTHERTEAM', secret_access_key: 'other-team-secret' }],
      roles: [
        {
          arn: DEPLOY,
          trusted: ['AKIAEMULATORDEMO'],
          allow: {
            parameters: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/app/*`],
            actions: ['ssm:GetParameters', 'ssm:GetParametersByPath'],
            kms_keys: [KEY_ALIAS],
          },
        },
        { arn: LOCKED, trusted: ['AKIAOTHERTEAM'] },
      ],
      kms_keys: [
        { id: '1234abcd-12ab-34cd-56ef-1234567890ab', aliases: [KEY_ALIAS] },
        { id: '5678abcd-12ab-34cd-56ef-1234567890ab', aliases: ['alias/OtherKey'] },
      ],
      parameters: [
        ...Array.from({ length: 12 }, (_, i) => ({ name: `/app/k${String(i).padStart(2, '0')}`, value: `${CANARY}-${i}` })),
        { name: '/app/secret', type: 'SecureString', key_id: KEY_ALIAS, value: `${CANARY}-secret` },
        { name: '/app/other-key', type: 'SecureString', key_id: 'alias/OtherKey', value: `${CANARY}-other-key` },
        { name: '/shared/b', value: `${CANARY}-shared` },
      ],
    },
  });
});
afterAll(async () => {
  await emulator?.close();
  for (const r of runs) {
    expect(r.stdout).not.toContain(CANARY);
    expect(r.stderr).not.toContain(CANARY);
  }
});
beforeEach(() => {
  emulator.resetCounters();
});

function manifest(dir: string, values: Record<string, string>): string {
  const file = join(dir, 'm.yaml');
  const pairs = Object.entries(values).map(([k, v]) => `${k}: ${v}`);
  writeFileSync(file, `version: 1\noutputs:\n  - { path: out.env, format: dotenv, values: { ${pairs.join(', ')} } }\n`);
  return file;
}

async function cli(args: string[], extra: Record<string, string> = {}): Promise<CliResult> {
  const result = await runCli(args, cliEnv(emulator.url, { AWS_ENDPOINT_URL_STS: emulator.url, ...extra }));
  runs.push(result);
  return result;
}

describe('write --role-arn', () => {
  it('materializes the file with the role, assuming it once for all calls', async () => {
    const dir = tempDir();
    const values = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`K${i}`, `/app/k${String(i).padStart(2, '0')}`]));
    const result = await cli(['write', '-m', manifest(dir, { ...values, SECRET: '/app/secret' }), '--role-arn', DEPLOY]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const text = readFileSync(join(dir, 'out.env'), 'utf8');
    expect(text).toContain(`K0='${CANARY}-0'`);
    expect(text).toContain(`K11='${CANARY}-11'`);
    expect(text).toContain(`SECRET='${CANARY}-secret'`);
    const counters = emulator.counters();
    expect(counters.operations.AssumeRole).toBe(1);
    // 13 names: two GetParameters calls, both signed with the one session.
    expect(counters.operations.GetParameters).toBe(2);
    expect(counters.denied).toBe(0);
  });

  it('exits 4 with a hint when the role does not trust the caller', async () => {
    const dir = tempDir();
    const result = await cli(['write', '-m', manifest(dir, { A: '/app/k00' }), '--role-arn', LOCKED]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`AccessDenied`);
    expect(result.stderr).toContain(`User: arn:aws:iam::${ACCOUNT}:user/AKIAEMULATORDEMO is not authorized to perform: sts:AssumeRole on resource: ${LOCKED}`);
    expect(result.stderr).toContain(`hint: the role ${LOCKED} must trust the caller`);
    expect(existsSync(join(dir, 'out.env'))).toBe(false);
    const counters = emulator.counters();
    expect(counters.operations.AssumeRole).toBe(1);
    // Nothing reached SSM.
    expect(counters.operations.GetParameters).toBeUndefined();
    expect(counters.denied).toBe(1);
  });

  it('exits 4 for an unknown role', async () => {
    const dir = tempDir();
    const result = await cli(['write', '-m', manifest(dir, { A: '/app/k00' }), '--role-arn', `arn:aws:iam::${ACCOUNT}:role/nobody`]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`sts:AssumeRole on resource: arn:aws:iam::${ACCOUNT}:role/nobody`);
    expect(result.stderr).toContain('hint:');
  });

  it("exits 4 naming the parameter when the role's rules deny it, though the caller's own key may read it", async () => {
    const dir = tempDir();
    const m = manifest(dir, { A: '/app/k00', B: '/shared/b' });
    // The demo key itself has full access: the denial is the role's.
    const direct = await cli(['write', '-m', m]);
    expect(direct.code).toBe(0);
    expect(emulator.counters().operations.AssumeRole).toBeUndefined();
    emulator.resetCounters();
    const before = readFileSync(join(dir, 'out.env'), 'utf8');

    const result = await cli(['write', '-m', m, '--role-arn', DEPLOY]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(
      new RegExp(
        `/shared/b: User: arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ssm-materialize-\\d+ is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/shared/b`,
      ),
    );
    expect(result.stderr).toContain(`hint: allow ssm:GetParameters on arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/shared/b in the role's IAM policy`);
    expect(result.stderr).not.toContain('/app/k00:');
    // The existing file is left alone.
    expect(readFileSync(join(dir, 'out.env'), 'utf8')).toBe(before);
    expect(emulator.counters().operations.AssumeRole).toBe(1);
  });

  it("exits 4 with a KMS hint when the role may not decrypt the parameter's key", async () => {
    const dir = tempDir();
    const result = await cli(['write', '-m', manifest(dir, { A: '/app/other-key' }), '--role-arn', DEPLOY]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('customer master key');
    expect(result.stderr).toContain('hint: allow kms:Decrypt');
    expect(emulator.counters().operations.AssumeRole).toBe(1);
  });

  it('the other team can assume its own role, and gets full access from it', async () => {
    const dir = tempDir();
    const result = await cli(['write', '-m', manifest(dir, { B: '/shared/b' }), '--role-arn', LOCKED], {
      AWS_ACCESS_KEY_ID: 'AKIAOTHERTEAM',
      AWS_SECRET_ACCESS_KEY: 'other-team-secret',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readFileSync(join(dir, 'out.env'), 'utf8')).toContain(`B='${CANARY}-shared'`);
  });
});
