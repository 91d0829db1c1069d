/** Shared pieces of the emulator tests: a seed, SDK clients, error assertions. */
import { SSMClient } from '@aws-sdk/client-ssm';
import { expect } from 'vitest';
import type { RunningEmulator, Seed } from '../src/index.js';
import { DEMO_CREDENTIAL } from '../src/types.js';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const APP_KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
export const DEMO = { accessKeyId: DEMO_CREDENTIAL.access_key_id, secretAccessKey: DEMO_CREDENTIAL.secret_access_key };
export const READER = { accessKeyId: 'AKIAREADER', secretAccessKey: 'reader-secret' };
export const NO_KMS = { accessKeyId: 'AKIANOKMS', secretAccessKey: 'no-kms-secret' };

export function baseSeed(): Seed {
  return {
    region: REGION,
    account: ACCOUNT,
    credentials: [
      { access_key_id: DEMO.accessKeyId, secret_access_key: DEMO.secretAccessKey },
      {
        access_key_id: READER.accessKeyId,
        secret_access_key: READER.secretAccessKey,
        allow: {
          parameters: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/myapp/*`, `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/myapp`],
          actions: ['ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameter'],
          kms_keys: ['alias/MyApplicationKey'],
        },
      },
      { access_key_id: NO_KMS.accessKeyId, secret_access_key: NO_KMS.secretAccessKey, allow: { actions: ['ssm:*'], kms_keys: [] } },
    ],
    kms_keys: [{ id: APP_KEY_ID, aliases: ['alias/MyApplicationKey'] }],
    parameters: [
      { name: '/myapp/prod/db/password', type: 'SecureString', key_id: 'alias/MyApplicationKey', value: 's3cr3t', labels: ['prod'] },
      { name: '/myapp/prod/cert', type: 'String', versions: ['v1', 'v2', 'v3'], labels: { stable: 2 } },
      { name: '/myapp/prod/env/NODE_ENV', type: 'String', value: 'production' },
      { name: '/myapp/prod/env/FLAGS', type: 'StringList', value: ['a', 'b', 'c'] },
      { name: '/myapp/prod/env/deep/x', type: 'SecureString', value: 'default-key-secret' },
      { name: '/myapp/prodx/other', type: 'String', value: 'not under /myapp/prod' },
      { name: '/other/secret', type: 'String', value: 'elsewhere' },
      { name: 'TopLevel', type: 'String', value: 'top' },
    ],
  };
}

export function client(emulator: RunningEmulator, credentials = DEMO, region = REGION): SSMClient {
  return new SSMClient({ endpoint: emulator.url, region, credentials, maxAttempts: 1 });
}

/** Asserts the SDK raised the named AWS error (and, when given, the exact message). */
export async function expectSsmError(
  p: Promise<unknown>,
  name: string,
  message?: string | RegExp,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
  );
  expect(err, `expected ${name}`).toBeDefined();
  expect(err!.name).toBe(name);
  if (typeof message === 'string') expect(err!.message).toBe(message);
  else if (message) expect(err!.message).toMatch(message);
  return err!;
}

/** A raw POST with the JSON 1.1 headers, unsigned: for wire-level checks under `signature: any`. */
export async function rawCall(
  url: string,
  op: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await fetch(url + '/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AmazonSSM.${op}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
}
