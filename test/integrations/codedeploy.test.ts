/**
 * examples/codedeploy/ as the CodeDeploy agent runs it: the revision copied
 * to the app root, then the AfterInstall hook started from the revision
 * directory with the agent's variables, a minimal PATH, no AWS keys and no
 * region: credentials (the instance role's) and region come from the
 * emulator's instance metadata. Also: the emulator's IMDSv2 itself, and
 * appspec.yml against CodeDeploy's documented schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml } from 'yaml';
import { resolveSeed } from '@ssm-materialize/emulator';
import { loadSeedFile, startEmulator, type RunningEmulator, type Seed } from '@ssm-materialize/emulator';
import { CLI } from '../helpers/cli.js';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { runCommand } from '../helpers/spawn.js';
import { requireRoot } from '../reliability/harness.js';
import { EXAMPLES, installRevision, useInstances, type Instance } from './instance.js';

const REVISION = join(EXAMPLES, 'codedeploy');
const SEED = loadSeedFile(join(REVISION, 'seed.yaml'));
const STAGING_SECRETS = ['staging-db-pa$$word', 'staging-api-key', 'production-db-password'];
const newInstance = useInstances();
/** A hook waits up to 5 s (--jitter) per run; some tests deploy twice on a loaded machine. */
const HOOK_TEST_MS = 120_000;

let emulator: RunningEmulator;
/** The same world, but staging's api-key was never stored. */
let withoutApiKey: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ seed: SEED });
  const seed: Seed = { ...SEED, parameters: SEED.parameters?.filter((p) => p.name !== '/myapp/staging/api-key') };
  withoutApiKey = await startEmulator({ seed });
});
afterAll(async () => {
  await emulator?.close();
  await withoutApiKey?.close();
});

/** The environment the CodeDeploy agent gives a hook script. */
function agentEnv(instance: Instance, emulatorUrl: string, group: string): NodeJS.ProcessEnv {
  return instance.env(emulatorUrl, {
    LIFECYCLE_EVENT: 'AfterInstall',
    DEPLOYMENT_ID: 'd-EXAMPLE12',
    APPLICATION_NAME: 'myapp',
    DEPLOYMENT_GROUP_NAME: group,
    DEPLOYMENT_GROUP_ID: '6b9e2d34-1c4f-4a7e-9b1e-0d5f3c2a1b00',
    APP_ROOT: instance.appRoot,
  });
}

/** Deploy the example revision to a fresh instance and run its AfterInstall hook like the agent. */
async function deploy(instance: Instance, emulatorUrl: string, group: string) {
  const archive = join(instance.root, 'opt', 'codedeploy-agent', 'deployment-root', 'group', 'd-EXAMPLE12', 'deployment-archive');
  if (!existsSync(archive)) {
    mkdirSync(archive, { recursive: true });
    installRevision(REVISION, archive);
    installRevision(archive, instance.appRoot);
  }
  const appspec = parseYaml(readFileSync(join(archive, 'appspec.yml'), 'utf8')) as AppSpec;
  const hook = appspec.hooks.AfterInstall?.[0];
  if (!hook) throw new Error('appspec.yml has no AfterInstall hook');
  const result = await runCommand(join(archive, hook.location), [], { env: agentEnv(instance, emulatorUrl, group), cwd: archive });
  for (const secret of STAGING_SECRETS) expect(result.stdout + result.stderr).not.toContain(secret);
  return result;
}

// Concurrent: each test deploys to its own instance, and most of a deploy is the hook's --jitter wait.
describe.concurrent('examples/codedeploy: the AfterInstall hook as the agent runs it', () => {
  it(
    'writes /var/www/app/.env for the deployment group, owned by www-data, mode 0600, from the instance role',
    async () => {
      requireRoot();
      const instance = newInstance();
      const r = await deploy(instance, emulator.url, 'staging');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const file = join(instance.appRoot, '.env');
      expect(parseDotenv(readFileSync(file))).toEqual({ DB_PASSWORD: 'staging-db-pa$$word', API_KEY: 'staging-api-key', LOG_LEVEL: 'debug' });
      const st = statSync(file);
      expect(st.mode & 0o777).toBe(0o600);
      expect([st.uid, st.gid]).toEqual([33, 33]);
    },
    HOOK_TEST_MS,
  );

  it(
    'a rerun changes nothing: same inode, output reported unchanged',
    async () => {
      requireRoot();
      const instance = newInstance();
      expect((await deploy(instance, emulator.url, 'staging')).code).toBe(0);
      const before = statSync(join(instance.appRoot, '.env'));
      const again = await deploy(instance, emulator.url, 'staging');
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/unchanged\s+\S*\.env/);
      const after = statSync(join(instance.appRoot, '.env'));
      expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    },
    HOOK_TEST_MS,
  );

  it(
    "fails the deployment (exit 4, no file) when the instance role may not read the group's parameters",
    async () => {
      const instance = newInstance();
      const r = await deploy(instance, emulator.url, 'production');
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('/myapp/production/');
      expect(r.stderr).toMatch(/access denied[^]*assumed-role\/myapp-staging-instance/);
      expect(existsSync(join(instance.appRoot, '.env'))).toBe(false);
    },
    HOOK_TEST_MS,
  );

  it(
    'fails the deployment (exit 3, no file) when a required parameter is missing, naming it',
    async () => {
      const instance = newInstance();
      const r = await deploy(instance, withoutApiKey.url, 'staging');
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('/myapp/staging/api-key');
      expect(existsSync(join(instance.appRoot, '.env'))).toBe(false);
    },
    HOOK_TEST_MS,
  );

  it(
    'without instance metadata there are no credentials: exit 4, the hint names the IMDSv2 hop limit for containers',
    async () => {
      const instance = newInstance();
      // No keys, and no instance metadata to get them from.
      const env = isolatedAwsEnv({ ...agentEnv(instance, emulator.url, 'staging'), AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
      const archive = join(instance.root, 'rev');
      installRevision(REVISION, archive);
      installRevision(archive, instance.appRoot);
      const r = await runCommand(join(archive, 'scripts', 'materialize.sh'), [], { env, cwd: archive });
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('HttpPutResponseHopLimit');
    },
    HOOK_TEST_MS,
  );
});

interface AppSpecHook {
  location: string;
  timeout?: number;
  runas?: string;
}
interface AppSpec {
  version: number | string;
  os: string;
  files?: { source: string; destination: string }[];
  hooks: Record<string, AppSpecHook[]>;
}

/** EC2/on-premises lifecycle events a revision's appspec.yml may hook (CodeDeploy AppSpec reference). */
const HOOK_EVENTS = [
  'ApplicationStop',
  'BeforeInstall',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
  'BeforeBlockTraffic',
  'AfterBlockTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
];

describe('examples/codedeploy/appspec.yml against the AppSpec schema', () => {
  const text = readFileSync(join(REVISION, 'appspec.yml'), 'utf8');
  const spec = parseYaml(text) as AppSpec;

  it('has version 0.0, os linux, and only known top-level sections', () => {
    expect(String(spec.version) === '0' || text.includes('version: 0.0')).toBe(true);
    expect(spec.os).toBe('linux');
    for (const key of Object.keys(spec)) expect(['version', 'os', 'files', 'permissions', 'hooks', 'file_exists_behavior']).toContain(key);
    for (const f of spec.files ?? []) {
      expect(Object.keys(f).sort()).toEqual(['destination', 'source']);
      expect(f.destination.startsWith('/')).toBe(true);
    }
  });

  it('hooks only documented events; each script exists in the revision, is executable, runs as root within 1..3600 s', () => {
    expect(Object.keys(spec.hooks)).toContain('AfterInstall');
    for (const [event, hooks] of Object.entries(spec.hooks)) {
      expect(HOOK_EVENTS).toContain(event);
      for (const hook of hooks) {
        for (const key of Object.keys(hook)) expect(['location', 'timeout', 'runas']).toContain(key);
        expect(hook.location.startsWith('/')).toBe(false);
        accessSync(join(REVISION, hook.location), constants.X_OK);
        expect(Number.isInteger(hook.timeout)).toBe(true);
        expect(hook.timeout).toBeGreaterThanOrEqual(1);
        expect(hook.timeout).toBeLessThanOrEqual(3600);
        expect(hook.runas).toBe('root');
      }
    }
  });
});

describe("the emulator's instance metadata (IMDSv2)", () => {
  const get = (path: string, token?: string) => fetch(`${emulator.url}${path}`, { headers: token ? { 'x-aws-ec2-metadata-token': token } : {} });
  const token = async () =>
    (await fetch(`${emulator.url}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();

  it('hands out a token only for a PUT with a TTL, and answers 401 to a GET without one (IMDSv2 required)', async () => {
    expect((await fetch(`${emulator.url}/latest/api/token`, { method: 'PUT' })).status).toBe(400);
    expect((await get('/latest/meta-data/placement/region')).status).toBe(401);
    expect((await get('/latest/meta-data/placement/region', 'not-a-token')).status).toBe(401);
    expect(await (await get('/latest/meta-data/placement/region', await token())).text()).toBe('us-east-1');
  });

  it("serves the instance role's name, its temporary credentials, and the identity document", async () => {
    const t = await token();
    expect(await (await get('/latest/meta-data/iam/security-credentials/', t)).text()).toBe('myapp-staging-instance');
    const creds = (await (await get('/latest/meta-data/iam/security-credentials/myapp-staging-instance', t)).json()) as Record<string, string>;
    expect(creds.Code).toBe('Success');
    expect(creds.AccessKeyId).toMatch(/^ASIA/);
    expect(creds.Token).toBeTruthy();
    expect(Date.parse(creds.Expiration!)).toBeGreaterThan(Date.now());
    expect((await get('/latest/meta-data/iam/security-credentials/other-role', t)).status).toBe(404);
    const doc = (await (await get('/latest/dynamic/instance-identity/document', t)).json()) as Record<string, string>;
    expect([doc.accountId, doc.region]).toEqual(['123456789012', 'us-east-1']);
  });
});

describe('seed: instance_role', () => {
  it('makes the emulator banner print how to run a hook as that instance', async () => {
    const child = spawn(process.execPath, [CLI, 'emulator', '--seed', join(REVISION, 'seed.yaml'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let banner = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        banner += d;
        if (banner.includes('Counters:')) resolve();
      });
      child.on('error', reject);
      child.on('close', () => reject(new Error(`emulator exited: ${banner}`)));
    });
    child.kill('SIGTERM');
    expect(banner).toContain('myapp-staging-instance');
    expect(banner).toMatch(/AWS_EC2_METADATA_SERVICE_ENDPOINT=http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('must name one of the seeded roles, reported at its line', () => {
    const file = join(EXAMPLES, 'codedeploy', 'seed.yaml');
    const text = readFileSync(file, 'utf8').replace(/^instance_role: .*$/m, 'instance_role: arn:aws:iam::123456789012:role/nobody');
    expect(() => resolveSeed(parseYaml(text), 'seed.yaml')).toThrow(/instance_role.*must be the arn of one of the roles/);
  });
});
