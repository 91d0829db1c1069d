/** SigV4 verification and per-access-key rules (SSM actions and KMS keys). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders } from './sign.js';
import { GetParameterCommand, GetParametersByPathCommand, GetParametersCommand, PutParameterCommand, DescribeParametersCommand } from '@aws-sdk/client-ssm';
import { startEmulator, type RunningEmulator } from '../src/index.js';
import { ACCOUNT, DEMO, NO_KMS, READER, REGION, baseSeed, client, expectSsmError, rawCall } from './helpers.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, seed: baseSeed() });
});
afterAll(async () => {
  await emulator?.close();
});

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** A request signed like the SDK would, then sent with fetch (so a test can tamper with it). */
async function signed(body: string, opts: { date?: Date; tamper?: string } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers = await signedHeaders(emulator.url, {
    service: 'ssm',
    region: REGION,
    credentials: DEMO,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameters' },
    body,
    ...(opts.date ? { date: opts.date } : {}),
  });
  const res = await fetch(emulator.url + '/', { method: 'POST', headers, body: opts.tamper ?? body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('SigV4', () => {
  it('accepts a correctly signed request (the SDK sends x-amz-content-sha256)', async () => {
    const ssm = client(emulator);
    const out = await ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] }));
    expect(out.Parameters?.[0]?.Value).toBe('v3');
    const raw = await signed(JSON.stringify({ Names: ['/myapp/prod/cert'] }));
    expect(raw.status).toBe(200);
  });

  it('verifies requests posted to an endpoint with a path', async () => {
    const { SSMClient } = await import('@aws-sdk/client-ssm');
    for (const path of ['/prefix', '/prefix/', '/a%20b/']) {
      const ssm = new SSMClient({ endpoint: emulator.url + path, region: REGION, credentials: DEMO, maxAttempts: 1 });
      const out = await ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] }));
      expect(out.Parameters?.[0]?.Value, path).toBe('v3');
      ssm.destroy();
    }
  });

  it("refuses a wrong secret with InvalidSignatureException and AWS's message", async () => {
    const ssm = client(emulator, { accessKeyId: DEMO.accessKeyId, secretAccessKey: 'wrong' });
    const err = await expectSsmError(ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] })), 'InvalidSignatureException', MISMATCH);
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  it('refuses an unknown access key with UnrecognizedClientException', async () => {
    const ssm = client(emulator, { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' });
    await expectSsmError(
      ssm.send(new GetParametersCommand({ Names: ['/a'] })),
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  });

  it('refuses a signed request whose body was changed afterwards', async () => {
    const res = await signed(JSON.stringify({ Names: ['/myapp/prod/cert'] }), { tamper: JSON.stringify({ Names: ['/other/secret'] }) });
    expect(res).toEqual({ status: 400, json: { __type: 'InvalidSignatureException', message: MISMATCH } });
  });

  it('refuses a signature older than 15 minutes', async () => {
    const res = await signed(JSON.stringify({ Names: ['/a'] }), { date: new Date(Date.now() - 20 * 60_000) });
    expect(res.status).toBe(400);
    expect(res.json.__type).toBe('InvalidSignatureException');
    expect(String(res.json.message)).toMatch(/^Signature expired/);
  });

  it('refuses a request signed for another region', async () => {
    const ssm = client(emulator, DEMO, 'eu-west-1');
    await expectSsmError(ssm.send(new GetParametersCommand({ Names: ['/a'] })), 'InvalidSignatureException', /region/);
  });

  it('refuses an unsigned request', async () => {
    const res = await rawCall(emulator.url, 'GetParameters', { Names: ['/a'] });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });

  it('with signature: any, accepts wrong secrets, unknown keys and unsigned requests', async () => {
    const loose = await startEmulator({ port: 0, seed: baseSeed(), signature: 'any' });
    try {
      for (const creds of [
        { accessKeyId: DEMO.accessKeyId, secretAccessKey: 'wrong' },
        { accessKeyId: 'AKIAANYONE', secretAccessKey: 'x' },
      ]) {
        const out = await client(loose, creds).send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] }));
        expect(out.Parameters?.[0]?.Value).toBe('v3');
      }
      expect((await rawCall(loose.url, 'GetParameters', { Names: ['/myapp/prod/cert'] })).status).toBe(200);
      // A known key keeps its access rules.
      await expectSsmError(
        client(loose, { ...READER, secretAccessKey: 'wrong' }).send(new GetParametersCommand({ Names: ['/other/secret'] })),
        'AccessDeniedException',
      );
    } finally {
      await loose.close();
    }
  });
});

describe('access rules', () => {
  const reader = () => client(emulator, READER);
  const denied = (action: string, resource: string): string =>
    `User: arn:aws:iam::${ACCOUNT}:user/${READER.accessKeyId} is not authorized to perform: ssm:${action} on resource: ${resource} because no identity-based policy allows the ssm:${action} action`;

  it('allows the listed actions on the listed ARNs, including the customer key', async () => {
    const out = await reader().send(new GetParametersCommand({ Names: ['/myapp/prod/db/password', '/myapp/prod/cert'], WithDecryption: true }));
    expect(out.Parameters?.map((p) => p.Value)).toEqual(['v3', 's3cr3t']);
    const byPath = await reader().send(new GetParametersByPathCommand({ Path: '/myapp/prod', Recursive: true }));
    expect(byPath.Parameters?.length).toBe(5);
  });

  it('denies GetParameters as a whole when one name is not allowed', async () => {
    const before = emulator.counters().denied;
    await expectSsmError(
      reader().send(new GetParametersCommand({ Names: ['/myapp/prod/cert', '/other/secret'] })),
      'AccessDeniedException',
      denied('GetParameters', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/other/secret`),
    );
    expect(emulator.counters().denied).toBe(before + 1);
  });

  it("denies actions not listed, and checks GetParametersByPath on the path's own ARN", async () => {
    await expectSsmError(
      reader().send(new PutParameterCommand({ Name: '/myapp/new', Value: 'v', Type: 'String' })),
      'AccessDeniedException',
      denied('PutParameter', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/myapp/new`),
    );
    await expectSsmError(
      reader().send(new GetParametersByPathCommand({ Path: '/other/' })),
      'AccessDeniedException',
      denied('GetParametersByPath', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/other`),
    );
    await expectSsmError(
      reader().send(new DescribeParametersCommand({})),
      'AccessDeniedException',
      denied('DescribeParameters', `arn:aws:ssm:${REGION}:${ACCOUNT}:*`),
    );
  });

  it('allows a call when any of several rules allows it', async () => {
    const two = { accessKeyId: 'AKIATWORULES', secretAccessKey: 'two-rules' };
    const seed = baseSeed();
    seed.credentials = [
      {
        access_key_id: two.accessKeyId,
        secret_access_key: two.secretAccessKey,
        allow: [
          { actions: ['ssm:GetParameters'], parameters: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/myapp/prod/cert`] },
          { actions: ['ssm:GetParametersBy*'], parameters: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/other`] },
        ],
      },
    ];
    const e = await startEmulator({ port: 0, seed });
    try {
      const ssm = client(e, two);
      expect((await ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] }))).Parameters).toHaveLength(1);
      expect((await ssm.send(new GetParametersByPathCommand({ Path: '/other' }))).Parameters).toHaveLength(1);
      await expectSsmError(ssm.send(new GetParametersByPathCommand({ Path: '/myapp/prod/cert' })), 'AccessDeniedException');
      await expectSsmError(ssm.send(new GetParameterCommand({ Name: '/myapp/prod/cert' })), 'AccessDeniedException');
      ssm.destroy();
    } finally {
      await e.close();
    }
  });

  it('denies decrypting under a customer key without a kms grant, wrapping the KMS error', async () => {
    const noKms = client(emulator, NO_KMS);
    const kmsMessage =
      /^The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access\. \(Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: [0-9a-f-]+; Proxy: null\)$/;
    await expectSsmError(noKms.send(new GetParameterCommand({ Name: '/myapp/prod/db/password', WithDecryption: true })), 'AccessDeniedException', kmsMessage);
    await expectSsmError(
      noKms.send(new GetParametersCommand({ Names: ['/myapp/prod/cert', '/myapp/prod/db/password'], WithDecryption: true })),
      'AccessDeniedException',
      kmsMessage,
    );
    await expectSsmError(noKms.send(new GetParametersByPathCommand({ Path: '/myapp/prod/db', WithDecryption: true })), 'AccessDeniedException', kmsMessage);
    // Without decryption KMS is not involved; the AWS-managed default key needs no grant.
    expect((await noKms.send(new GetParameterCommand({ Name: '/myapp/prod/db/password' }))).Parameter?.Type).toBe('SecureString');
    expect((await noKms.send(new GetParameterCommand({ Name: '/myapp/prod/env/deep/x', WithDecryption: true }))).Parameter?.Value).toBe('default-key-secret');
    await expectSsmError(
      noKms.send(new PutParameterCommand({ Name: '/nokms/x', Value: 'v', Type: 'SecureString', KeyId: 'alias/MyApplicationKey' })),
      'AccessDeniedException',
      /is not authorized to perform: kms:Encrypt on resource: arn:aws:kms:us-east-1:123456789012:key\/1234abcd-12ab-34cd-56ef-1234567890ab .*Service: AWSKMS/,
    );
    expect((await noKms.send(new PutParameterCommand({ Name: '/nokms/y', Value: 'v', Type: 'SecureString' }))).Version).toBe(1);
  });
});
