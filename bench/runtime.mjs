// The runtime change of issue 17, before and after, in paired runs on one
// machine: the previous build (Node 20, V8 code cache trained at build time,
// Node 20 SEA) against this one (Node 24 LTS, its npm bin with a code cache
// trained by the first run of each command, Node 24 SEA), and this one with
// Node's compile cache in its place or with no cache, to show what each
// still pays. Every command is timed by the kernel's rusage (bench/fleet.mjs, timeCommand); tools are
// interleaved (one run of each per round) and figures are medians, with the
// spread (first and third quartile) of CPU time. Writes its section of
// BENCHMARKS.md (between the runtime markers; bench/run.mjs keeps it).
//
//   node bench/runtime.mjs --before DIR [--before-node /usr/bin/node] [--runs N]
// DIR is a built checkout of the previous version: `git worktree add DIR <commit> &&
// cd DIR && npm ci && node scripts/release.mjs --out rel` (with the Node it ran on, 20).
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { startEmulatorProcess } from '../scripts/emulator-process.mjs';
import { embeddedNode } from '../scripts/embedded-node.mjs';
import { benchNames, emulatorEnv, seaExecutable, timeCommand as measure, writeDotenvManifest, writeSeedFile, option } from './fleet.mjs';

const root = join(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const BEFORE = option('before');
if (!BEFORE) throw new Error('--before DIR: a built checkout of the previous version (see the header)');
const BEFORE_NODE = option('before-node', '/usr/bin/node');
const RUNS = Number(option('runs', 9));
const RSS_RUNS = Number(option('rss-runs', 3));
const OUT = option('out', join(root, 'BENCHMARKS.md'));
const NODE = process.execPath;
const NODE22 = join(root, 'node_modules', 'node22', 'bin', 'node');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const COMMAND = `node bench/runtime.mjs ${argv.join(' ')}`;
const say = (s) => process.stderr.write(`bench/runtime: ${s}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const nodeVersion = (node) => spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();

// The artifacts: today's build (before) and this one (after), each as the npm bin and as the x64 executable.
const work = mkdtempSync(join(tmpdir(), 'ssm-bench-runtime-'));
chmodSync(work, 0o700);
say('building this release (executables) into a scratch directory');
const release = join(work, 'release');
const built = spawnSync(NODE, [join(root, 'scripts', 'release.mjs'), '--out', release], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
if (built.status !== 0) throw new Error(`release failed: ${built.stderr}`);
const asBuilt = {
  after: join(release, `ssm-materialize-${version}-linux-x64`),
  before: join(BEFORE, 'rel', `ssm-materialize-${JSON.parse(readFileSync(join(BEFORE, 'package.json'), 'utf8')).version}-linux-x64`),
};
for (const f of Object.values(asBuilt)) if (!existsSync(f)) throw new Error(`missing ${f}`);
// Each executable is measured as a host has it: put in place by `install` (README's install
// block), not as the build left it. Part of a process's peak RSS is its executable's pages,
// and how many of them a start maps depends on how the file came into the page cache: the
// build writes the whole file in one call, and the kernel then holds and maps it in large
// pieces, so a start maps more of it (BENCHMARKS.md). `install` copies it as a download or
// package manager does.
const installed = (file, name) => {
  const to = join(work, name);
  spawnSync('install', ['-m', '0755', file, to], { stdio: 'inherit' });
  return to;
};
// dist/ as it is now, copied: a build during the run changes nothing here.
const afterDist = join(work, 'after-dist');
// (dist/ holds directories too: the completions and the man page.)
cpSync(join(root, 'dist'), afterDist, { recursive: true });
const after = { bin: join(afterDist, 'ssm-materialize.cjs'), exe: installed(asBuilt.after, 'after-x64') };
// This build's executable as Node's own recipe makes one: the whole bundle (the AWS SDK inside) as the
// main script, with Node's SEA code cache (top level only), instead of src/startup/sea-launch.ts and its trained cache.
say("building this build's executable with Node's SEA code cache instead");
const embedded = embeddedNode('x64', join(root, 'node_modules', '.cache', 'ssm-materialize-release'), work);
const afterNodeSeaCache = await seaExecutable(work, embedded.node, 'after-node-sea-code-cache', join(root, 'src', 'bin.ts'), { useCodeCache: true });
const before = { bin: join(BEFORE, 'dist', 'ssm-materialize.cjs'), exe: installed(asBuilt.before, 'before-x64') };
for (const f of [after.bin, after.exe, before.bin, before.exe]) if (!existsSync(f)) throw new Error(`missing ${f}`);
// Node's own binary written as the build writes an executable: in one call.
const nodeWrittenAtOnce = join(work, 'node-written-at-once');
writeFileSync(nodeWrittenAtOnce, readFileSync(NODE), { mode: 0o755 });
// This build with V8's optimizing compilers left on (src/startup/heap-flags.ts): the flags it sets are dropped.
const keepOptimizing = join(work, 'keep-optimizing.cjs');
writeFileSync(
  keepOptimizing,
  "const v8 = require('node:v8'); const set = v8.setFlagsFromString; v8.setFlagsFromString = (f) => (/^--no-(maglev|turbofan)$/.test(f) ? undefined : set(f));\n",
);
// This build's bundle run as 0.2.0's bin ran it: Node's compile cache (module.enableCompileCache,
// which caches the top level only) in a private directory, instead of src/startup/launch.ts's trained cache.
const nodeCompileCache = join(afterDist, 'node-compile-cache.cjs');
const nodeCompileCacheDir = join(work, 'node-compile-cache');
mkdirSync(nodeCompileCacheDir, { mode: 0o700 });
writeFileSync(
  nodeCompileCache,
  [
    "const { setFlagsFromString } = require('node:v8');",
    "for (const flag of ['--no-maglev', '--no-turbofan']) setFlagsFromString(flag);",
    `require('node:module').enableCompileCache(${JSON.stringify(nodeCompileCacheDir)});`,
    "require('./ssm-materialize.bundle.cjs');",
  ].join('\n'),
);

// A private home (under this user's own home, so that the bin's compile cache is allowed there).
const home = mkdtempSync(join(process.env.HOME ?? '/root', '.ssm-bench-home-'));
chmodSync(home, 0o700);
const envFor = (endpoint, extra = {}) => ({ ...emulatorEnv(endpoint, { PATH: process.env.PATH, HOME: home }), ...extra });

const seed = (names) => writeSeedFile(join(work, `seed-${names.length}.json`), names);
const manifestDir = (name, names) => writeDotenvManifest(join(work, name), names);

/**
 * Each tool once per round, in an order shuffled anew each round (seeded: the same run to run).
 * In a fixed order, a command always follows the same one: a build whose `--version` loads its
 * whole bundle then starts its `validate` with that bundle's pages and the CPU's caches warm,
 * and one whose `--version` loads nothing does not.
 */
function interleaved(tools, rounds) {
  const samples = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
  let seed = 17;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < rounds; i++) {
    const order = Object.keys(tools);
    for (let j = order.length - 1; j > 0; j--) {
      const k = Math.floor(random() * (j + 1));
      [order[j], order[k]] = [order[k], order[j]];
    }
    for (const label of order) samples[label].push(measure(tools[label].argv, tools[label].env, tools[label].cwd));
  }
  const quartile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.round(q * (xs.length - 1))];
  return Object.fromEntries(
    Object.entries(samples).map(([k, xs]) => {
      const cpu = xs.map((x) => x.cpuMs);
      return [
        k,
        {
          ms: median(xs.map((x) => x.ms)),
          cpuMs: median(cpu),
          cpuQ1: quartile(cpu, 0.25),
          cpuQ3: quartile(cpu, 0.75),
          rss: median(xs.map((x) => x.rss)),
          maxRss: Math.max(...xs.map((x) => x.rss)),
          cpuSamples: cpu,
        },
      ];
    }),
  );
}

const machine = {
  cpu: `${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  loadBefore: loadavg()
    .map((n) => n.toFixed(2))
    .join(' '),
};
const results = {};
const stops = [];
try {
  // 1. Start-up: --version, validate, a cold 10-name write, one AWS CLI call.
  const names = benchNames(10, '/bench/start');
  const emu = await startEmulatorProcess(after.bin, seed(names));
  stops.push(emu.stop);
  const dir = manifestDir('start', names);
  const env = envFor(emu.url);
  const noCache = envFor(emu.url, { NODE_DISABLE_COMPILE_CACHE: '1' });
  const variants = {
    'before: Node 20 bin (trained V8 code cache)': { node: BEFORE_NODE, bin: before.bin, env },
    'after: Node 24 bin (trained code cache, warm)': { node: NODE, bin: after.bin, env },
    "after: Node 24 bin, Node's compile cache instead (warm)": { node: NODE, bin: nodeCompileCache, env },
    'after: Node 24 bin, no cache': { node: NODE, bin: after.bin, env: noCache },
    'after: Node 24 bin, optimizing compilers on': { node: NODE, bin: after.bin, env, preload: keepOptimizing },
    'after: Node 22 bin (trained code cache, warm)': { node: NODE22, bin: after.bin, env },
    'before: Node 20 executable': { exe: before.exe, env },
    'after: Node 24 executable (trained code cache)': { exe: after.exe, env },
    "after: Node 24 executable, Node's SEA code cache instead": { exe: afterNodeSeaCache, env },
  };
  const commands = {
    '--version': ['--version'],
    validate: ['validate', '-m', 'm.yaml'],
    'write (cold process, 10 names)': ['write', '-m', 'm.yaml', '--quiet'],
  };
  // Warm each cache once per command (the trained one is per command), as every run after a host's first finds it.
  for (const v of Object.values(variants))
    if (v.bin) for (const args of Object.values(commands)) measure([v.node, ...(v.preload ? ['-r', v.preload] : []), v.bin, ...args], v.env, dir);
  const tools = {
    'node -e 0 (Node 20)': { argv: [BEFORE_NODE, '-e', '0'], env, cwd: dir },
    'node -e 0 (Node 24)': { argv: [NODE, '-e', '0'], env, cwd: dir },
    'node -e 0 (Node 22)': { argv: [NODE22, '-e', '0'], env, cwd: dir },
    'node -e 0 (Node 24, the binary written in one call)': { argv: [nodeWrittenAtOnce, '-e', '0'], env, cwd: dir },
    'aws ssm get-parameters (one call, 10 names)': {
      argv: ['aws', 'ssm', 'get-parameters', '--with-decryption', '--names', ...names, '--output', 'json'],
      env,
      cwd: dir,
    },
  };
  for (const [label, v] of Object.entries(variants))
    for (const [c, args] of Object.entries(commands))
      tools[`${label} | ${c}`] = { argv: v.exe ? [v.exe, ...args] : [v.node, ...(v.preload ? ['-r', v.preload] : []), v.bin, ...args], env: v.env, cwd: dir };
  say(`start-up: ${Object.keys(tools).length} commands x ${RUNS} rounds`);
  results.startup = interleaved(tools, RUNS);
  emu.stop();

  // 2. Peak memory: 1,000 names in one process (no quota: this is about memory).
  const big = benchNames(1000, '/bench/big');
  const bigEmu = await startEmulatorProcess(after.bin, seed(big));
  stops.push(bigEmu.stop);
  const bigDir = manifestDir('big', big);
  const bigEnv = envFor(bigEmu.url);
  say(`peak RSS, 1,000 names x ${RSS_RUNS} rounds`);
  results.rss = interleaved(
    {
      'before: Node 20 bin': { argv: [BEFORE_NODE, before.bin, 'write', '-m', 'm.yaml', '--quiet'], env: bigEnv, cwd: bigDir },
      'after: Node 24 bin': { argv: [NODE, after.bin, 'write', '-m', 'm.yaml', '--quiet'], env: bigEnv, cwd: bigDir },
      'after: Node 24 bin, optimizing compilers on': {
        argv: [NODE, '-r', keepOptimizing, after.bin, 'write', '-m', 'm.yaml', '--quiet'],
        env: bigEnv,
        cwd: bigDir,
      },
      'after: Node 22 bin': { argv: [NODE22, after.bin, 'write', '-m', 'm.yaml', '--quiet'], env: bigEnv, cwd: bigDir },
      'before: Node 20 executable': { argv: [before.exe, 'write', '-m', 'm.yaml', '--quiet'], env: bigEnv, cwd: bigDir },
      'after: Node 24 executable': { argv: [after.exe, 'write', '-m', 'm.yaml', '--quiet'], env: bigEnv, cwd: bigDir },
      'after: Node 24 executable, as the build wrote it': { argv: [asBuilt.after, 'write', '-m', 'm.yaml', '--quiet'], env: bigEnv, cwd: bigDir },
    },
    RSS_RUNS,
  );
  bigEmu.stop();
} finally {
  for (const stop of stops) stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}

// --- report --------------------------------------------------------------------------
const s = results.startup;
const f0 = (n) => n.toFixed(0);
const f2 = (n) => n.toFixed(2);
const mib = (kib) => (kib / 1024).toFixed(1);
const row = (label) =>
  `| ${label.replace(' | ', ' | `')}${label.includes(' | ') ? '`' : ''} | ${f0(s[label].ms)} | ${f0(s[label].cpuMs)} | ${f0(s[label].cpuQ1)}-${f0(s[label].cpuQ3)} | ${mib(s[label].rss)} |`;
// Each ratio twice: wall time (what the issue's targets name) and CPU time (user + system), which a
// busy machine disturbs far less: there most of a short command's wall time is waiting for a core.
// Also the median of the per-round CPU ratios: each round runs both within seconds of each other.
const ratio = (a, b) => ({ wall: s[a].ms / s[b].ms, cpu: s[a].cpuMs / s[b].cpuMs, paired: median(s[a].cpuSamples.map((x, i) => x / s[b].cpuSamples[i])) });
const verdict = (ok) => (ok ? 'met' : '**not met**');
const targetRow = (what, wanted, limit, r) =>
  `| ${what} | ${wanted} | ${f2(r.wall)}x | ${verdict(r.wall <= limit)} | ${f2(r.cpu)}x | ${verdict(r.cpu <= limit)} | ${f2(r.paired)}x |`;
const AWS = 'aws ssm get-parameters (one call, 10 names)';
const targets = [];
for (const [label, node] of [
  ['after: Node 24 bin (trained code cache, warm)', 24],
  ['after: Node 22 bin (trained code cache, warm)', 22],
  ['after: Node 24 executable (trained code cache)', 24],
]) {
  targets.push(targetRow(`${label}: cold 10-name \`write\` / one AWS CLI call`, '<= 0.30x', 0.3, ratio(`${label} | write (cold process, 10 names)`, AWS)));
  const old = label.includes('executable') ? 'before: Node 20 executable' : 'before: Node 20 bin (trained V8 code cache)';
  for (const c of ['--version', 'validate']) {
    targets.push(targetRow(`${label}: \`${c}\` / \`node -e 0\` of Node ${node}`, '<= 2.5x', 2.5, ratio(`${label} | ${c}`, `node -e 0 (Node ${node})`)));
    targets.push(targetRow(`${label}: \`${c}\` / the same command of today's build`, '<= 1x', 1, ratio(`${label} | ${c}`, `${old} | ${c}`)));
  }
}
for (const label of ['after: Node 24 bin', 'after: Node 22 bin', 'after: Node 24 executable']) {
  const peak = results.rss[label].maxRss / 1024;
  targets.push(`| ${label}: peak RSS, 1,000 names | <= 95 MiB | ${peak.toFixed(1)} MiB | ${verdict(peak <= 95)} | | | |`);
}
const section = `<!-- runtime:start -->
## Runtime change: before and after, paired

Written by \`bench/runtime.mjs\`; command: \`${COMMAND}\` (after \`npm run build\`), ${new Date().toISOString()}.
Machine: ${machine.cpu}, ${machine.memory}, load before ${machine.loadBefore}. Nodes: before ${nodeVersion(BEFORE_NODE)}; after ${nodeVersion(NODE)} and ${nodeVersion(NODE22)}.
"Before" is the previous build (\`${dirname(dirname(before.bin))}\`: main before this change, built on Node 20 with its trained V8 code
cache, and its Node 20 executable); "after" is this one. Each command is timed by wait4's rusage (what \`/usr/bin/time -v\` reports, at microsecond precision: bench/fleet.mjs),
all ${Object.keys(s).length} interleaved in an order shuffled each round, ${RUNS} rounds, medians; a warm cache is the case of every run after a host's first.
Run on the pinned Node 24 (\`node_modules/.bin/node\`), as npm scripts are.

How to read it:
- Each executable is measured as a host has it, copied into place by \`install -m 0755\` (README's
  install block). Part of peak RSS is the executable's own pages, and how many a start maps
  depends on how the file entered the page cache: the build writes it in one call, the kernel
  then keeps and maps it in large pieces, and the same file starts with more resident memory
  (compare \`node -e 0\` of Node 24 as npm unpacked it with the same binary written in one call).
  The RSS table shows this build's executable both ways.
- "optimizing compilers on" is this build with src/startup/heap-flags.ts's \`--no-maglev --no-turbofan\`
  dropped (a preload script ignores them): what those flags still pay.
- The npm bin's caches: "trained" is src/startup/launch.ts's, made when each command's first run ends,
  so it holds the functions that command compiled as well as the top level; "Node's compile
  cache instead" runs the same bundle as 0.2.0's bin did (module.enableCompileCache, whose cache
  is made right after compiling the file: its top level only); "no cache" compiles everything
  on each run. Today's build held a cache trained at build time by a \`write\` against the
  emulator, which this build no longer needs. \`--version\` alone loads no bundle, in the npm bin
  and in the executable (src/startup/version-flag.ts).
- The executables: "trained code cache" is this build's (src/startup/sea-launch.ts runs the bundle,
  an asset, through a code cache made at release time after an offline \`validate\` under the
  executable's own Node, scripts/make-code-cache.ts); "Node's SEA code cache instead" is the same
  bundle built as Node's recipe builds it (the bundle as the main script, \`useCodeCache\`: a cache
  Node makes before anything runs, the top level only, so every function a command calls is
  compiled on each run).
- Both this build's bundle (dist/ and the executables) leave the AWS SDK to a file of their own
  (src/startup/parts.ts), loaded by the commands that call AWS: \`--version\`, \`validate\`,
  \`init\` and \`check\` no longer read, nor lay out, 0.6 MB of code they never run.
- Node 24's own start takes more CPU than Node 20's (the \`node -e 0\` rows). The tool's own share
  of a \`validate\` (its row less \`node -e 0\` of the Node that runs it) is smaller than today's
  build's in both the npm bin and the executable: in the bin by more than Node's difference, in
  the executable by about as much.
- "CPU, paired per round" is the median of the per-round ratios (both commands ran within
  seconds of each other), steadier than the ratio of medians on a busy machine.

| target | wanted | wall | verdict | CPU | verdict | CPU, paired per round |
|---|---|---|---|---|---|---|
${targets.join('\n')}

| command | wall ms | CPU ms | CPU ms, quartiles | peak RSS MiB |
|---|---|---|---|---|
${Object.keys(s).map(row).join('\n')}

Peak RSS of a 1,000-name \`write\` in one process (emulator without a quota; ${RSS_RUNS} interleaved runs; max):

| build | peak RSS MiB (max) | wall ms (median) |
|---|---|---|
${Object.entries(results.rss)
  .map(([k, v]) => `| ${k} | ${mib(v.maxRss)} | ${f0(v.ms)} |`)
  .join('\n')}
<!-- runtime:end -->`;

const current = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '# Benchmarks\n';
const marked = /<!-- runtime:start -->[\s\S]*<!-- runtime:end -->/;
writeFileSync(OUT, marked.test(current) ? current.replace(marked, section) : `${current.trimEnd()}\n\n${section}\n`);
say(`wrote ${OUT}`);
