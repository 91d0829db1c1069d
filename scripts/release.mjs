// `npm run release [-- --out DIR]`: the artifacts a release publishes, into release/ (or DIR).
//   ssm-materialize-<version>-<platform>-<arch>  standalone executable (Node SEA): no Node needed on the host
//   ssm-materialize-<version>.cjs                the single-file bundle, for hosts with Node >= 20.12
//   ssm-materialize-emulator-<version>.cjs       the emulator, for that bundle's `emulator` command (beside it)
//   SHA256SUMS                                   `sha256sum -c` format, for all three
// The version is package.json's (src/cli.ts reads the same field).
//
// The SEA recipe for Node 20: the CommonJS bundle (SEA runs one CJS script;
// scripts/bundle.mjs makes the same file for dist/), `node
// --experimental-sea-config` turns it into a blob (with a V8 code cache:
// faster start-up), and postject injects the blob into a copy of this node
// binary. The blob embeds the code cache of *this* node build, so build
// releases with the Node version they are meant to carry.
import { inject } from 'postject';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleEmulatorCommand } from '@ssm-materialize/emulator/bundle';
import { EMULATOR_FILE, bundleCli } from './bundle.mjs';

const root = join(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outFlag = process.argv.indexOf('--out');
const out = resolve(outFlag >= 0 && process.argv[outFlag + 1] ? process.argv[outFlag + 1] : join(root, 'release'));
const work = `${out}.work`;
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

// release/ is ours to empty; an --out directory given by the caller is only added to.
if (outFlag < 0) rmSync(out, { recursive: true, force: true });
rmSync(work, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
mkdirSync(work, { recursive: true });

// 1. The bundle, made exactly as `npm run build` makes dist/'s (built apart
// from dist/, which tests may be running at the same moment).
const bundleName = `ssm-materialize-${version}.cjs`;
const emulatorName = `ssm-materialize-emulator-${version}.cjs`;
const cjs = join(out, bundleName);
await bundleCli(cjs, { emulatorFile: emulatorName });
chmodSync(cjs, 0o755);
// The emulator is a file of its own: beside the bundle, and inside the
// executable as an SEA asset (src/commands/emulator.ts loads it from there).
await bundleEmulatorCommand(join(out, emulatorName));

// 2. The blob, then a copy of node with the blob injected.
const blob = join(work, 'sea-prep.blob');
const seaConfig = join(work, 'sea-config.json');
writeFileSync(
  seaConfig,
  JSON.stringify({ main: cjs, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets: { [EMULATOR_FILE]: join(out, emulatorName) } }),
);
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
const exeName = `ssm-materialize-${version}-${process.platform}-${process.arch}`;
const exe = join(out, exeName);
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
// postject may warn about a `.note.100` section on Linux: harmless.
await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });

// 3. Checksums.
const sums = [exeName, bundleName, emulatorName].map((name) => `${createHash('sha256').update(readFileSync(join(out, name))).digest('hex')}  ${name}\n`).join('');
writeFileSync(join(out, 'SHA256SUMS'), sums);
rmSync(work, { recursive: true, force: true });
process.stdout.write(`${out}: ${exeName}, ${bundleName}, ${emulatorName}, SHA256SUMS\n`);
