/**
 * Secrets Manager references and parameters by ARN, end to end through the
 * CLI in-process against the emulator: batched with plain names, matched to
 * the right key, checked offline, granted by `policy`, denied like IAM.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDotenv } from '../helpers/consumers.js';
import { useInProcessEmulator } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';
import { DEMO_CREDENTIAL } from '@ssm-materialize/emulator';

const CANARY = 'CANARY';
const REF = '/aws/reference/secretsmanager';
const ACCOUNT = '123456789012';
const ARN = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter`;
const LIMITED = { access_key_id: 'AKIALIMITED', secret_access_key: 'limited-secret' };

const tempDir = useTempDir();
const { run, emulator } = useInProcessEmulator(
  () => ({
    credentials: [
      DEMO_CREDENTIAL,
      // May read parameters (and the reference's parameter ARN) but not the secret itself.
      { ...LIMITED, allow: { actions: ['ssm:GetParameter*'], parameters: [`${ARN}/*`] } },
    ],
    parameters: [
      { name: 'db', type: 'String', value: `${CANARY}-plain-db` },
      { name: '/app/api-key', type: 'SecureString', value: `${CANARY}-api-key` },
      { name: '/shared/license', type: 'SecureString', versions: [`${CANARY}-license-v1`, `${CANARY}-license-v2`] },
    ],
    secrets: [
      { name: 'db', value: `${CANARY}-secret-db` },
      { name: 'prod/db', value: `{"username":"app","password":"${CANARY}-pw"}` },
      { name: 'prod/api+key@v=1', value: `${CANARY}-odd-name` },
    ],
  }),
  CANARY,
);

function manifest(dir: string, values: string, extra = ''): string {
  const file = join(dir, 'materialize.yaml');
  writeFileSync(file, `version: 1\nregion: us-east-1\noutputs:\n  - path: out.env\n    format: dotenv\n    values:\n${values}${extra}`);
  return file;
}

const ALL = `      PLAIN_DB: db
      SECRET_DB: ${REF}/db
      DB_JSON: ${REF}/prod/db
      ODD: ${REF}/prod/api+key@v=1
      API_KEY: /app/api-key
      LICENSE: ${ARN}/shared/license
      LICENSE_V1: ${ARN}/shared/license:1
`;

describe('Secrets Manager references and parameter ARNs', () => {
  it('are read with plain names, each value under its own key, in as few calls as names allow', async () => {
    const dir = tempDir();
    emulator().resetCounters();
    const r = await run(['write', '-m', manifest(dir, ALL)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readDotenv(readFileSync(join(dir, 'out.env'), 'utf8'))).toEqual({
      PLAIN_DB: `${CANARY}-plain-db`,
      SECRET_DB: `${CANARY}-secret-db`,
      DB_JSON: `{"username":"app","password":"${CANARY}-pw"}`,
      ODD: `${CANARY}-odd-name`,
      API_KEY: `${CANARY}-api-key`,
      LICENSE: `${CANARY}-license-v2`,
      LICENSE_V1: `${CANARY}-license-v1`,
    });
    // `db` and the secret `db` may come back under the same Name, as may the two
    // selectors of one ARN: two calls, not one.
    expect(emulator().counters().operations['GetParameters']).toBe(2);
  });

  it('a missing secret or an unshared ARN is exit 3 naming it; the other names are not blamed', async () => {
    const dir = tempDir();
    const r = await run([
      'write',
      '-m',
      manifest(dir, `      A: ${REF}/prod/nope\n      B: arn:aws:ssm:us-east-1:999999999999:parameter/app/api-key\n      C: /app/api-key\n`),
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${REF}/prod/nope`);
    expect(r.stderr).toContain('arn:aws:ssm:us-east-1:999999999999:parameter/app/api-key');
    expect(r.stderr).not.toMatch(/^\s+\/app\/api-key$/m);
  });

  it('a principal without secretsmanager:GetSecretValue is denied (exit 4), nothing written', async () => {
    const dir = tempDir();
    const r = await run(['write', '-m', manifest(dir, `      A: ${REF}/prod/db\n      C: /app/api-key\n`)], {
      AWS_ACCESS_KEY_ID: LIMITED.access_key_id,
      AWS_SECRET_ACCESS_KEY: LIMITED.secret_access_key,
    });
    expect(r.code).toBe(4);
    expect(readdirSync(dir)).toEqual(['materialize.yaml']);
    expect(r.stderr).toMatch(/secretsmanager:GetSecretValue/);
  });

  it('validate refuses references under paths:, selectors on references, malformed ARNs and ARNs of another region, each with its line', async () => {
    const dir = tempDir();
    const file = manifest(
      dir,
      `      A: ${REF}/prod/db:AWSPREVIOUS\n      B: arn:aws:ssm:us-east-1:123:parameter/x\n      C: ${ARN.replace('us-east-1', 'eu-west-1')}/x\n      D: ${ARN}//x\n      E: ${REF}/ok\n`,
      `    paths:\n      - ${REF}/prod\n`,
    );
    const r = await run(['validate', '-m', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/:7: .*A: .*a Secrets Manager reference takes no :version or :label/);
    expect(r.stderr).toMatch(/:8: .*B: invalid parameter ARN/);
    expect(r.stderr).toMatch(/:9: .*C: .* is in region eu-west-1 but the manifest reads from us-east-1/);
    expect(r.stderr).toMatch(/:10: .*D: invalid parameter ARN .*one slash after parameter\//);
    expect(r.stderr).toMatch(/:13: .*paths\[0\]: .*Secrets Manager references cannot be listed by path/);
    expect(r.stderr).not.toMatch(/values\.E/);
  });

  it('put refuses a reference or an ARN (exit 2)', async () => {
    for (const name of [`${REF}/prod/db`, `${ARN}/shared/license`]) {
      const r = await run(['put', name], {}, `${CANARY}-new`);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/Secrets Manager reference: store the secret with Secrets Manager|not its ARN/);
    }
  });

  it('plan, check and exec handle them; policy grants the reference, the secret and the ARN as given', async () => {
    const dir = tempDir();
    const file = manifest(dir, ALL);
    expect((await run(['plan', '-m', file])).stdout).toMatch(/\+ SECRET_DB/);
    expect((await run(['check', '-m', file])).code).toBe(1);
    const exec = await run(['exec', '-m', file, '--', 'sh', '-c', `printf %s "$SECRET_DB" > ${join(dir, 'x')}`]);
    expect(exec.code).toBe(0);
    expect(readFileSync(join(dir, 'x'), 'utf8')).toBe(`${CANARY}-secret-db`);

    const p = await run(['policy', '-m', file, '--account', ACCOUNT, '--region', 'us-east-1', '--kms-key', 'alias/MyKey']);
    expect(p.code).toBe(0);
    const policy = JSON.parse(p.stdout) as {
      Statement: Array<{ Sid: string; Action: unknown; Resource: string[]; Condition?: Record<string, Record<string, unknown>> }>;
    };
    const sid = (s: string) => policy.Statement.find((x) => x.Sid === s);
    expect(sid('ReadNamedParameters')?.Resource).toEqual(
      expect.arrayContaining([
        `${ARN}/aws/reference/secretsmanager/db`,
        `${ARN}/aws/reference/secretsmanager/prod/db`,
        `${ARN}/shared/license`,
        `${ARN}/db`,
        `${ARN}/app/api-key`,
      ]),
    );
    expect(sid('ReadNamedParameters')?.Resource.filter((r) => r.includes('shared/license'))).toEqual([`${ARN}/shared/license`]);
    expect(sid('ReadReferencedSecrets')).toMatchObject({
      Action: 'secretsmanager:GetSecretValue',
      Resource: [
        `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db-??????`,
        `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/api+key@v=1-??????`,
        `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-??????`,
      ],
    });
    expect(sid('DecryptReferencedSecrets')?.Condition?.StringEquals).toEqual({ 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' });
    expect(JSON.stringify(sid('DecryptParameters'))).not.toContain('reference/secretsmanager');
  });
});
