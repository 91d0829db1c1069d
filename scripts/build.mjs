// `npm run build`: the npm package's dist/, four files:
//   ssm-materialize.bundle.cjs   the whole CLI in one CommonJS file (scripts/bundle.mjs), without the emulator
//   ssm-materialize.bundle.cache its V8 code cache, made here by this Node after a training run
//   ssm-materialize.cjs          the bin: runs the bundle through the cache (src/launch.ts)
//   ssm-materialize-emulator.cjs the emulator (packages/emulator), loaded by `ssm-materialize emulator` only
// A single file loads ~100 ms faster than the unbundled module graph, and the
// cache saves most of the bundle's compile time (BENCHMARKS.md has both).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleEmulatorCommand } from '@ssm-materialize/emulator/bundle';
import { BUNDLE_OPTIONS, EMULATOR_FILE, bundleCli } from './bundle.mjs';
import { startEmulatorProcess } from './emulator-process.mjs';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);

const bundle = join(dist, 'ssm-materialize.bundle.cjs');
await bundleCli(bundle);
await bundleEmulatorCommand(join(dist, EMULATOR_FILE));
// The launcher reads the bundle as latin1, which is only right for ASCII
// (esbuild's default charset escapes everything else).
const nonAscii = readFileSync(bundle).findIndex((byte) => byte > 0x7f);
if (nonAscii >= 0) throw new Error(`${bundle}: byte ${nonAscii} is not ASCII; the launcher reads the bundle as latin1`);

const bin = join(dist, 'ssm-materialize.cjs');
await build({ ...BUNDLE_OPTIONS, entryPoints: [join(root, 'src', 'launch.ts')], outfile: bin, banner: { js: '#!/usr/bin/env node' } });
chmodSync(bin, 0o755);

// The cache must come from the Node that will run it: this one, in a child
// started the way the bin starts (no flags), since V8 checks its flags too.
// It is made after a training run, so that it holds what a run compiles.
await writeTrainedCodeCache();

/**
 * The training run: a `write` of a few formats against the emulator, on loopback, in a scratch directory, with demo credentials and
 * no instance metadata. Should it fail, the cache of the top-level code is
 * written instead, with a warning: the tool is the same, only slower to start.
 */
async function writeTrainedCodeCache() {
  const scratch = mkdtempSync(join(tmpdir(), 'ssm-materialize-build-'));
  const credential = { access_key_id: 'AKIABUILDTRAINING', secret_access_key: 'build-training-secret' };
  const names = Array.from({ length: 12 }, (_, i) => `/build/training/k${i}`);
  writeFileSync(
    join(scratch, 'seed.json'),
    JSON.stringify({ region: 'us-east-1', credentials: [credential], parameters: names.map((name, i) => ({ name, type: i % 2 ? 'String' : 'SecureString', value: `training value ${i}` })) }),
  );
  const values = (from, to) => names.slice(from, to).map((n, i) => `      K${from + i}: ${n}`).join('\n');
  const formats = ['dotenv', 'json', 'yaml', 'shell'];
  writeFileSync(
    join(scratch, 'materialize.yaml'),
    `version: 1\noutputs:\n${formats.map((f, i) => `  - path: out-${f}\n    format: ${f}\n    values:\n${values(i * 3, i * 3 + 3)}\n`).join('')}`,
  );
  let emulator;
  try {
    // The emulator package's own bin (`npm run build` builds the workspaces first), not the product.
    emulator = await startEmulatorProcess(join(root, 'packages', 'emulator', 'dist', 'ssm-emulator.cjs'), join(scratch, 'seed.json'), [], []);
    const env = {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SSM: emulator.url,
      AWS_ACCESS_KEY_ID: credential.access_key_id,
      AWS_SECRET_ACCESS_KEY: credential.secret_access_key,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const args = ['write', '-m', 'materialize.yaml', '--quiet'];
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(bin)}).writeCodeCache(${JSON.stringify(args)})`], { cwd: scratch, env, stdio: ['ignore', 'ignore', 'pipe'] });
    for (const f of formats) if (!existsSync(join(scratch, `out-${f}`))) throw new Error(`the training run wrote no out-${f}`);
  } catch (err) {
    // The child's own last line says why (execFileSync's message only names the command).
    const why = String(err.stderr ?? '').trim().split('\n').pop() || err.message.split('\n')[0];
    process.stderr.write(`build: the code cache's training run failed (${why}); caching the top-level code only\n`);
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(bin)}).writeCodeCache()`], { stdio: 'inherit', env: { PATH: process.env.PATH } });
  } finally {
    emulator?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
