/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY, with the built CLI as a deploy hook
 * runs it, behind an egress proxy on loopback that is the only way to the
 * store: the endpoints name loopback ports where nothing listens, and only
 * the proxy maps them to the emulator (https:// through a TLS front whose
 * certificate the CLI checks, trusted via NODE_EXTRA_CA_CERTS). Dead ports
 * rather than names that resolve nowhere: the emulator answers only requests
 * whose signed Host is loopback (its DNS-rebinding guard), and a proxy cannot
 * rewrite a signed Host. Instance metadata stays direct, on loopback.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { DEMO_CREDENTIAL } from '@ssm-materialize/emulator';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { cliEnv, runCli, type CliResult } from '../helpers/cli.js';
import { deadPort, startEgressProxy, startTlsFront, type EgressProxy, type TlsFront } from '../helpers/egress-proxy.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'CANARY-proxy';
const ACCOUNT = '123456789012';
const INSTANCE_ROLE = `arn:aws:iam::${ACCOUNT}:role/instance`;
const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/deploy`;
const KEY_ALIAS = 'alias/MyApplicationKey';
const PROXY_USER = 'egress-user';
const PROXY_PASSWORD = 'pr0xy-s3cret';
/** Endpoints only the proxy can reach (set in beforeAll). */
let SSM_HTTPS: string;
let SSM_HTTP: string;
let STS_HTTPS: string;
let ssmTls: string;
let stsTls: string;
let ssmPlain: string;

const READS = {
  parameters: [
    `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/*`,
    `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/aws/reference/secretsmanager/app/*`,
    `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:app/*`,
  ],
  actions: ['ssm:GetParameters', 'secretsmanager:GetSecretValue'],
  kms_keys: [KEY_ALIAS],
};

let emulator: RunningEmulator;
let front: TlsFront;
let proxy: EgressProxy;
let dead: number;
const runs: CliResult[] = [];
const tempDir = useTempDir();
let certDir: string;

beforeAll(async () => {
  emulator = await startEmulator({
    seed: {
      account: ACCOUNT,
      roles: [
        { arn: INSTANCE_ROLE, allow: READS },
        { arn: DEPLOY_ROLE, trusted: [DEMO_CREDENTIAL.access_key_id], allow: READS },
      ],
      instance_role: INSTANCE_ROLE,
      kms_keys: [{ id: '1234abcd-12ab-34cd-56ef-1234567890ab', aliases: [KEY_ALIAS] }],
      parameters: [{ name: '/app/db/password', type: 'SecureString', key_id: KEY_ALIAS, value: `${CANARY}-db` }],
      secrets: [{ name: 'app/api', value: `${CANARY}-api` }],
    },
  });
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  certDir = mkdtempSync(join(tmpdir(), 'ssm-mat-proxy-'));
  front = await startTlsFront(emulator.port, ['localhost'], certDir);
  ssmTls = `localhost:${await deadPort()}`;
  stsTls = `localhost:${await deadPort()}`;
  ssmPlain = `127.0.0.1:${await deadPort()}`;
  SSM_HTTPS = `https://${ssmTls}`;
  STS_HTTPS = `https://${stsTls}`;
  SSM_HTTP = `http://${ssmPlain}`;
  proxy = await startEgressProxy({
    routes: { [ssmTls]: front.port, [stsTls]: front.port, [ssmPlain]: emulator.port },
    credentials: `${PROXY_USER}:${PROXY_PASSWORD}`,
  });
  dead = await deadPort();
});
afterAll(async () => {
  await proxy?.close();
  await front?.close();
  await emulator?.close();
  const { rmSync } = await import('node:fs');
  if (certDir) rmSync(certDir, { recursive: true, force: true });
  for (const r of runs) {
    for (const secret of [CANARY, PROXY_PASSWORD]) {
      expect(r.stdout).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
    }
  }
});
beforeEach(() => {
  proxy.seen.length = 0;
});

const proxyUrl = (password = PROXY_PASSWORD): string => `http://${PROXY_USER}:${password}@127.0.0.1:${proxy.port}`;

function manifest(dir: string): string {
  const file = join(dir, 'm.yaml');
  writeFileSync(
    file,
    'version: 1\noutputs:\n  - { path: app.env, format: dotenv, values: { DB: /app/db/password, API: /aws/reference/secretsmanager/app/api } }\n',
  );
  return file;
}

async function cli(args: string[], endpoint: string, extra: Record<string, string>, input?: string): Promise<CliResult> {
  const r = await runCli(args, cliEnv(endpoint, { NODE_EXTRA_CA_CERTS: front.caFile, ...extra }), input);
  runs.push(r);
  return r;
}

function expectWritten(dir: string): void {
  const file = join(dir, 'app.env');
  expect(parseDotenv(readFileSync(file, 'utf8'))).toEqual({ DB: `${CANARY}-db`, API: `${CANARY}-api` });
  expect(statSync(file).mode & 0o777).toBe(0o600);
}

describe('through an egress proxy that is the only way to the store', () => {
  it('without a proxy the store cannot be reached at all (exit 5)', async () => {
    for (const endpoint of [SSM_HTTPS, SSM_HTTP]) {
      const dir = tempDir();
      const r = await cli(['write', '-m', manifest(dir), '--max-attempts', '1'], endpoint, {});
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('ECONNREFUSED');
    }
    expect(proxy.seen).toEqual([]);
  });

  it('HTTPS_PROXY with credentials: put and write go through CONNECT tunnels, TLS checked end to end', async () => {
    const dir = tempDir();
    const put = await cli(
      ['put', '/app/db/password', '--type', 'SecureString', '--kms-key', KEY_ALIAS, '--overwrite'],
      SSM_HTTPS,
      { HTTPS_PROXY: proxyUrl() },
      `${CANARY}-db`,
    );
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    expect(emulator.counters().operations.PutParameter).toBe(1);
    const r = await cli(['write', '-m', manifest(dir)], SSM_HTTPS, { HTTPS_PROXY: proxyUrl() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectWritten(dir);
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${ssmTls}`]));
  });

  it("the endpoint's certificate is checked through the tunnel: an untrusted one is refused (exit 5), nothing written", async () => {
    const dir = tempDir();
    const env = cliEnv(SSM_HTTPS, { HTTPS_PROXY: proxyUrl() });
    const r = await runCli(['write', '-m', manifest(dir), '--max-attempts', '1'], env);
    runs.push(r);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/self[- ]signed certificate/i);
    expect(proxy.seen).toEqual([`CONNECT ${ssmTls}`]);
    expect(existsSync(join(dir, 'app.env'))).toBe(false);
  });

  it('http_proxy (lower case) for an http:// endpoint: requests are forwarded in absolute form', async () => {
    const dir = tempDir();
    const r = await cli(['write', '-m', manifest(dir)], SSM_HTTP, { http_proxy: proxyUrl() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectWritten(dir);
    expect(new Set(proxy.seen)).toEqual(new Set([`POST http://${ssmPlain}/`]));
  });

  it('the lower-case variable wins over the upper-case one, as curl and the AWS CLI read them', async () => {
    const dir = tempDir();
    const r = await cli(['write', '-m', manifest(dir)], SSM_HTTPS, { https_proxy: proxyUrl(), HTTPS_PROXY: `http://127.0.0.1:${dead}` });
    expect(r.code).toBe(0);
    expect(proxy.seen).toContain(`CONNECT ${ssmTls}`);
  });

  it('--role-arn: the STS AssumeRole call goes through the proxy too', async () => {
    const dir = tempDir();
    const r = await cli(['write', '-m', manifest(dir), '--role-arn', DEPLOY_ROLE], SSM_HTTPS, { HTTPS_PROXY: proxyUrl(), AWS_ENDPOINT_URL_STS: STS_HTTPS });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectWritten(dir);
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${stsTls}`, `CONNECT ${ssmTls}`]));
    expect(emulator.counters().operations.AssumeRole).toBeGreaterThan(0);
  });

  it("a profile's role_arn: the SDK's own AssumeRole call goes through the proxy too", async () => {
    const dir = tempDir();
    const config = join(dir, 'config');
    writeFileSync(
      config,
      `[profile base]\naws_access_key_id = ${DEMO_CREDENTIAL.access_key_id}\naws_secret_access_key = ${DEMO_CREDENTIAL.secret_access_key}\n\n` +
        `[profile deploy]\nregion = us-east-1\nrole_arn = ${DEPLOY_ROLE}\nsource_profile = base\n`,
    );
    const env = cliEnv(SSM_HTTPS, {
      NODE_EXTRA_CA_CERTS: front.caFile,
      HTTPS_PROXY: proxyUrl(),
      AWS_ENDPOINT_URL_STS: STS_HTTPS,
      AWS_CONFIG_FILE: config,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
    });
    const before = emulator.counters().operations.AssumeRole ?? 0;
    const r = await runCli(['write', '-m', manifest(dir), '--profile', 'deploy'], env);
    runs.push(r);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectWritten(dir);
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${stsTls}`, `CONNECT ${ssmTls}`]));
    expect(emulator.counters().operations.AssumeRole).toBe(before + 1);
  });

  it("an sso_session profile: the SSO portal's GetRoleCredentials call goes through the proxy too", async () => {
    // The portal hands out a session the emulator's STS minted for the deploy role.
    const session = await fromTemporaryCredentials({
      params: { RoleArn: DEPLOY_ROLE, RoleSessionName: 'sso' },
      masterCredentials: { accessKeyId: DEMO_CREDENTIAL.access_key_id, secretAccessKey: DEMO_CREDENTIAL.secret_access_key },
      clientConfig: { region: 'us-east-1', endpoint: emulator.url },
    })();
    const portalCalls: string[] = [];
    const portal = createHttpServer((req, res) => {
      portalCalls.push(
        `${req.method} ${req.url?.split('?')[0]} ${req.headers['x-amz-sso_bearer_token'] === 'sso-access-token' ? 'with token' : 'without token'}`,
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          roleCredentials: {
            accessKeyId: session.accessKeyId,
            secretAccessKey: session.secretAccessKey,
            sessionToken: session.sessionToken,
            expiration: session.expiration!.getTime(),
          },
        }),
      );
    });
    await new Promise<void>((resolve) => portal.listen(0, '127.0.0.1', resolve));
    const portalFront = await startTlsFront((portal.address() as AddressInfo).port, ['localhost'], certDir);
    const portalHost = `localhost:${await deadPort()}`;
    const ssoProxy = await startEgressProxy({ routes: { [ssmTls]: front.port, [portalHost]: portalFront.port } });
    try {
      const dir = tempDir();
      const home = join(dir, 'home');
      mkdirSync(join(home, '.aws', 'sso', 'cache'), { recursive: true });
      writeFileSync(
        join(home, '.aws', 'config'),
        `[profile sso]\nregion = us-east-1\nsso_session = corp\nsso_account_id = ${ACCOUNT}\nsso_role_name = deploy\n\n[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n`,
      );
      const cacheName = `${createHash('sha1').update('corp').digest('hex')}.json`;
      writeFileSync(
        join(home, '.aws', 'sso', 'cache', cacheName),
        JSON.stringify({
          accessToken: 'sso-access-token',
          expiresAt: new Date(Date.now() + 3600_000).toISOString(),
          region: 'us-east-1',
          startUrl: 'https://corp.awsapps.com/start',
        }),
      );
      // The profile and its SSO token cache are under HOME, where the SDK looks by default.
      const noKeysOrFiles = {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_CONFIG_FILE: undefined,
        AWS_SHARED_CREDENTIALS_FILE: undefined,
      };
      const env = cliEnv(SSM_HTTPS, { HTTPS_PROXY: ssoProxy.url, AWS_ENDPOINT_URL_SSO: `https://${portalHost}`, HOME: home, ...noKeysOrFiles });
      env.NODE_EXTRA_CA_CERTS = join(dir, 'cas.pem');
      writeFileSync(env.NODE_EXTRA_CA_CERTS, readFileSync(front.caFile, 'utf8') + readFileSync(portalFront.caFile, 'utf8'));
      const r = await runCli(['write', '-m', manifest(dir), '--profile', 'sso'], env);
      runs.push(r);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expectWritten(dir);
      expect(portalCalls).toEqual(['GET /federation/credentials with token']);
      expect(new Set(ssoProxy.seen)).toEqual(new Set([`CONNECT ${portalHost}`, `CONNECT ${ssmTls}`]));
    } finally {
      await ssoProxy.close();
      await portalFront.close();
      await new Promise<void>((resolve) => portal.close(() => resolve()));
    }
  });

  it('instance metadata (credentials and region) is never sent to the proxy', async () => {
    const dir = tempDir();
    const env = isolatedAwsEnv(
      {
        AWS_ENDPOINT_URL_SSM: SSM_HTTPS,
        NODE_EXTRA_CA_CERTS: front.caFile,
        HTTPS_PROXY: proxyUrl(),
        HTTP_PROXY: proxyUrl(),
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `${emulator.url}/`,
      },
      'local instance metadata',
    );
    const r = await runCli(['write', '-m', manifest(dir)], env);
    runs.push(r);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectWritten(dir);
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${ssmTls}`]));
  });

  it('a proxy that refuses the credentials: exit 5 naming the proxy and the variable, never the password', async () => {
    const dir = tempDir();
    const r = await cli(['write', '-m', manifest(dir)], SSM_HTTPS, { HTTPS_PROXY: proxyUrl('wrong-password') });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`the proxy http://***:***@127.0.0.1:${proxy.port} (HTTPS_PROXY) did not open a tunnel to ${ssmTls}`);
    expect(r.stderr).toContain('407');
    expect(r.stderr).toMatch(/hint: .*NO_PROXY/);
    expect(r.stderr).not.toContain('wrong-password');
    expect(r.stderr).not.toContain(PROXY_USER);
  });

  it('a proxy that is down: exit 5 after retries, naming it without its credentials', async () => {
    const dir = tempDir();
    const r = await cli(['write', '-m', manifest(dir), '--max-attempts', '2'], SSM_HTTPS, {
      HTTPS_PROXY: `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${dead}`,
    });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`cannot reach the proxy http://***:***@127.0.0.1:${dead} (HTTPS_PROXY): ECONNREFUSED`);
  });

  it('a proxy URL of a kind we do not speak is a usage error (exit 2) that does not print its password', async () => {
    const dir = tempDir();
    const r = await cli(['write', '-m', manifest(dir)], SSM_HTTPS, { HTTPS_PROXY: `socks5://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:1080` });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('HTTPS_PROXY names a socks5 proxy (socks5://***:***@127.0.0.1:1080)');
  });
});

describe('NO_PROXY', () => {
  const direct = (): string => emulator.url;
  const downProxies = (): Record<string, string> => ({ HTTPS_PROXY: `http://127.0.0.1:${dead}`, HTTP_PROXY: `http://127.0.0.1:${dead}` });

  for (const entry of ['127.0.0.1', 'localhost,127.0.0.1', '*', '127.0.0.0/8', '127.0.0.1:PORT']) {
    it(`"${entry}" sends the loopback endpoint direct, past a proxy that is down`, async () => {
      const dir = tempDir();
      const r = await cli(['write', '-m', manifest(dir), '--max-attempts', '1'], direct(), {
        ...downProxies(),
        NO_PROXY: entry.replace('PORT', String(emulator.port)),
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expectWritten(dir);
    });
  }

  it('an entry for another port, or another host, does not: the call goes to the (dead) proxy and fails', async () => {
    for (const entry of [`127.0.0.1:${emulator.port + 1}`, 'example.com', '.0.0.1']) {
      const dir = tempDir();
      const r = await cli(['write', '-m', manifest(dir), '--max-attempts', '1'], direct(), { ...downProxies(), no_proxy: entry });
      expect(r.code, entry).toBe(5);
      expect(r.stderr).toContain(`cannot reach the proxy http://127.0.0.1:${dead} (HTTP_PROXY)`);
    }
  });

  it('a name covers its subdomains: "store.test" sends ssm.store.test direct (where it cannot resolve: exit 5, no proxy call)', async () => {
    const dir = tempDir();
    const r = await cli(['write', '-m', manifest(dir), '--max-attempts', '1'], 'https://ssm.store.test', { HTTPS_PROXY: proxyUrl(), NO_PROXY: '.store.test' });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(proxy.seen).toEqual([]);
  });
});
