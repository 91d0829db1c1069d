/**
 * The docs' command lines and the examples' manifests, run or validated so
 * that none of them can rot: README's first manifest through `validate`,
 * docs/deploy.md's manual refresh section and its cron line against the
 * emulator, every example manifest through `validate`, every example seed
 * through the emulator's loader. (The Install + CodeDeploy walkthrough,
 * which needs the release build, is in test/release/.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadSeedFile, startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { CLI } from '../helpers/cli.js';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { runCommand } from '../helpers/spawn.js';
import { runMain } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';
import { requireRoot } from '../reliability/harness.js';
import { EXAMPLES, useInstances, type Instance } from './instance.js';
import { DEPLOY_GUIDE, README, sectionBlocks } from './readme.js';

const newInstance = useInstances();
const tempDir = useTempDir();
let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ seed: loadSeedFile(join(EXAMPLES, 'systemd', 'seed.yaml')) });
});
afterAll(async () => {
  await emulator?.close();
});

/** A server with examples/systemd's manifest in its /etc/myapp, and `systemctl`/`logger` that only record. */
function server(): { instance: Instance; etc: string; env: NodeJS.ProcessEnv; calls: () => string[] } {
  const instance = newInstance();
  const etc = join(instance.root, 'etc', 'myapp');
  mkdirSync(etc, { recursive: true, mode: 0o755 });
  copyFileSync(join(EXAMPLES, 'systemd', 'materialize.yaml'), join(etc, 'materialize.yaml'));
  const log = join(instance.root, 'calls.log');
  for (const tool of ['systemctl', 'logger']) writeFileSync(join(instance.bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${log}"\n`, { mode: 0o755 });
  const env = isolatedAwsEnv(instance.env(emulator.url));
  return { instance, etc, env, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) };
}

const onServer = (text: string, s: ReturnType<typeof server>): string =>
  text.replaceAll('/etc/myapp', s.etc).replaceAll('/usr/local/bin/ssm-materialize', join(s.instance.bin, 'ssm-materialize'));

describe('docs/deploy.md: Refreshing one server by hand', () => {
  const [manual, cron] = sectionBlocks(DEPLOY_GUIDE, 'Refreshing one server by hand');

  it('plan, write, check run as written: plan lists keys without values, write restarts the app once, check says up to date', async () => {
    requireRoot();
    const s = server();
    const r = await runCommand('bash', ['--norc', '--noprofile', '-euo', 'pipefail', '-c', onServer(manual!, s)], { env: s.env, cwd: s.instance.root });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/DB_PASSWORD/);
    expect(r.stdout).not.toContain('production-db-password');
    expect(existsSync(join(s.etc, 'app.env'))).toBe(true);
    expect(s.calls()).toEqual(['systemctl try-restart myapp.service']);
  }, 120_000);

  it('the cron line stays silent while up to date and logs a warning once a parameter changed', async () => {
    requireRoot();
    const s = server();
    const line = cron!.split('\n').find((l) => /^\d/.test(l))!;
    const fields = line.split(/\s+/);
    expect(fields[5]).toBe('root');
    const command = onServer(fields.slice(6).join(' '), s);
    expect((await runCommand(CLI, ['write', '-m', join(s.etc, 'materialize.yaml'), '--quiet'], { env: s.env })).code).toBe(0);

    const quiet = await runCommand('sh', ['-c', command], { env: s.env, cwd: '/' });
    expect(quiet.code).toBe(0);
    expect(s.calls().filter((c) => c.startsWith('logger'))).toEqual([]);

    const put = await runCommand(CLI, ['put', '/myapp/production/env/feature-flags', '--overwrite', '--region', 'us-east-1'], { env: s.env, input: 'search' });
    expect(put.code).toBe(0);
    const drift = await runCommand('sh', ['-c', command], { env: s.env, cwd: '/' });
    expect(drift.code).toBe(0);
    expect(s.calls().filter((c) => c.startsWith('logger'))).toEqual(['logger -p user.warning -t ssm-materialize myapp: secrets differ from Parameter Store']);
  }, 120_000);
});

describe('README: A first manifest', () => {
  it('passes validate offline, and its commands name that manifest', async () => {
    const dir = tempDir();
    const [manifest] = sectionBlocks(README, 'A first manifest', 'yaml');
    const [commands] = sectionBlocks(README, 'A first manifest');
    writeFileSync(join(dir, 'materialize.yaml'), manifest!);
    const r = await runMain(['validate', '-m', join(dir, 'materialize.yaml')], { env: { PATH: process.env.PATH, AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(commands).toMatch(/^ssm-materialize validate -m materialize\.yaml/m);
    expect(commands).toMatch(/^ssm-materialize write -m materialize\.yaml/m);
  });
});

/** Every YAML under examples/ that is a manifest (version + outputs). */
function exampleManifests(dir = EXAMPLES): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return exampleManifests(path);
    if (!/\.ya?ml$/.test(e.name)) return [];
    const doc = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown> | null;
    return doc && 'outputs' in doc && 'version' in doc ? [path] : [];
  });
}

describe('examples: every manifest and seed', () => {
  const manifests = exampleManifests();

  it('finds the manifests of each integration', () => {
    const found = manifests.map((m) => relative(EXAMPLES, m)).sort();
    for (const expected of [
      'codedeploy/deploy/materialize.yaml',
      'docker/build.yaml',
      'docker/materialize.yaml',
      'materialize.yaml',
      'systemd/materialize.yaml',
    ])
      expect(found).toContain(expected);
  });

  for (const manifest of exampleManifests()) {
    it(`${relative(EXAMPLES, manifest)} passes validate offline`, async () => {
      const r = await runMain(['validate', '-m', manifest], {
        // The variables each one's environment sets: CodeDeploy's group, the demo's STAGE and OUT_DIR.
        env: isolatedAwsEnv({ HOME: '/nonexistent', DEPLOYMENT_GROUP_NAME: 'staging', STAGE: 'prod', OUT_DIR: '/tmp/out' }),
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }

  for (const dir of readdirSync(EXAMPLES).filter((d) => existsSync(join(EXAMPLES, d, 'seed.yaml')))) {
    it(`${dir}/seed.yaml loads into the emulator`, () => {
      expect(() => loadSeedFile(join(EXAMPLES, dir, 'seed.yaml'))).not.toThrow();
    });
  }
});
