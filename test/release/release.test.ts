/**
 * `npm run release` and the npm package, as a user receives them: the
 * standalone executable copied alone onto a host with no Node, the .cjs
 * bundle, the checksums, and the npm tarball installed offline into an empty
 * prefix. Each one does a real `write` against the emulator. The suites share
 * only the release built once below, so they run concurrently: most of their
 * time is waiting (npm, the example hook's --jitter).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { DEMO_CREDENTIALS } from '../helpers/cli.js';
import { runCommand } from '../helpers/spawn.js';
import { requireRoot } from '../reliability/harness.js';
import { EXAMPLES, installRevision, useInstances } from '../integrations/instance.js';
import { readmeShellBlocks } from '../integrations/readme.js';

const ROOT = join(import.meta.dirname, '..', '..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const EXE = `ssm-materialize-${version}-${process.platform}-${process.arch}`;
const BUNDLE = `ssm-materialize-${version}.cjs`;
const EMULATOR = `ssm-materialize-emulator-${version}.cjs`;
const SECRET = 'CANARY-release-s3cr3t';
/** The bin (src/launch.ts), the bundle it runs, the bundle's V8 code cache, and the emulator's own file. */
const DIST_FILES = ['dist/ssm-materialize.cjs', 'dist/ssm-materialize.bundle.cjs', 'dist/ssm-materialize.bundle.cache', 'dist/ssm-materialize-emulator.cjs'];

let work: string;
let releaseDir: string;
let emulator: RunningEmulator;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ssm-mat-release-'));
  releaseDir = join(work, 'release');
  emulator = await startEmulator({ seed: { parameters: [{ name: '/release/api-key', type: 'SecureString', value: SECRET }] } });
  // The real release command, into a directory of our own (dist/ and release/ stay untouched).
  const built = await runCommand(process.execPath, [join(ROOT, 'scripts', 'release.mjs'), '--out', releaseDir], { env: process.env, cwd: ROOT });
  if (built.code !== 0) throw new Error(`release failed (${built.code}):\n${built.stdout}\n${built.stderr}`);
}, 300_000);

afterAll(async () => {
  await emulator?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** An empty directory standing in for a fresh host's working directory, with a manifest. */
function host(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'materialize.yaml'), 'version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values:\n      API_KEY: /release/api-key\n');
  return dir;
}

/** What an AWS host gives the tool: keys and a region, here aimed at the emulator. */
function awsEnv(path: string, home: string): NodeJS.ProcessEnv {
  return {
    PATH: path,
    HOME: home,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_SSM: emulator.url,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...DEMO_CREDENTIALS,
  };
}

function expectWritten(dir: string, result: { code: number | null; stdout: string; stderr: string }): void {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('app.env');
  expect(result.stdout + result.stderr).not.toContain(SECRET);
  const file = join(dir, 'app.env');
  expect(parseDotenv(readFileSync(file))).toEqual({ API_KEY: SECRET });
  expect(statSync(file).mode & 0o777).toBe(0o600);
}

describe.concurrent('npm run release', () => {
  it('produces the executable, the .cjs bundle, the emulator file and SHA256SUMS that sha256sum -c accepts, named with package.json version', async () => {
    expect(readdirSync(releaseDir).sort()).toEqual([BUNDLE, EMULATOR, EXE, 'SHA256SUMS'].sort());
    const sums = readFileSync(join(releaseDir, 'SHA256SUMS'), 'utf8');
    expect(sums.trim().split('\n').map((l) => l.split(/\s+/)[1]).sort()).toEqual([BUNDLE, EMULATOR, EXE].sort());
    const check = await runCommand('sha256sum', ['-c', 'SHA256SUMS'], { env: { PATH: process.env.PATH }, cwd: releaseDir });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`${EXE}: OK`);
    expect(statSync(join(releaseDir, EXE)).mode & 0o111).not.toBe(0);
  });

  it('the standalone executable, alone in an empty directory with no node on PATH, prints the version', async () => {
    const dir = host('exe-version');
    const emptyBin = join(dir, 'bin');
    mkdirSync(emptyBin);
    copyFileSync(join(releaseDir, EXE), join(dir, 'ssm-materialize'));
    const env = { PATH: emptyBin, HOME: dir };
    for (const d of env.PATH.split(delimiter)) expect(existsSync(join(d, 'node'))).toBe(false);
    const r = await runCommand(join(dir, 'ssm-materialize'), ['--version'], { env, cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(version);
    expect(r.code).toBe(0);
  });

  it('the standalone executable with no node on PATH writes a SecureString to a 0600 dotenv file from the emulator', async () => {
    const dir = host('exe-write');
    const emptyBin = join(dir, 'bin');
    mkdirSync(emptyBin);
    copyFileSync(join(releaseDir, EXE), join(dir, 'ssm-materialize'));
    const r = await runCommand(join(dir, 'ssm-materialize'), ['write', '-m', 'materialize.yaml'], { env: awsEnv(emptyBin, dir), cwd: dir });
    expectWritten(dir, r);
  });

  it('the standalone executable, alone with no node on PATH, runs `emulator` from the copy embedded in it', async () => {
    const dir = host('exe-emulator');
    const emptyBin = join(dir, 'bin');
    mkdirSync(emptyBin);
    copyFileSync(join(releaseDir, EXE), join(dir, 'ssm-materialize'));
    const stopped = await runEmulatorCommand(join(dir, 'ssm-materialize'), [], { PATH: emptyBin, HOME: dir }, dir);
    expect(stopped.stdout).toMatch(/^ssm-materialize emulator listening on http:\/\/127\.0\.0\.1:\d+\n/);
    expect(stopped.stdout).toMatch(/ssm-materialize emulator stopping; counters: \{"requests":1,/);
    expect(stopped.code).toBe(0);
  });

  it('the .cjs bundle runs `emulator` from the emulator file beside it', async () => {
    const dir = host('bundle-emulator');
    copyFileSync(join(releaseDir, BUNDLE), join(dir, BUNDLE));
    copyFileSync(join(releaseDir, EMULATOR), join(dir, EMULATOR));
    const stopped = await runEmulatorCommand(process.execPath, [join(dir, BUNDLE)], { PATH: '/nonexistent', HOME: dir }, dir);
    expect(stopped.stdout).toMatch(/ssm-materialize emulator stopping; counters: \{"requests":1,/);
    expect(stopped.code).toBe(0);
  });

  it('the .cjs bundle runs under node and writes the same file', async () => {
    const dir = host('bundle-write');
    copyFileSync(join(releaseDir, BUNDLE), join(dir, BUNDLE));
    const r = await runCommand(process.execPath, [join(dir, BUNDLE), 'write', '-m', 'materialize.yaml'], { env: awsEnv('/nonexistent', dir), cwd: dir });
    expectWritten(dir, r);
  });
});

describe.concurrent('the npm package', () => {
  let tarball: string;
  let files: string[];

  beforeAll(async () => {
    // --ignore-scripts: pack dist/ as `npm test` built it, without rebuilding it under running tests.
    const packed = await runCommand('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { env: process.env, cwd: ROOT });
    if (packed.code !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, info!.filename);
    files = info!.files.map((f) => f.path).sort();
  }, 120_000);

  it('holds the bin, its bundle and code cache, templates, README, LICENSE and package.json, and nothing else (no tests, sources or maps)', () => {
    for (const f of DIST_FILES) expect(files).toContain(f);
    expect(files).toContain('README.md');
    expect(files).toContain('LICENSE');
    expect(files).toContain('package.json');
    const templates = readdirSync(join(ROOT, 'templates')).map((f) => `templates/${f}`);
    for (const t of templates) expect(files).toContain(t);
    expect(files.filter((f) => ![...DIST_FILES, 'README.md', 'LICENSE', 'package.json', ...templates].includes(f))).toEqual([]);
  });

  it('declares no runtime dependencies (the bin is one bundle), so it installs with no network', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.bin).toEqual({ 'ssm-materialize': 'dist/ssm-materialize.cjs' });
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies']) expect(pkg[field]).toBeUndefined();
  });

  it('installs offline into an empty prefix and its ssm-materialize on PATH writes from the emulator', async () => {
    const prefix = join(work, 'prefix');
    const cache = join(work, 'empty-npm-cache');
    const installed = await runCommand('npm', ['install', '--global', '--prefix', prefix, '--offline', '--cache', cache, '--no-audit', '--no-fund', tarball], {
      env: { PATH: process.env.PATH, HOME: work },
      cwd: work,
    });
    expect(installed.stderr).not.toMatch(/ERR!/);
    expect(installed.code).toBe(0);
    const dir = host('npm-write');
    const path = [join(prefix, 'bin'), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);
    const v = await runCommand('ssm-materialize', ['--version'], { env: { PATH: path, HOME: dir }, cwd: dir });
    expect(v.stdout.trim()).toBe(version);
    const r = await runCommand('ssm-materialize', ['write', '-m', 'materialize.yaml'], { env: awsEnv(path, dir), cwd: dir });
    expectWritten(dir, r);
  }, 120_000);
});

/** Starts `emulator --port 0`, makes one request to it, stops it with SIGTERM; its exit code and output. */
function runEmulatorCommand(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(file, [...args, 'emulator', '--port', '0'], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    let asked = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(stdout)?.[0];
      if (!url || asked) return;
      asked = true;
      // One signed-less request: counted, refused (signatures are verified), then stop.
      fetch(url, { method: 'POST', headers: { 'x-amz-target': 'AmazonSSM.GetParameter' }, body: '{}' }).then(
        () => child.kill('SIGTERM'),
        (err: unknown) => reject(err as Error),
      );
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A download site on loopback serving the release directory, standing in for the release page. */
async function serveDirectory(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.split('/').pop() ?? '');
    const file = join(dir, name);
    if (!name || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v${version}`, server };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.concurrent("README: a fresh instance following only the Install and CodeDeploy sections", () => {
  const newInstance = useInstances();

  it('installs the checked standalone executable, then runs the example hook as the agent would, credentials from instance metadata', async () => {
    requireRoot();
    const instance = newInstance({ installCli: false });
    const site = await serveDirectory(releaseDir);
    try {
      // Install: exactly the README block; only the release URL and the instance's root differ.
      const [install] = readmeShellBlocks('Install');
      expect(install).toMatch(/^RELEASES=/m);
      const installScript = install!.replace(/^RELEASES=.*$/m, `RELEASES=${site.url}`).replaceAll('/usr/local/bin', instance.bin);
      const downloads = join(instance.root, 'root');
      const env = { PATH: instance.path, HOME: downloads };
      const installed = await runCommand('bash', ['--norc', '--noprofile', '-euo', 'pipefail', '-c', installScript], { env, cwd: downloads });
      expect(installed.stderr).toBe('');
      expect(installed.code).toBe(0);
      expect(installed.stdout).toContain(`ssm-materialize-${version}-linux-x64: OK`);
      expect(installed.stdout.trim().split('\n').at(-1)).toBe(version);

      // CodeDeploy: the README's "try the hook" block, from a copy of examples/codedeploy.
      const revision = join(instance.root, 'revision');
      installRevision(join(EXAMPLES, 'codedeploy'), revision);
      const blocks = readmeShellBlocks('In a CodeDeploy hook');
      const tryHook = blocks.find((b) => b.includes('materialize.sh'));
      expect(tryHook).toBeDefined();
      const port = String(await freePort());
      // The trap only cleans up after a failure midway (the block stops its emulator itself).
      const hookScript = `trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n${tryHook!.replaceAll('4583', port)}`;
      const hook = await runCommand('bash', ['--norc', '--noprofile', '-euo', 'pipefail', '-c', hookScript], { env, cwd: revision });
      expect(hook.stderr).toBe('');
      expect(hook.code).toBe(0);
      const file = join(revision, 'app', '.env');
      expect(parseDotenv(readFileSync(file))).toEqual({ DB_PASSWORD: 'staging-db-pa$$word', API_KEY: 'staging-api-key', LOG_LEVEL: 'debug' });
      const st = statSync(file);
      expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o600, 33, 33]);
      const policy = readFileSync(join(revision, 'policy.json'), 'utf8');
      expect(policy).toContain('arn:aws:ssm:us-east-1:123456789012:parameter/myapp/staging/db/password');
    } finally {
      site.server.close();
    }
  }, 180_000);
});
