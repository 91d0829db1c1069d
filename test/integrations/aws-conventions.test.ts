/**
 * The settings every AWS tool reads, with the built CLI against the emulator
 * over real HTTP: endpoints from AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SSM and
 * the config file's profile and `services` sections (and
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), credential_process profiles, and
 * AWS_MAX_ATTEMPTS / AWS_RETRY_MODE mapped onto our own retries. What the
 * SDK does natively is tested as our behaviour too, so an SDK upgrade that
 * changed it would show here.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { DEMO_CREDENTIAL } from '@ssm-materialize/emulator';
import { cliEnv, runCli, type CliResult } from '../helpers/cli.js';
import { deadPort, startEgressProxy, type EgressProxy } from '../helpers/egress-proxy.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'CANARY-conventions';
const ACCOUNT = '123456789012';
const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/deploy`;
/** Keys in the profile itself: a profile (from --profile or AWS_PROFILE) takes the place of the environment's keys. */
const KEYS = `aws_access_key_id = ${DEMO_CREDENTIAL.access_key_id}\naws_secret_access_key = ${DEMO_CREDENTIAL.secret_access_key}\n`;
const noKeys = (extra: Record<string, string>): Record<string, string> => ({ ...extra, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });

let emulator: RunningEmulator;
let dead: string;
const runs: CliResult[] = [];
const tempDir = useTempDir();

beforeAll(async () => {
  emulator = await startEmulator({
    seed: {
      account: ACCOUNT,
      roles: [
        {
          arn: DEPLOY_ROLE,
          trusted: [DEMO_CREDENTIAL.access_key_id],
          allow: { parameters: [`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/*`], actions: ['ssm:GetParameters'] },
        },
      ],
      parameters: [{ name: '/app/a', type: 'SecureString', value: `${CANARY}-a` }],
    },
  });
  dead = `http://127.0.0.1:${await deadPort()}`;
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
  emulator.setFaults({ error_rate: 0 });
});

function manifest(dir: string): string {
  const file = join(dir, 'm.yaml');
  writeFileSync(file, 'version: 1\noutputs:\n  - { path: a.env, format: dotenv, values: { A: /app/a } }\n');
  return file;
}

/**
 * The CLI's environment with no endpoint unless `extra` gives one (an empty
 * value removes a variable). A call that would leave for AWS itself goes to a
 * dead HTTPS_PROXY on loopback instead, so nothing leaves the machine.
 */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const e = cliEnv('unused', { HTTPS_PROXY: dead, ...extra });
  if (extra.AWS_ENDPOINT_URL_SSM === undefined) delete e.AWS_ENDPOINT_URL_SSM;
  for (const [k, v] of Object.entries(e)) if (v === '') delete e[k];
  return e;
}

async function write(dir: string, extra: Record<string, string>, args: string[] = []): Promise<CliResult> {
  const r = await runCli(['write', '-m', manifest(dir), ...args], env(extra));
  runs.push(r);
  return r;
}

function expectWritten(dir: string): void {
  expect(parseDotenv(readFileSync(join(dir, 'a.env'), 'utf8'))).toEqual({ A: `${CANARY}-a` });
}

function configFile(dir: string, text: string): string {
  const file = join(dir, 'config');
  writeFileSync(file, text);
  return file;
}

describe('endpoints', () => {
  it('AWS_ENDPOINT_URL (every service) reaches the store', async () => {
    const dir = tempDir();
    const r = await write(dir, { AWS_ENDPOINT_URL: emulator.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectWritten(dir);
  });

  it('AWS_ENDPOINT_URL_SSM wins over AWS_ENDPOINT_URL, and --endpoint-url over both', async () => {
    const dir = tempDir();
    expect((await write(dir, { AWS_ENDPOINT_URL: dead, AWS_ENDPOINT_URL_SSM: emulator.url })).code).toBe(0);
    expectWritten(dir);
    const flag = await write(tempDir(), { AWS_ENDPOINT_URL: dead, AWS_ENDPOINT_URL_SSM: dead }, ['--endpoint-url', emulator.url]);
    expect(flag.code).toBe(0);
  });

  it("a profile's endpoint_url, and its `services` section's ssm endpoint_url, which wins", async () => {
    const dir = tempDir();
    const global = configFile(dir, `[profile local]\nregion = us-east-1\nendpoint_url = ${emulator.url}\n${KEYS}`);
    const r = await write(dir, noKeys({ AWS_CONFIG_FILE: global }), ['--profile', 'local']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectWritten(dir);

    const dir2 = tempDir();
    const services = configFile(
      dir2,
      `[profile local]\nregion = us-east-1\nendpoint_url = ${dead}\nservices = emulator\n${KEYS}\n[services emulator]\nssm =\n  endpoint_url = ${emulator.url}\n`,
    );
    const viaEnv = await write(dir2, noKeys({ AWS_CONFIG_FILE: services, AWS_PROFILE: 'local' }));
    expect(viaEnv.stderr).toBe('');
    expect(viaEnv.code).toBe(0);
    expectWritten(dir2);
  });

  it("--profile's endpoint is that profile's, not the one of AWS_PROFILE's profile (as the AWS CLI does)", async () => {
    const dir = tempDir();
    const config = configFile(
      dir,
      `[profile other]\nendpoint_url = ${dead}\n\n[profile local]\nregion = us-east-1\nservices = emulator\n${KEYS}\n[services emulator]\nssm =\n  endpoint_url = ${emulator.url}\n`,
    );
    const r = await write(dir, noKeys({ AWS_CONFIG_FILE: config, AWS_PROFILE: 'other' }), ['--profile', 'local']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectWritten(dir);
  });

  it('a profile naming a services section the file does not have is a usage error (exit 2) naming both', async () => {
    const dir = tempDir();
    const config = configFile(dir, `[profile local]\nregion = us-east-1\nservices = nowhere\n${KEYS}`);
    const r = await write(dir, noKeys({ AWS_CONFIG_FILE: config }), ['--profile', 'local']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('profile local names services nowhere');
  });

  it('the environment wins over the config file', async () => {
    const dir = tempDir();
    const services = configFile(dir, `[default]\nservices = broken\n\n[services broken]\nssm =\n  endpoint_url = ${dead}\n`);
    const r = await write(dir, { AWS_CONFIG_FILE: services, AWS_ENDPOINT_URL_SSM: emulator.url });
    expect(r.code).toBe(0);
    expectWritten(dir);
  });

  it('--role-arn: STS takes its endpoint from the same `services` section', async () => {
    const dir = tempDir();
    const services = configFile(
      dir,
      `[profile local]\nregion = us-east-1\nservices = emulator\n${KEYS}\n[services emulator]\nssm =\n  endpoint_url = ${emulator.url}\nsts =\n  endpoint_url = ${emulator.url}\n`,
    );
    const r = await write(dir, noKeys({ AWS_CONFIG_FILE: services }), ['--profile', 'local', '--role-arn', DEPLOY_ROLE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectWritten(dir);
    expect(emulator.counters().operations.AssumeRole).toBe(1);
  });

  describe('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true', () => {
    // The default endpoint is AWS itself: the calls go to an egress proxy on
    // loopback that records where they were headed and refuses them.
    let recorder: EgressProxy;
    beforeAll(async () => {
      recorder = await startEgressProxy({ routes: {} });
    });
    afterAll(async () => {
      await recorder?.close();
    });

    it('ignores the endpoints of the environment and of the config file: the default AWS endpoint is used', async () => {
      const dir = tempDir();
      const services = configFile(
        dir,
        `[default]\nendpoint_url = ${emulator.url}\nservices = emulator\n\n[services emulator]\nssm =\n  endpoint_url = ${emulator.url}\n`,
      );
      const r = await write(
        dir,
        {
          AWS_CONFIG_FILE: services,
          AWS_ENDPOINT_URL: emulator.url,
          AWS_ENDPOINT_URL_SSM: emulator.url,
          AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
          HTTPS_PROXY: recorder.url,
        },
        ['--max-attempts', '1'],
      );
      expect(r.code).toBe(5);
      expect(recorder.seen).toEqual(['CONNECT ssm.us-east-1.amazonaws.com:443']);
      expect(emulator.counters().requests).toBe(0);
    });

    it('keeps --endpoint-url, which is not configuration but the command line', async () => {
      const dir = tempDir();
      const r = await write(dir, { AWS_ENDPOINT_URL_SSM: dead, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, ['--endpoint-url', emulator.url]);
      expect(r.code).toBe(0);
      expectWritten(dir);
    });
  });
});

describe('credential_process', () => {
  function processProfile(dir: string, script: string): string {
    const program = join(dir, 'creds.sh');
    writeFileSync(program, `#!/bin/sh\n${script}\n`, { mode: 0o700 });
    return configFile(dir, `[profile proc]\nregion = us-east-1\ncredential_process = ${program} --account ${ACCOUNT}\n`);
  }

  it('a profile whose credential_process prints JSON credentials signs the calls (by --profile and by AWS_PROFILE)', async () => {
    const dir = tempDir();
    const config = processProfile(
      dir,
      `printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}' ${DEMO_CREDENTIAL.access_key_id} ${DEMO_CREDENTIAL.secret_access_key}`,
    );
    const r = await write(dir, noKeys({ AWS_CONFIG_FILE: config, AWS_ENDPOINT_URL_SSM: emulator.url }), ['--profile', 'proc']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectWritten(dir);
    const viaEnv = await write(tempDir(), noKeys({ AWS_CONFIG_FILE: config, AWS_ENDPOINT_URL_SSM: emulator.url, AWS_PROFILE: 'proc' }));
    expect(viaEnv.code).toBe(0);
  });

  it('a credential_process that fails is exit 4 (no credentials), and what it printed is not shown', async () => {
    const dir = tempDir();
    const config = processProfile(dir, `echo "token ${CANARY}-leak" >&2; echo "${CANARY}-leak"; exit 3`);
    const r = await write(dir, noKeys({ AWS_CONFIG_FILE: config, AWS_ENDPOINT_URL_SSM: emulator.url }), ['--profile', 'proc']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('no AWS credentials found');
    expect(emulator.counters().requests).toBe(0);
  });
});

describe('AWS_MAX_ATTEMPTS and AWS_RETRY_MODE', () => {
  it('AWS_MAX_ATTEMPTS caps the attempts per call like --max-attempts, which wins', async () => {
    emulator.setFaults({ error_rate: 1 });
    const capped = await write(tempDir(), { AWS_ENDPOINT_URL_SSM: emulator.url, AWS_MAX_ATTEMPTS: '2' });
    expect(capped.code).toBe(5);
    expect(emulator.counters().requests).toBe(2);
    emulator.resetCounters();
    const flag = await write(tempDir(), { AWS_ENDPOINT_URL_SSM: emulator.url, AWS_MAX_ATTEMPTS: '2' }, ['--max-attempts', '3']);
    expect(flag.code).toBe(5);
    expect(emulator.counters().requests).toBe(3);
  });

  it('AWS_MAX_ATTEMPTS=1 makes one attempt', async () => {
    emulator.setFaults({ error_rate: 1 });
    const r = await write(tempDir(), { AWS_ENDPOINT_URL_SSM: emulator.url, AWS_MAX_ATTEMPTS: '1' });
    expect(r.code).toBe(5);
    expect(emulator.counters().requests).toBe(1);
  });

  it('AWS_RETRY_MODE legacy, standard and adaptive are all accepted: our paced retries serve each', async () => {
    for (const mode of ['legacy', 'standard', 'adaptive']) {
      const dir = tempDir();
      const r = await write(dir, { AWS_ENDPOINT_URL_SSM: emulator.url, AWS_RETRY_MODE: mode });
      expect(r.stderr, mode).toBe('');
      expect(r.code, mode).toBe(0);
    }
  });

  it('a value that is not one is a usage error naming the variable (exit 2), before any call', async () => {
    for (const [name, value] of [
      ['AWS_MAX_ATTEMPTS', '0'],
      ['AWS_MAX_ATTEMPTS', 'three'],
      ['AWS_RETRY_MODE', 'aggressive'],
    ] as const) {
      const r = await write(tempDir(), { AWS_ENDPOINT_URL_SSM: emulator.url, [name]: value });
      expect(r.code, `${name}=${value}`).toBe(2);
      expect(r.stderr).toContain(name);
    }
    expect(emulator.counters().requests).toBe(0);
  });
});
