/**
 * examples/docker/ without a Docker engine: the entrypoint script run as a
 * container would run it (the image's CMD as its arguments) against the
 * emulator, in both modes, with signals and exit codes checked; and both
 * Dockerfiles parsed with a real Dockerfile parser (dockerfile-ast) to check
 * that no secret can reach an image layer, ARG or ENV.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, Run, type Instruction } from 'dockerfile-ast';
import { loadSeedFile, startEmulator, type RunningEmulator, type Seed } from '@ssm-materialize/emulator';
import { DEMO_CREDENTIALS, type CliResult } from '../helpers/cli.js';
import { runCommand } from '../helpers/spawn.js';
import { EXAMPLES, useInstances, type Instance } from './instance.js';

const DOCKER = join(EXAMPLES, 'docker');
const SEED = loadSeedFile(join(DOCKER, 'seed.yaml'));
const SECRETS = ['production-db-password', 'production-api-key', 'npm_build_token'];
const newInstance = useInstances();

let emulator: RunningEmulator;
let withoutApiKey: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ seed: SEED });
  const seed: Seed = { ...SEED, parameters: SEED.parameters?.filter((p) => p.name !== '/myapp/production/api-key') };
  withoutApiKey = await startEmulator({ seed });
});
afterAll(async () => {
  await emulator?.close();
  await withoutApiKey?.close();
});

/** A container's file system as the runtime Dockerfile builds it, with /run/app a private dir standing in for the tmpfs. */
function container(): { instance: Instance; entrypoint: string; manifest: string; runDir: string } {
  const instance = newInstance();
  const entrypoint = join(instance.bin, 'entrypoint.sh');
  copyFileSync(join(DOCKER, 'entrypoint.sh'), entrypoint);
  const app = join(instance.root, 'app');
  const runDir = join(instance.root, 'run', 'app');
  mkdirSync(app, { recursive: true });
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  copyFileSync(join(DOCKER, 'server.js'), join(app, 'server.js'));
  const manifest = join(app, 'materialize.yaml');
  writeFileSync(manifest, readFileSync(join(DOCKER, 'materialize.yaml'), 'utf8').replaceAll('/run/app/', `${runDir}/`));
  return { instance, entrypoint, manifest, runDir };
}

function containerEnv(c: ReturnType<typeof container>, url: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return c.instance.env(url, { ...DEMO_CREDENTIALS, AWS_EC2_METADATA_DISABLED: 'true', SSM_MATERIALIZE_MANIFEST: c.manifest, ...extra });
}

/** An app that reports a digest of what it received (never the values themselves). */
const DIGEST_APP = ['node', '-e', "console.log(require('crypto').createHash('sha256').update(process.env.DB_PASSWORD + '|' + process.env.API_KEY).digest('hex'))"];
const expectedDigest = createHash('sha256').update('production-db-password|production-api-key').digest('hex');

function expectNoValues(r: CliResult): void {
  for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
}

/** Start the entrypoint with `cmd`, wait until the app prints `ready`, send `signal`, collect the end. */
function runUntilReadyThenSignal(entrypoint: string, cmd: string[], env: NodeJS.ProcessEnv, signal: NodeJS.Signals): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(entrypoint, cmd, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!signalled && stdout.includes('ready')) {
        signalled = true;
        child.kill(signal);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, sig) => resolve({ code, signal: sig, stdout, stderr }));
  });
}

describe('examples/docker/entrypoint.sh, exec mode (the default)', () => {
  it("gives the app the values in its environment and writes nothing", async () => {
    const c = container();
    const r = await runCommand(c.entrypoint, DIGEST_APP, { env: containerEnv(c, emulator.url), cwd: join(c.instance.root, 'app') });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(expectedDigest);
    expect(existsSync(join(c.runDir, 'app.env'))).toBe(false);
  });

  it("passes the app's exit code through", async () => {
    const c = container();
    const r = await runCommand(c.entrypoint, ['node', '-e', 'process.exit(7)'], { env: containerEnv(c, emulator.url) });
    expect(r.code).toBe(7);
  });

  it('forwards docker stop\'s SIGTERM to the app, which shuts down cleanly', async () => {
    const c = container();
    const r = await runUntilReadyThenSignal(c.entrypoint, ['node', join(c.instance.root, 'app', 'server.js')], containerEnv(c, emulator.url), 'SIGTERM');
    expect(r.stdout).toContain('ready with 2 settings');
    expect(r.stdout).toContain('SIGTERM: shutting down');
    expect(r.code).toBe(0);
    expectNoValues(r);
  });

  it('stops the container before the app starts when a parameter is missing (exit 3, named)', async () => {
    const c = container();
    const r = await runCommand(c.entrypoint, ['node', '-e', "console.log('app started')"], { env: containerEnv(c, withoutApiKey.url) });
    expect(r.code).toBe(3);
    expect(r.stdout).not.toContain('app started');
    expect(r.stderr).toContain('/myapp/production/api-key');
  });
});

describe('examples/docker/entrypoint.sh, file mode', () => {
  it('writes the 0600 file to the tmpfs path, then execs the app, which reads it with node --env-file and gets SIGTERM directly', async () => {
    const c = container();
    const file = join(c.runDir, 'app.env');
    const r = await runUntilReadyThenSignal(c.entrypoint, ['node', `--env-file=${file}`, join(c.instance.root, 'app', 'server.js')], containerEnv(c, emulator.url, { SSM_MATERIALIZE_MODE: 'file' }), 'SIGTERM');
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('ready with 2 settings');
    expect(r.stdout).toContain('SIGTERM: shutting down');
    expect(r.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expectNoValues(r);
  });

  it('refuses an unknown mode', async () => {
    const c = container();
    const r = await runCommand(c.entrypoint, ['true'], { env: containerEnv(c, emulator.url, { SSM_MATERIALIZE_MODE: 'bake' }) });
    expect(r.code).toBe(64);
  });
});

const CREDENTIAL_NAME = /AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)|SECRET|PASSWORD|TOKEN|API_KEY/i;

function parse(file: string) {
  return DockerfileParser.parse(readFileSync(join(DOCKER, file), 'utf8'));
}
const keyword = (i: Instruction): string => i.getKeyword().toUpperCase();
const runsTool = (i: Instruction): i is Run => i instanceof Run && (i.getArgumentsContent() ?? '').includes('ssm-materialize');

describe('examples/docker Dockerfiles, parsed', () => {
  for (const file of ['Dockerfile', 'Dockerfile.build']) {
    it(`${file}: no ARG or ENV carries a credential or a value, and every COPY source exists in examples/docker`, () => {
      const dockerfile = parse(file);
      for (const i of [...dockerfile.getARGs(), ...dockerfile.getENVs()]) expect(i.getArgumentsContent() ?? '').not.toMatch(CREDENTIAL_NAME);
      for (const copy of dockerfile.getCOPYs()) {
        if (copy.getFlags().some((f) => f.getName() === 'from')) continue;
        const args = copy.getArguments().map((a) => a.getValue());
        for (const source of args.slice(0, -1)) {
          // The release binary is copied in by the user (README "Install"); everything else ships here.
          if (source === 'ssm-materialize-linux-x64' || source === '.' || source.startsWith('package')) continue;
          expect(existsSync(join(DOCKER, source)), `${file}: COPY ${source}`).toBe(true);
        }
      }
    });
  }

  it('Dockerfile (runtime): fetches nothing at build time, runs as a non-root user, exec-form ENTRYPOINT', () => {
    const dockerfile = parse('Dockerfile');
    expect(dockerfile.getInstructions().filter(runsTool)).toEqual([]);
    const entrypoints = dockerfile.getENTRYPOINTs();
    expect(entrypoints).toHaveLength(1);
    expect(entrypoints[0]!.getJSONStrings().map((s) => s.getJSONValue())).toEqual(['/usr/local/bin/entrypoint.sh']);
    const users = dockerfile.getInstructions().filter((i) => keyword(i) === 'USER');
    expect(users.at(-1)?.getArgumentsContent()).not.toMatch(/^(root|0)$/);
  });

  it('Dockerfile.build: the tool runs only with a BuildKit secret mount, in exec mode (no file in a layer), and never in the final stage', () => {
    const dockerfile = parse('Dockerfile.build');
    const runs = dockerfile.getInstructions().filter(runsTool);
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      const mounts = run.getFlags().filter((f) => f.getName() === 'mount');
      expect(mounts.some((m) => m.getOption('type')?.getValue() === 'secret')).toBe(true);
      expect(run.getArgumentsContent()).toMatch(/ssm-materialize exec /);
    }
    const froms = dockerfile.getFROMs();
    const finalStageStart = froms.at(-1)!.getRange().start.line;
    expect(runs.every((r) => r.getRange().start.line < finalStageStart)).toBe(true);
    const finalCopies = dockerfile.getCOPYs().filter((c) => c.getRange().start.line > finalStageStart);
    for (const c of finalCopies) expect(c.getArguments().map((a) => a.getValue()).join(' ')).not.toMatch(/\.aws/);
  });

  it("Dockerfile.build's RUN command line gives the build step the token from the emulator, with credentials where the secret mount puts them", async () => {
    const dockerfile = parse('Dockerfile.build');
    const run = dockerfile.getInstructions().find(runsTool)!;
    const mount = run.getFlags().find((f) => f.getName() === 'mount' && f.getOption('type')?.getValue() === 'secret')!;
    const target = mount.getOption('target')!.getValue()!;
    const command = (run.getArgumentsContent() ?? '').replace(/\\\n/g, ' ').replace(/--mount=\S+/g, '').trim().split(/\s+/);
    const dashDash = command.indexOf('--');
    expect(command.slice(0, dashDash)).toEqual(['ssm-materialize', 'exec', '-m', 'build.yaml']);

    const instance = newInstance();
    const src = join(instance.root, 'src');
    mkdirSync(src);
    copyFileSync(join(DOCKER, 'build.yaml'), join(src, 'build.yaml'));
    // The secret mount's target, under this instance's root (HOME is /root there).
    expect(target).toBe('/root/.aws/credentials');
    mkdirSync(join(instance.root, 'root', '.aws'), { recursive: true });
    writeFileSync(join(instance.root, 'root', '.aws', 'credentials'), `[default]\naws_access_key_id = ${DEMO_CREDENTIALS.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${DEMO_CREDENTIALS.AWS_SECRET_ACCESS_KEY}\n`);
    // In place of `npm ci`: a step that checks it got the token.
    const check = ['node', '-e', "process.exit(process.env.NPM_TOKEN === 'npm_build_token' ? 0 : 9)"];
    const r = await runCommand(command[0]!, [...command.slice(1, dashDash + 1), ...check], { env: instance.env(emulator.url, { AWS_EC2_METADATA_DISABLED: 'true' }), cwd: src });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirNames(src)).toEqual(['build.yaml']);
  });
});

function readdirNames(dir: string): string[] {
  return readdirSync(dir).sort();
}
