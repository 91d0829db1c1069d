// `npm run release [-- --out DIR] [-- --public-key FILE]`: the artifacts a release publishes, into release/ (or DIR).
//   ssm-materialize-<version>-linux-x64     standalone executables (Node SEA): no Node needed on the host
//   ssm-materialize-<version>-linux-arm64
//   ssm-materialize-<version>.cjs           the single-file bundle, for hosts with Node >= 22 (runnable: shebang)
//   ssm-materialize-emulator-<version>.cjs  the emulator, for that bundle's `emulator` command (beside it);
//                                           the executables carry the same file inside, as an SEA asset,
//                                           and the AWS SDK as another (src/startup/parts.ts)
//   ssm-materialize-<version>.tgz           the npm package (`npm i -g` it), THIRD_PARTY_LICENSES in its dist/
//   THIRD_PARTY_LICENSES                    every bundled package's licence text, then Node's (the executables carry it)
//   ssm-materialize.bash, _ssm-materialize  the bash and zsh completions (scripts/cli-docs.mjs; docs/commands.md says where they go)
//   ssm-materialize.1                       the man page
//   <artifact>.cdx.json                     a CycloneDX SBOM per artifact (the executables' list the embedded Node)
//   SHA256SUMS                              `sha256sum -c` format, for every file above
//   SHA256SUMS.asc                          its detached GnuPG signature, when the publisher's key is configured
//                                           (scripts/sign.mjs: SSM_MATERIALIZE_SIGNING_KEY); never a private key in
//                                           this repository; kept only if it verifies against RELEASE-KEY.asc (or FILE)
// The version is package.json's (src/cli.ts reads the same field).
//
// The executables carry the Node of scripts/embedded-node.mjs (the current
// LTS, from the npm registry, integrity checked), not the Node running this
// script. The SEA recipe: a small CommonJS main script (src/startup/sea-launch.ts)
// and, as assets, the bundle (scripts/bundle.mjs makes the same file for dist/),
// the AWS SDK's and the emulator's files (src/startup/parts.ts) and the V8 code
// caches of the bundle and the SDK (scripts/make-code-cache.ts); `node
// --experimental-sea-config` turns them into a blob, and postject injects the
// blob into a copy of that Node. A code cache is only valid for the Node build
// that made it, so each is made by the Node it goes into: the arm64 one runs
// under qemu-user (Debian's qemu-user with the arm64 C and C++ runtime from
// libc6-arm64-cross and libstdc++6-arm64-cross).
import { inject } from 'postject';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS, BUNDLE_PART, EMULATOR_FILE, SDK_FILE, buildDist, bundleCli, bundleEmulator, bundleSdk, codeCacheAsset } from './bundle.mjs';
import { EMBEDDED_NODE, embeddedNode } from './embedded-node.mjs';
import { bundledPackages, cycloneDx, thirdPartyNotices } from './licenses.mjs';
import { writeCliReference } from './cli-docs.mjs';
import { RELEASE_KEY, sign } from './sign.mjs';
import { importTypeScript } from './import-typescript.mjs';

const root = join(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outFlag = process.argv.indexOf('--out');
const out = resolve(outFlag >= 0 && process.argv[outFlag + 1] ? process.argv[outFlag + 1] : join(root, 'release'));
// The public key a signature must verify against (scripts/sign.mjs): RELEASE-KEY.asc unless given.
const publicKeyFlag = process.argv.indexOf('--public-key');
const publicKey = publicKeyFlag >= 0 ? resolve(process.argv[publicKeyFlag + 1]) : RELEASE_KEY;
const work = `${out}.work`;
const nodeCache = join(root, 'node_modules', '.cache', 'ssm-materialize-release');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** How to run each architecture's Node on this (x64) build machine. */
const RUNNERS = { x64: [], arm64: ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'] };

// release/ is ours to empty; an --out directory given by the caller is only added to.
if (outFlag < 0) rmSync(out, { recursive: true, force: true });
rmSync(work, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
mkdirSync(work, { recursive: true });
const artifacts = [];

// 1. The bundle, made exactly as `npm run build` makes dist/'s (built apart
// from dist/, which tests may be running at the same moment). The published
// .cjs is the same script behind a shebang, so it runs as a command.
const script = join(work, 'ssm-materialize.cjs');
const emulatorName = `ssm-materialize-emulator-${version}.cjs`;
const cli = await bundleCli(script, { emulatorFile: emulatorName, sdk: 'inline' });
// The executables run a small main script (src/startup/sea-launch.ts) that runs the bundle from an asset
// through a code cache trained at build time. That bundle leaves the AWS SDK to an asset of its own, as
// dist/'s leaves it to a file beside it (src/startup/parts.ts): commands that make no AWS call do not pay for it.
const seaMain = join(work, 'sea-main.cjs');
await build({ ...BUNDLE_OPTIONS, entryPoints: [join(root, 'src', 'startup', 'sea-launch.ts')], outfile: seaMain });
const bundlePart = join(work, BUNDLE_PART);
await bundleCli(bundlePart);
const sdkPart = join(work, SDK_FILE);
await bundleSdk(sdkPart);
// The training run: `validate` of the example manifest, which reads every kind of manifest entry.
const TRAINING_ENV = { PATH: process.env.PATH, STAGE: 'prod', OUT_DIR: work };
const TRAINING_ARGS = ['validate', '-m', join(root, 'examples', 'materialize.yaml')];
const codeCacheMaker = await bundleCodeCacheMaker();
// The V8 flags the executables start with, read from their source.
const { EXECUTABLE_V8_FLAGS } = await importTypeScript('src/startup/heap-flags.ts');
// The emulator is a file of its own: beside the bundle, and inside the
// executables as an SEA asset (src/commands/emulator.ts loads it from there).
const emulator = await bundleEmulator(join(out, emulatorName));
const packages = bundledPackages([...new Set([...cli.inputs, ...emulator.inputs])].sort());
const bundleName = `ssm-materialize-${version}.cjs`;
writeFileSync(join(out, bundleName), `#!/usr/bin/env node\n${readFileSync(script, 'utf8')}`, { mode: 0o755 });
chmodSync(join(out, bundleName), 0o755);
artifacts.push(bundleName);
sbom(bundleName);
artifacts.push(emulatorName);

// The shell completions and the man page, from the same command definitions as --help.
artifacts.push(...(await writeCliReference(out, { flat: true })));

// 2. One standalone executable per architecture.
const nodeLicence = [];
for (const arch of Object.keys(RUNNERS)) await standalone(arch);

// 3. The npm package, packed from a staged copy (dist/ built afresh there, so
// a dist/ in use by tests is left alone).
const staged = join(work, 'package');
mkdirSync(staged);
for (const f of ['package.json', 'README.md', 'LICENSE']) copyFileSync(join(root, f), join(staged, f));
cpSync(join(root, 'templates'), join(staged, 'templates'), { recursive: true });
await buildDist(join(staged, 'dist'));
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], {
    cwd: staged,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
);
artifacts.push(packed[0].filename);
sbom(packed[0].filename);

// 4. Notices: the bundled packages', then the embedded Node's own licence.
writeFileSync(join(out, 'THIRD_PARTY_LICENSES'), thirdPartyNotices(packages, nodeLicence.slice(0, 1)));
artifacts.push('THIRD_PARTY_LICENSES');

// 5. Checksums of everything, then the signature (or a plain word that there is none).
const sums = artifacts
  .map(
    (name) =>
      `${createHash('sha256')
        .update(readFileSync(join(out, name)))
        .digest('hex')}  ${name}\n`,
  )
  .join('');
writeFileSync(join(out, 'SHA256SUMS'), sums);
try {
  sign(join(out, 'SHA256SUMS'), { publicKey });
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
rmSync(work, { recursive: true, force: true });
process.stdout.write(`${out}: ${[...artifacts, 'SHA256SUMS'].join(', ')}\n`);

/** `<artifact>.cdx.json`, added to the artifacts. */
function sbom(artifact, node) {
  const name = `${artifact}.cdx.json`;
  writeFileSync(join(out, name), `${JSON.stringify(cycloneDx({ artifact, file: join(out, artifact), version, packages, node }), null, 2)}\n`);
  artifacts.push(name);
}

/** scripts/make-code-cache.ts as one CommonJS file any Node runs, with the sources it shares with the tool. */
async function bundleCodeCacheMaker() {
  const file = join(work, 'make-code-cache.cjs');
  await build({ ...BUNDLE_OPTIONS, entryPoints: [join(root, 'scripts', 'make-code-cache.ts')], outfile: file });
  return file;
}

/**
 * The code cache of `part` for the executable of `arch`, made by its own Node (`node`) in `dir`; returns the
 * file. With `args`, after a run of the tool with them (scripts/make-code-cache.ts): offline, no store.
 */
function codeCache(arch, node, dir, part, args = []) {
  const file = join(dir, `${basename(part)}.v8cache`);
  const [runner, ...runnerArgs] = [...RUNNERS[arch], node, ...EXECUTABLE_V8_FLAGS, codeCacheMaker, part, file, ...(args.length ? ['--', ...args] : [])];
  execFileSync(runner, runnerArgs, { cwd: dir, env: TRAINING_ENV, stdio: ['ignore', 'ignore', 'inherit'] });
  return file;
}

/** The blob made by the embedded Node of `arch` itself, injected into a copy of it; adds the executable and its SBOM to the artifacts. */
async function standalone(arch) {
  const dir = join(work, arch);
  mkdirSync(dir);
  const node = embeddedNode(arch, nodeCache, dir);
  const blob = join(dir, 'sea-prep.blob');
  const seaConfig = join(dir, 'sea-config.json');
  writeFileSync(
    seaConfig,
    JSON.stringify({
      main: seaMain,
      output: blob,
      disableExperimentalSEAWarning: true,
      // V8 flags from the start (src/startup/heap-flags.ts: EXECUTABLE_V8_FLAGS): nothing loads node:v8 to set them.
      execArgv: EXECUTABLE_V8_FLAGS,
      assets: {
        [BUNDLE_PART]: bundlePart,
        [codeCacheAsset(BUNDLE_PART)]: codeCache(arch, node.node, dir, bundlePart, TRAINING_ARGS),
        [SDK_FILE]: sdkPart,
        [codeCacheAsset(SDK_FILE)]: codeCache(arch, node.node, dir, sdkPart),
        [EMULATOR_FILE]: join(out, emulatorName),
      },
    }),
  );
  const [runner, ...runnerArgs] = [...RUNNERS[arch], node.node, '--experimental-sea-config', seaConfig];
  execFileSync(runner, runnerArgs, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const name = `ssm-materialize-${version}-linux-${arch}`;
  const exe = join(out, name);
  copyFileSync(node.node, exe);
  chmodSync(exe, 0o755);
  // postject may warn about a `.note.100` section on Linux: harmless.
  await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  process.stderr.write(`release: ${name} carries Node ${EMBEDDED_NODE.version} (${node.integrity})\n`);
  artifacts.push(name);
  sbom(name, { arch, version: EMBEDDED_NODE.version, integrity: node.integrity });
  nodeLicence.push({
    title: `Node.js ${EMBEDDED_NODE.version} (embedded in the standalone executables; its LICENSE, which covers its own bundled dependencies)`,
    text: readFileSync(node.license, 'utf8'),
  });
}
