// `npm run build`: the npm package's dist/, three files:
//   ssm-materialize.bundle.cjs   the whole CLI in one CommonJS file (scripts/bundle.mjs)
//   ssm-materialize.bundle.cache its V8 code cache, made here by this Node
//   ssm-materialize.cjs          the bin: runs the bundle through the cache (src/launch.ts)
// A single file loads ~100 ms faster than the unbundled module graph, and the
// cache saves most of the bundle's compile time (BENCHMARKS.md has both).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_OPTIONS, bundleCli } from './bundle.mjs';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);

const bundle = join(dist, 'ssm-materialize.bundle.cjs');
await bundleCli(bundle);
// The launcher reads the bundle as latin1, which is only right for ASCII
// (esbuild's default charset escapes everything else).
const nonAscii = readFileSync(bundle).findIndex((byte) => byte > 0x7f);
if (nonAscii >= 0) throw new Error(`${bundle}: byte ${nonAscii} is not ASCII; the launcher reads the bundle as latin1`);

const bin = join(dist, 'ssm-materialize.cjs');
await build({ ...BUNDLE_OPTIONS, entryPoints: [join(root, 'src', 'launch.ts')], outfile: bin, banner: { js: '#!/usr/bin/env node' } });
chmodSync(bin, 0o755);

// The cache must come from the Node that will run it: this one, in a child
// started the way the bin starts (no flags), since V8 checks its flags too.
execFileSync(process.execPath, ['-e', `require(${JSON.stringify(bin)}).writeCodeCache()`], { stdio: 'inherit', env: { PATH: process.env.PATH } });
