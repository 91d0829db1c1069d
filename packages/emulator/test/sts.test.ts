/**
 * STS AssumeRole: the AWS Query wire, trust, minted temporary credentials
 * that SSM then accepts with the role's rules, session tokens and expiry.
 * The STS client is the one `fromTemporaryCredentials` (--role-arn) loads.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/nested-clients/sts';
import { GetParameterCommand, GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { signedHeaders } from './sign.js';
import { emulatorCommand } from '../src/command.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSeedFile, startEmulator, type RunningEmulator, type Seed } from '../src/index.js';
import { SeedError } from '../src/seed.js';
import { ACCOUNT, DEMO, READER, REGION, baseSeed, expectSsmError } from './helpers.js';

const DEPLOY = `arn:aws:iam::${ACCOUNT}:role/deploy`;
const LONG = `arn:aws:iam::${ACCOUNT}:role/ci/long-runner`;
const CHAINED = `arn:aws:iam::${ACCOUNT}:role/chained`;
const WIDE = `arn:aws:iam::${ACCOUNT}:role/wide`;

function seed(): Seed {
  return {
    ...baseSeed(),
    roles: [
      {
        arn: DEPLOY,
        trusted: [DEMO.accessKeyId],
        allow: {
          parameters: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/myapp/prod/*`],
          actions: ['ssm:GetParameter*'],
          kms_keys: [],
        },
      },
      { arn: LONG, trusted: [DEMO.accessKeyId, READER.accessKeyId], max_session_duration: 7200 },
      { arn: CHAINED, trusted: [DEPLOY], allow: { actions: ['ssm:GetParameters'], parameters: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/other/*`] } },
      { arn: WIDE, trusted: [DEMO.accessKeyId] },
    ],
  };
}

let emulator: RunningEmulator;
const logLines: string[] = [];
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, seed: seed(), log: (l) => logLines.push(l) });
});
afterAll(async () => {
  await emulator?.close();
});
afterEach(() => {
  vi.useRealTimers();
});

interface Minted {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: Date;
}
interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const issued: string[] = [];
function sts(credentials: Creds = DEMO): STSClient {
  return new STSClient({ endpoint: emulator.url, region: REGION, credentials, maxAttempts: 1 });
}
async function assume(roleArn = DEPLOY, session = 'sess-1', credentials: Creds = DEMO, duration?: number): Promise<Minted> {
  const out = await sts(credentials).send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: session, ...(duration ? { DurationSeconds: duration } : {}) }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) throw new Error('AssumeRole returned no credentials');
  issued.push(c.SecretAccessKey, c.SessionToken);
  return { AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration };
}
const asCredentials = (c: Minted): Required<Creds> => ({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken });
const ssmClient = (credentials: Creds): SSMClient => new SSMClient({ endpoint: emulator.url, region: REGION, credentials, maxAttempts: 1 });

describe('AssumeRole', () => {
  it('mints temporary credentials for a trusted caller', async () => {
    emulator.resetCounters();
    const before = Date.now();
    const out = await sts().send(new AssumeRoleCommand({ RoleArn: DEPLOY, RoleSessionName: 'sess-1', DurationSeconds: 900 }));
    const c = out.Credentials!;
    issued.push(c.SecretAccessKey ?? '', c.SessionToken ?? '');
    expect(c.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(c.SecretAccessKey!.length).toBeGreaterThanOrEqual(40);
    expect(c.SessionToken!.length).toBeGreaterThan(100);
    const expires = c.Expiration!.getTime();
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 900_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/deploy/sess-1`);
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:sess-1$/);
    // Every session gets new keys; the role id stays.
    const again = await sts().send(new AssumeRoleCommand({ RoleArn: DEPLOY, RoleSessionName: 'sess-2' }));
    issued.push(again.Credentials?.SecretAccessKey ?? '', again.Credentials?.SessionToken ?? '');
    expect(again.Credentials?.AccessKeyId).not.toBe(c.AccessKeyId);
    expect(again.AssumedRoleUser?.AssumedRoleId?.split(':')[0]).toBe(out.AssumedRoleUser?.AssumedRoleId?.split(':')[0]);
    // Default DurationSeconds is one hour.
    expect(Math.abs(again.Credentials!.Expiration!.getTime() - Date.now() - 3600_000)).toBeLessThan(5_000);
    const counters = emulator.counters();
    expect(counters.operations.AssumeRole).toBe(2);
    expect(counters.requests).toBe(2);
    expect(counters.denied).toBe(0);
  });

  it('refuses a caller the role does not trust, with AccessDenied (403)', async () => {
    emulator.resetCounters();
    const err = await expectSsmError(
      sts(READER).send(new AssumeRoleCommand({ RoleArn: DEPLOY, RoleSessionName: 'x1' })),
      'AccessDenied',
      `User: arn:aws:iam::${ACCOUNT}:user/${READER.accessKeyId} is not authorized to perform: sts:AssumeRole on resource: ${DEPLOY}`,
    );
    expect(err.$metadata?.httpStatusCode).toBe(403);
    expect(emulator.counters().denied).toBe(1);
    expect(emulator.counters().operations.AssumeRole).toBe(1);
  });

  it('refuses an unknown role exactly like an untrusted one', async () => {
    const unknown = `arn:aws:iam::${ACCOUNT}:role/nobody`;
    const err = await expectSsmError(
      sts().send(new AssumeRoleCommand({ RoleArn: unknown, RoleSessionName: 'x1' })),
      'AccessDenied',
      `User: arn:aws:iam::${ACCOUNT}:user/${DEMO.accessKeyId} is not authorized to perform: sts:AssumeRole on resource: ${unknown}`,
    );
    expect(err.$metadata?.httpStatusCode).toBe(403);
  });

  it('checks DurationSeconds (900 .. the role maximum) and the session name', async () => {
    await expectSsmError(
      sts().send(new AssumeRoleCommand({ RoleArn: DEPLOY, RoleSessionName: 'x1', DurationSeconds: 899 })),
      'ValidationError',
      /durationSeconds.*greater than or equal to 900/,
    );
    await expectSsmError(
      sts().send(new AssumeRoleCommand({ RoleArn: DEPLOY, RoleSessionName: 'x1', DurationSeconds: 3601 })),
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
    const long = await assume(LONG, 'long', READER, 7200);
    expect(Math.abs(long.Expiration.getTime() - Date.now() - 7200_000)).toBeLessThan(5_000);
    await expectSsmError(sts().send(new AssumeRoleCommand({ RoleArn: DEPLOY, RoleSessionName: 'no spaces' })), 'ValidationError', /roleSessionName/);
  });

  it('sends STS errors as Query XML and never answers an unsigned call', async () => {
    const unsigned = await fetch(emulator.url + '/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(DEPLOY)}&RoleSessionName=x1`,
    });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('content-type')).toBe('text/xml');
    const text = await unsigned.text();
    expect(text).toMatch(
      /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code><Message>Request is missing Authentication Token<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
    expect(text).toContain(unsigned.headers.get('x-amzn-requestid') ?? 'no request id header');
  });

  it('answers the documented AssumeRoleResponse XML to a hand-signed request', async () => {
    const raw = await signedSts(`Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(DEPLOY)}&RoleSessionName=raw&DurationSeconds=900`);
    expect(raw.status).toBe(200);
    const m =
      /^<AssumeRoleResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><AssumeRoleResult><Credentials><AccessKeyId>(ASIA\w+)<\/AccessKeyId><SecretAccessKey>([^<]+)<\/SecretAccessKey><SessionToken>([^<]+)<\/SessionToken><Expiration>(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)<\/Expiration><\/Credentials><AssumedRoleUser><AssumedRoleId>AROA\w+:raw<\/AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role\/deploy\/raw<\/Arn><\/AssumedRoleUser><\/AssumeRoleResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/AssumeRoleResponse>$/.exec(
        raw.text,
      );
    expect(m, raw.text.slice(0, 80)).not.toBeNull();
    issued.push(m?.[2] ?? '', m?.[3] ?? '');
    // Other actions and versions: InvalidAction.
    const other = await signedSts('Action=GetFederationToken&Version=2011-06-15&Name=x');
    expect(other.status).toBe(400);
    expect(other.text).toContain('<Code>InvalidAction</Code>');
    const version = await signedSts(`Action=AssumeRole&Version=2010-01-01&RoleArn=${encodeURIComponent(DEPLOY)}&RoleSessionName=raw`);
    expect(version.text).toContain('<Code>InvalidAction</Code>');
    // Signed for ssm but addressed to STS: STS's own words.
    const wrongService = await signedSts(`Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(DEPLOY)}&RoleSessionName=raw`, 'ssm');
    expect(wrongService.status).toBe(403);
    expect(wrongService.text).toContain(
      '<Code>SignatureDoesNotMatch</Code><Message>Credential should be scoped to correct service: &apos;sts&apos;.</Message>',
    );
    // A wrong secret.
    const badSecret = await sts({ accessKeyId: DEMO.accessKeyId, secretAccessKey: 'wrong' })
      .send(new AssumeRoleCommand({ RoleArn: DEPLOY, RoleSessionName: 'x1' }))
      .catch((e: Error) => e);
    expect((badSecret as Error).name).toBe('SignatureDoesNotMatch');
    const unknownKey = await sts({ accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' })
      .send(new AssumeRoleCommand({ RoleArn: DEPLOY, RoleSessionName: 'x1' }))
      .catch((e: Error) => e);
    expect((unknownKey as Error).name).toBe('InvalidClientTokenId');
  });
});

describe('temporary credentials', () => {
  it('work for SSM and carry the role rules, with the assumed-role ARN in denials', async () => {
    const c = await assume(DEPLOY, 'reader-session');
    const ssm = ssmClient(asCredentials(c));
    const out = await ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert', '/myapp/prod/env/NODE_ENV'] }));
    expect(out.Parameters?.map((p) => p.Value)).toEqual(['v3', 'production']);
    emulator.resetCounters();
    await expectSsmError(
      ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert', '/other/secret'] })),
      'AccessDeniedException',
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deploy/reader-session is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/other/secret because no identity-based policy allows the ssm:GetParameters action`,
    );
    expect(emulator.counters().denied).toBe(1);
    // The role's kms_keys: [] denies the customer key, but not alias/aws/ssm.
    await expectSsmError(
      ssm.send(new GetParameterCommand({ Name: '/myapp/prod/db/password', WithDecryption: true })),
      'AccessDeniedException',
      /customer master key/,
    );
    const managed = await ssm.send(new GetParameterCommand({ Name: '/myapp/prod/env/deep/x', WithDecryption: true }));
    expect(managed.Parameter?.Value).toBe('default-key-secret');
    // Actions too: ssm:GetParameter* does not cover PutParameter... nor DescribeParameters.
    const { DescribeParametersCommand } = await import('@aws-sdk/client-ssm');
    await expectSsmError(
      ssm.send(new DescribeParametersCommand({})),
      'AccessDeniedException',
      /assumed-role\/deploy\/reader-session is not authorized to perform: ssm:DescribeParameters/,
    );
  });

  it('a role without allow has full access', async () => {
    const ssm = ssmClient(asCredentials(await assume(WIDE, 'wide')));
    const out = await ssm.send(new GetParametersCommand({ Names: ['/other/secret', '/myapp/prod/db/password'], WithDecryption: true }));
    expect(out.Parameters?.map((p) => p.Value)).toEqual(['s3cr3t', 'elsewhere']);
  });

  it('refuse a wrong, missing or stray session token, and a wrong secret', async () => {
    const c = await assume(DEPLOY, 'token-check');
    const good = asCredentials(c);
    const invalid = 'The security token included in the request is invalid.';
    await expectSsmError(
      ssmClient({ ...good, sessionToken: c.SessionToken.slice(0, -4) + 'AAAA' }).send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] })),
      'UnrecognizedClientException',
      invalid,
    );
    await expectSsmError(
      ssmClient({ accessKeyId: good.accessKeyId, secretAccessKey: good.secretAccessKey }).send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] })),
      'UnrecognizedClientException',
      invalid,
    );
    // Another session's token does not fit this key either.
    const other = await assume(DEPLOY, 'token-other');
    await expectSsmError(
      ssmClient({ ...good, sessionToken: other.SessionToken }).send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] })),
      'UnrecognizedClientException',
      invalid,
    );
    // A long-term key takes no session token.
    await expectSsmError(
      ssmClient({ ...DEMO, sessionToken: c.SessionToken }).send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] })),
      'UnrecognizedClientException',
      invalid,
    );
    await expectSsmError(
      ssmClient({ ...good, secretAccessKey: 'wrong' }).send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] })),
      'InvalidSignatureException',
    );
    // And the right one still works.
    const ok = await ssmClient(good).send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] }));
    expect(ok.Parameters?.[0]?.Value).toBe('v3');
  });

  it('expire after DurationSeconds: ExpiredTokenException for SSM, ExpiredToken for STS', async () => {
    const c = await assume(DEPLOY, 'short', DEMO, 900);
    const chainedOk = await assume(CHAINED, 'chain-early', asCredentials(c));
    expect(chainedOk.AccessKeyId).toMatch(/^ASIA/);
    // Move only Date: the client signs with the moved clock and the emulator checks with it.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    vi.setSystemTime(c.Expiration.getTime() - 2_000);
    const ok = await ssmClient(asCredentials(c)).send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] }));
    expect(ok.Parameters).toHaveLength(1);
    vi.setSystemTime(c.Expiration.getTime() + 1_000);
    emulator.resetCounters();
    const err = await expectSsmError(
      ssmClient(asCredentials(c)).send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] })),
      'ExpiredTokenException',
      'The security token included in the request is expired',
    );
    expect(err.$metadata?.httpStatusCode).toBe(400);
    await expectSsmError(
      sts(asCredentials(c)).send(new AssumeRoleCommand({ RoleArn: CHAINED, RoleSessionName: 'chain-late' })),
      'ExpiredToken',
      'The security token included in the request is expired',
    );
    expect(emulator.counters().denied).toBe(2);
  });

  it('role chaining: a session may assume a role that trusts its role, for at most an hour', async () => {
    const first = asCredentials(await assume(DEPLOY, 'hop-1'));
    const second = await assume(CHAINED, 'hop-2', first);
    const out = await ssmClient(asCredentials(second)).send(new GetParametersCommand({ Names: ['/other/secret'] }));
    expect(out.Parameters?.[0]?.Value).toBe('elsewhere');
    await expectSsmError(
      sts(first).send(new AssumeRoleCommand({ RoleArn: CHAINED, RoleSessionName: 'hop-x', DurationSeconds: 3601 })),
      'ValidationError',
      /role chaining/,
    );
    // CHAINED trusts sessions of DEPLOY, not of WIDE, and WIDE trusts only the demo key.
    const wide = asCredentials(await assume(WIDE, 'hop-w'));
    await expectSsmError(
      sts(wide).send(new AssumeRoleCommand({ RoleArn: CHAINED, RoleSessionName: 'hop-3' })),
      'AccessDenied',
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/wide/hop-w is not authorized to perform: sts:AssumeRole on resource: ${CHAINED}`,
    );
  });

  it('fromTemporaryCredentials (what --role-arn uses) gets them through AWS_ENDPOINT_URL_STS', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_STS;
    process.env.AWS_ENDPOINT_URL_STS = emulator.url;
    try {
      emulator.resetCounters();
      const ssm = new SSMClient({
        endpoint: emulator.url,
        region: REGION,
        maxAttempts: 1,
        credentials: fromTemporaryCredentials({ params: { RoleArn: DEPLOY, RoleSessionName: 'provider', DurationSeconds: 900 }, masterCredentials: DEMO }),
      });
      await Promise.all([1, 2, 3].map(() => ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] }))));
      await expectSsmError(ssm.send(new GetParametersCommand({ Names: ['/other/secret'] })), 'AccessDeniedException', /assumed-role\/deploy\/provider/);
      expect(emulator.counters().operations).toEqual({ AssumeRole: 1, GetParameters: 4 });
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_STS;
      else process.env.AWS_ENDPOINT_URL_STS = saved;
    }
  });

  it('under signature: any, every role trusts an unknown caller, while a known key keeps its trust', async () => {
    const loose = await startEmulator({ port: 0, seed: seed(), signature: 'any' });
    try {
      const client = new STSClient({ endpoint: loose.url, region: REGION, credentials: { accessKeyId: 'AKIAWHOEVER', secretAccessKey: 'x' }, maxAttempts: 1 });
      const out = await client.send(new AssumeRoleCommand({ RoleArn: DEPLOY, RoleSessionName: 'loose' }));
      issued.push(out.Credentials?.SecretAccessKey ?? '', out.Credentials?.SessionToken ?? '');
      expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/deploy/loose`);
      const reader = new STSClient({ endpoint: loose.url, region: REGION, credentials: READER, maxAttempts: 1 });
      await expectSsmError(reader.send(new AssumeRoleCommand({ RoleArn: DEPLOY, RoleSessionName: 'loose' })), 'AccessDenied');
      // The session still carries the role's rules.
      const ssm = new SSMClient({
        endpoint: loose.url,
        region: REGION,
        credentials: { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: 'any', sessionToken: 'any' },
        maxAttempts: 1,
      });
      await expectSsmError(ssm.send(new GetParametersCommand({ Names: ['/other/secret'] })), 'AccessDeniedException', /assumed-role\/deploy\/loose/);
    } finally {
      await loose.close();
    }
  });
});

describe('roles in the seed', () => {
  it('are checked: ARN, account, trusted principals, duplicates, max_session_duration, rules', async () => {
    const bad: Seed = {
      credentials: [{ access_key_id: 'AKIAONE', secret_access_key: 's' }],
      roles: [
        { arn: 'arn:aws:iam::123456789012:user/deploy', trusted: ['AKIAONE'] },
        { arn: 'arn:aws:iam::999999999999:role/deploy', trusted: ['AKIAONE'] },
        { arn: 'arn:aws:iam::123456789012:role/ok', trusted: ['AKIATYPO'] },
        { arn: 'arn:aws:iam::123456789012:role/ok', trusted: ['AKIAONE'] },
        { arn: 'arn:aws:iam::123456789012:role/short', trusted: ['AKIAONE'], max_session_duration: 900 },
        { arn: 'arn:aws:iam::123456789012:role/rules', trusted: ['AKIAONE'], allow: { actions: 'ssm:*' } } as never,
        { arn: 'arn:aws:iam::123456789012:role/extra', trusted: ['AKIAONE'], trust: [] } as never,
      ],
    };
    const err = await startEmulator({ seed: bad }).then(
      async (e) => {
        await e.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SeedError);
    const text = (err as SeedError).problems.map((p) => `${p.at}: ${p.message}`).join('\n');
    expect(text).toContain('roles[0].arn: must be a role ARN');
    expect(text).toContain("roles[1].arn: must be in the seed's account 123456789012");
    expect(text).toContain('roles[2].trusted: AKIATYPO is neither an access key id under credentials nor a role ARN under roles');
    expect(text).toContain('roles[3].arn: duplicate role arn:aws:iam::123456789012:role/ok');
    expect(text).toContain('roles[4].max_session_duration: must be a whole number of seconds from 3600 to 43200');
    expect(text).toContain('roles[5].allow.actions: must be a list of strings');
    expect(text).toContain('roles[6].trust: unknown key');
  });

  it('are read from a YAML seed file, with file:line for a problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sts-seed-'));
    try {
      const file = join(dir, 'seed.yaml');
      writeFileSync(
        file,
        [
          'credentials:',
          '  - access_key_id: AKIAONE',
          '    secret_access_key: s',
          'roles:',
          `  - arn: ${DEPLOY}`,
          '    trusted: [AKIAONE]',
          `  - arn: ${WIDE}`,
          '    trusted: [AKIATWO]',
          '',
        ].join('\n'),
      );
      const err = (() => {
        try {
          loadSeedFile(file);
          return undefined;
        } catch (e) {
          return e as SeedError;
        }
      })();
      expect(err?.problems).toEqual([
        { file, line: 8, at: 'roles[1].trusted', message: 'AKIATWO is neither an access key id under credentials nor a role ARN under roles' },
      ]);
      writeFileSync(
        file,
        ['credentials:', '  - access_key_id: AKIAONE', '    secret_access_key: s', 'roles:', `  - arn: ${DEPLOY}`, '    trusted: [AKIAONE]', ''].join('\n'),
      );
      expect(loadSeedFile(file).roles).toEqual([{ arn: DEPLOY, trusted: ['AKIAONE'] }]);
      // The `emulator` command's banner then says where STS is.
      const out: string[] = [];
      const stop = new AbortController();
      const done = emulatorCommand({ port: 0, seed: file }, { stdout: (t) => out.push(t), stderr: (t) => out.push(t) }, stop.signal);
      await expect.poll(() => out.join(''), { timeout: 5_000 }).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out.join(''))?.[0] ?? 'no url';
      stop.abort();
      expect(await done).toBe(0);
      expect(out.join('')).toContain(`  export AWS_ENDPOINT_URL_STS=${url}   # for --role-arn ${DEPLOY}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

it('never logs secrets or session tokens', () => {
  expect(issued.length).toBeGreaterThan(10);
  const log = logLines.join('\n');
  expect(log).toContain(`AssumeRole ${DEPLOY} -> 200`);
  expect(log).toContain(`AssumeRole ${DEPLOY} -> 403 AccessDenied`);
  for (const secret of issued.filter((s) => s.length > 0)) expect(log).not.toContain(secret);
  expect(log).not.toContain(DEMO.secretAccessKey);
});

async function signedSts(body: string, service = 'sts'): Promise<{ status: number; text: string }> {
  const headers = await signedHeaders(emulator.url, {
    service,
    region: REGION,
    credentials: DEMO,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const res = await fetch(emulator.url + '/', { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}
