/**
 * The client against moto's Secrets Manager references: moto serves
 * `/aws/reference/secretsmanager/NAME` from its own Secrets Manager and
 * answers with `Name` = the bare secret name, the same Name (and ARN) as a
 * plain parameter called NAME; it fails a whole GetParameters call with
 * ParameterNotFound when one reference is missing. `write` must still put
 * every value under its own key, and name exactly the missing reference.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders } from '@ssm-materialize/emulator/testing';
import { readDotenv } from '../helpers/consumers.js';
import { runAgainst, useCanaryRuns } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';
import { CREDENTIALS, REGION, call, motoAvailable, startMoto, type Moto } from '@ssm-materialize/emulator/testing';

const HAVE_MOTO = motoAvailable();
if (!HAVE_MOTO && process.env.CI) throw new Error('CI: moto is required (python3 -m moto.server)');
const CANARY = 'CANARY';
const REF = '/aws/reference/secretsmanager';

async function createSecret(endpoint: string, name: string, value: string): Promise<void> {
  const body = JSON.stringify({ Name: name, SecretString: value });
  const headers = await signedHeaders(endpoint, {
    service: 'secretsmanager',
    region: REGION,
    credentials: CREDENTIALS,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.CreateSecret' },
    body,
  });
  const res = await fetch(`${endpoint}/`, { method: 'POST', headers, body });
  expect(res.status, await res.text()).toBe(200);
}

let moto: Moto | undefined;
const keep = useCanaryRuns(CANARY, HAVE_MOTO);
const tempDir = useTempDir();

beforeAll(async () => {
  if (!HAVE_MOTO) return;
  moto = await startMoto();
  await createSecret(moto.url, 'db', `${CANARY}-secret-db`);
  await createSecret(moto.url, 'prod/db', `{"password":"${CANARY}-pw"}`);
  for (const [name, value] of [
    ['db', `${CANARY}-plain-db`],
    ['/app/key', `${CANARY}-key`],
  ]) {
    expect((await call(moto.url, 'PutParameter', { Name: name, Value: value, Type: 'SecureString' })).status).toBe(200);
  }
});
afterAll(async () => {
  await moto?.stop();
});

describe.skipIf(!HAVE_MOTO)('Secrets Manager references on moto', () => {
  it('write puts each reference and each plain name under its own key', async () => {
    const dir = tempDir();
    const m = join(dir, 'm.yaml');
    writeFileSync(
      m,
      `version: 1\noutputs:\n  - path: out.env\n    format: dotenv\n    values:\n      PLAIN: db\n      SECRET: ${REF}/db\n      JSON: ${REF}/prod/db\n      KEY: /app/key\n`,
    );
    const r = keep(await runAgainst(['write', '-m', m], moto!.url));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readDotenv(readFileSync(join(dir, 'out.env'), 'utf8'))).toEqual({
      PLAIN: `${CANARY}-plain-db`,
      SECRET: `${CANARY}-secret-db`,
      JSON: `{"password":"${CANARY}-pw"}`,
      KEY: `${CANARY}-key`,
    });
  });

  it('a missing reference is exit 3 naming only it, although moto fails its whole call', async () => {
    const dir = tempDir();
    const m = join(dir, 'm.yaml');
    writeFileSync(m, `version: 1\noutputs:\n  - path: out.env\n    format: dotenv\n    values:\n      A: ${REF}/nope\n      KEY: /app/key\n`);
    const r = keep(await runAgainst(['write', '-m', m], moto!.url));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/1 required parameter not found:\n\s+\/aws\/reference\/secretsmanager\/nope\n/);
  });
});
