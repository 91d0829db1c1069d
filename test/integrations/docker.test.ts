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
import { Copy, DockerfileParser, Run, type Instruction } from 'dockerfile-ast';
import { loadSeedFile, startEmulator, type RunningEmulator, type Seed } from '@ssm-materialize/emulator';
import { DEMO_CREDENTIALS, type CliResult } from '../helpers/cli.js';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
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
  return isolatedAwsEnv(c.instance.env(url, { SSM_MATERIALIZE_MANIFEST: c.manifest, ...extra }));
}

/** An app that reports a digest of what it received (never the values themselves). */
const DIGEST_APP = [
  'node',
  '-e',
  "console.log(require('crypto').createHash('sha256').update(process.env.DB_PASSWORD + '|' + process.env.API_KEY).digest('hex'))",
];
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
  it('gives the app the values in its environment and writes nothing', async () => {
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

  it("forwards docker stop's SIGTERM to the app, which shuts down cleanly", async () => {
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
    const r = await runUntilReadyThenSignal(
      c.entrypoint,
      ['node', `--env-file=${file}`, join(c.instance.root, 'app', 'server.js')],
      containerEnv(c, emulator.url, { SSM_MATERIALIZE_MODE: 'file' }),
      'SIGTERM',
    );
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
/** A RUN that runs the tool (not one that installs its package). */
const runsTool = (i: Instruction): i is Run => i instanceof Run && /(^|[\s;&|])ssm-materialize\s/.test(i.getArgumentsContent() ?? '');

describe('examples/docker Dockerfiles, parsed', () => {
  for (const file of ['Dockerfile', 'Dockerfile.build']) {
    it(`${file}: no ARG or ENV carries a credential or a value, and every COPY source exists in examples/docker`, () => {
      const dockerfile = parse(file);
      for (const i of [...dockerfile.getARGs(), ...dockerfile.getENVs()]) expect(i.getArgumentsContent() ?? '').not.toMatch(CREDENTIAL_NAME);
      for (const copy of dockerfile.getCOPYs()) {
        if (copy.getFlags().some((f) => f.getName() === 'from')) continue;
        const args = copy.getArguments().map((a) => a.getValue());
        for (const source of args.slice(0, -1)) {
          // The app's own package files are the user's; everything else ships here.
          if (source.startsWith('package')) continue;
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
    for (const c of finalCopies)
      expect(
        c
          .getArguments()
          .map((a) => a.getValue())
          .join(' '),
      ).not.toMatch(/\.aws/);
  });

  it("Dockerfile.build's RUN command line gives the build step the token from the emulator, with credentials where the secret mount puts them", async () => {
    const dockerfile = parse('Dockerfile.build');
    const run = dockerfile.getInstructions().find(runsTool)!;
    const mount = run.getFlags().find((f) => f.getName() === 'mount' && f.getOption('type')?.getValue() === 'secret')!;
    const target = mount.getOption('target')!.getValue()!;
    const command = (run.getArgumentsContent() ?? '')
      .replace(/\\\n/g, ' ')
      .replace(/--mount=\S+/g, '')
      .trim()
      .split(/\s+/);
    const dashDash = command.indexOf('--');
    expect(command.slice(0, dashDash)).toEqual(['ssm-materialize', 'exec', '-m', 'build.yaml']);

    const instance = newInstance();
    const src = join(instance.root, 'src');
    mkdirSync(src);
    copyFileSync(join(DOCKER, 'build.yaml'), join(src, 'build.yaml'));
    // The secret mount's target, under this instance's root (HOME is /root there).
    expect(target).toBe('/root/.aws/credentials');
    mkdirSync(join(instance.root, 'root', '.aws'), { recursive: true });
    writeFileSync(
      join(instance.root, 'root', '.aws', 'credentials'),
      `[default]\naws_access_key_id = ${DEMO_CREDENTIALS.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${DEMO_CREDENTIALS.AWS_SECRET_ACCESS_KEY}\n`,
    );
    // The keys come from the mounted file alone.
    const buildEnv = isolatedAwsEnv({
      ...instance.env(emulator.url),
      AWS_SHARED_CREDENTIALS_FILE: undefined,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
    });
    // In place of `npm ci`: a step that checks it got the token.
    const check = ['node', '-e', "process.exit(process.env.NPM_TOKEN === 'npm_build_token' ? 0 : 9)"];
    const r = await runCommand(command[0]!, [...command.slice(1, dashDash + 1), ...check], { env: buildEnv, cwd: src });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirNames(src)).toEqual(['build.yaml']);
  });
});

/**
 * Whether Docker leaves `path` (relative to the context) out of the build
 * context, by its .dockerignore rules: Go-style patterns from the context's
 * root (`*` within one path element, `**` across any, `?` one character), a
 * pattern that matches a directory leaves out everything in it, `!` lets a
 * path back in, and the last matching line decides.
 */
function dockerIgnores(patterns: string[], path: string): boolean {
  const toRegExp = (pattern: string): RegExp => {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '*' && pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          source += '(?:.*/)?';
        } else source += '.*';
      } else if (c === '*') source += '[^/]*';
      else if (c === '?') source += '[^/]';
      else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${source}$`);
  };
  const parts = path.split('/');
  let ignored = false;
  for (const line of patterns) {
    const negated = line.startsWith('!');
    const pattern = toRegExp((negated ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, ''));
    if (parts.some((_, i) => pattern.test(parts.slice(0, i + 1).join('/')))) ignored = !negated;
  }
  return ignored;
}

const dockerignore = (): string[] =>
  readFileSync(join(DOCKER, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

/** Context paths a Dockerfile reads: COPY sources (not --from) and RUN bind-mount sources. */
function contextSources(file: string): string[] {
  const dockerfile = parse(file);
  const copies = dockerfile
    .getCOPYs()
    .filter((c) => !c.getFlags().some((f) => f.getName() === 'from'))
    .flatMap((c) =>
      c
        .getArguments()
        .map((a) => a.getValue())
        .slice(0, -1),
    );
  const mounts = dockerfile
    .getInstructions()
    .filter((i): i is Run => i instanceof Run)
    .flatMap((r) => r.getFlags().filter((f) => f.getName() === 'mount' && f.getOption('type')?.getValue() === 'bind'))
    .map((m) => m.getOption('source')?.getValue() ?? '');
  return [...copies, ...mounts];
}

/** The instructions of a Dockerfile's last stage. */
function finalStage(file: string): Instruction[] {
  const dockerfile = parse(file);
  const start = dockerfile.getFROMs().at(-1)!.getRange().start.line;
  return dockerfile.getInstructions().filter((i) => i.getRange().start.line >= start);
}

describe('examples/docker: the build context and what reaches the images', () => {
  it('.dockerignore leaves out .env files, AWS credentials, node_modules, seeds, release/ and keys, and keeps what the Dockerfiles read', () => {
    const patterns = dockerignore();
    for (const path of [
      '.env',
      '.env.production',
      'config/app.env',
      '.aws/credentials',
      'node_modules/dotenv/package.json',
      'seed.yaml',
      'test/demo-seed.yaml',
      'release/SHA256SUMS',
      'release/ssm-materialize-0.1.0-linux-x64',
      'ssm-materialize-0.1.0-linux-x64',
      '.git/config',
      'tls/server.key',
    ]) {
      expect(dockerIgnores(patterns, path), path).toBe(true);
    }
    for (const file of ['Dockerfile', 'Dockerfile.build']) {
      for (const source of contextSources(file)) expect(dockerIgnores(patterns, source), `${file} reads ${source}`).toBe(false);
    }
  });

  it("Dockerfile.build: the final stage copies no tool and not the whole context; only the build's dependencies and named app files", () => {
    const stage = finalStage('Dockerfile.build');
    expect(stage.filter((i) => keyword(i) === 'RUN')).toEqual([]);
    for (const i of stage) expect(i.getArgumentsContent() ?? '', i.getTextContent()).not.toMatch(/ssm-materialize|\.npmrc|build\.yaml|\.aws/);
    const copies = stage.filter((i): i is Copy => i instanceof Copy);
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy
        .getArguments()
        .map((a) => a.getValue())
        .slice(0, -1);
      const from = copy
        .getFlags()
        .find((f) => f.getName() === 'from')
        ?.getValue();
      for (const source of sources) {
        // Not the context, a directory of it, a glob, or the build stage's whole tree.
        expect(source, copy.getTextContent()).not.toMatch(/^\.?\/?$|\*|\/$/);
        if (from !== undefined) expect(source, copy.getTextContent()).toMatch(/^\/src\/node_modules$/);
        else expect(existsSync(join(DOCKER, source)) || source.startsWith('package'), source).toBe(true);
      }
    }
  });

  for (const file of ['Dockerfile', 'Dockerfile.build']) {
    it(`${file}: one runtime: the npm package installed on a Node image from a bind mount (no layer keeps it), never the standalone executable`, () => {
      const dockerfile = parse(file);
      for (const from of dockerfile.getFROMs()) expect(from.getImageName()).toBe('node');
      const text = readFileSync(join(DOCKER, file), 'utf8');
      expect(text).not.toMatch(/linux-(x64|arm64)/);
      const installs = dockerfile
        .getInstructions()
        .filter((i): i is Run => i instanceof Run && /npm install --global .*ssm-materialize\.tgz/.test(i.getArgumentsContent() ?? ''));
      expect(installs).toHaveLength(1);
      const mount = installs[0]!.getFlags().find((f) => f.getName() === 'mount')!;
      expect([mount.getOption('type')?.getValue(), mount.getOption('source')?.getValue()]).toEqual(['bind', 'ssm-materialize.tgz']);
      expect(dockerfile.getCOPYs().flatMap((c) => c.getArguments().map((a) => a.getValue()))).not.toContain('ssm-materialize.tgz');
    });
  }
});

function readdirNames(dir: string): string[] {
  return readdirSync(dir).sort();
}
