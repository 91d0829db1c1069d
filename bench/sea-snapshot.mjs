// Tried for issue 17 and not adopted: the standalone executable built from a
// SEA startup snapshot (`useSnapshot`: bench/sea-snapshot-entry.ts) against
// the same bundle with Node's SEA code cache (`useCodeCache`, what
// scripts/release.mjs built then) and the previous Node 20 executable, in paired
// runs on one machine: `--version`, `validate`, a cold 10-name `write`, and
// the peak RSS of a 1,000-name `write`. Each command is timed by
// the kernel's rusage (bench/fleet.mjs), the three executables interleaved; medians, and the
// median of the per-round CPU ratios against the Node 20 executable.
// Prints a Markdown table (BENCHMARKS.md, "Tried: a SEA startup snapshot").
//
//   node bench/sea-snapshot.mjs --before DIR [--runs N] [--rss-runs N]
// DIR as for bench/runtime.mjs (its header). x64 only: a snapshot, like the
// code cache, is made by the Node it goes into (arm64 would need qemu).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedNode } from '../scripts/embedded-node.mjs';
import { startEmulatorProcess } from '../scripts/emulator-process.mjs';
import { benchNames, emulatorEnv, seaExecutable, timeCommand as measure, writeDotenvManifest, writeSeedFile, option } from './fleet.mjs';

const root = join(import.meta.dirname, '..');
const BEFORE = option('before');
if (!BEFORE) throw new Error('--before DIR: a built checkout of the previous version (bench/runtime.mjs says how)');
const RUNS = Number(option('runs', 15));
const RSS_RUNS = Number(option('rss-runs', 3));
const say = (s) => process.stderr.write(`bench/sea-snapshot: ${s}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const work = mkdtempSync(join(tmpdir(), 'ssm-bench-snapshot-'));
chmodSync(work, 0o700);
const node = embeddedNode('x64', join(root, 'node_modules', '.cache', 'ssm-materialize-release'), work);
const executable = (name, entry, seaOptions) => seaExecutable(work, node.node, name, entry, seaOptions);
say('building the executables');
const beforeVersion = JSON.parse(readFileSync(join(BEFORE, 'package.json'), 'utf8')).version;
const exes = {
  'Node 20 executable (before)': join(work, 'before'),
  "Node 24, Node's SEA code cache": await executable('code-cache', join(root, 'src', 'bin.ts'), { useCodeCache: true }),
  'Node 24, SEA startup snapshot': await executable('snapshot', join(root, 'bench', 'sea-snapshot-entry.ts'), { useSnapshot: true }),
};
execFileSync('install', ['-m', '0755', join(BEFORE, 'rel', `ssm-materialize-${beforeVersion}-linux-x64`), exes['Node 20 executable (before)']]);

const home = mkdtempSync(join(work, 'home-'));
const envFor = (endpoint) => emulatorEnv(endpoint, { PATH: process.env.PATH, HOME: home });
const seed = (names) => writeSeedFile(join(work, `seed-${names.length}.json`), names);
const manifestDir = (name, names) => writeDotenvManifest(join(work, name), names);

const rows = [];
const cli = join(root, 'dist', 'ssm-materialize.cjs');
try {
  const names = benchNames(10, '/bench/start');
  const emu = await startEmulatorProcess(cli, seed(names));
  try {
    const dir = manifestDir('start', names);
    const env = envFor(emu.url);
    const commands = {
      '--version': ['--version'],
      validate: ['validate', '-m', 'm.yaml'],
      'write (cold process, 10 names)': ['write', '-m', 'm.yaml', '--quiet'],
    };
    const samples = {};
    say(`start-up: ${RUNS} rounds`);
    for (let i = 0; i < RUNS; i++)
      for (const [c, args] of Object.entries(commands))
        for (const [k, exe] of Object.entries(exes)) (samples[`${k}|${c}`] ??= []).push(measure([exe, ...args], env, dir));
    const base = Object.keys(exes)[0];
    for (const c of Object.keys(commands))
      for (const k of Object.keys(exes)) {
        const xs = samples[`${k}|${c}`];
        const before = samples[`${base}|${c}`];
        const paired = median(xs.map((x, i) => x.cpuMs / before[i].cpuMs));
        rows.push(
          `| ${k} | \`${c}\` | ${median(xs.map((x) => x.cpuMs)).toFixed(0)} | ${paired.toFixed(2)}x | ${median(xs.map((x) => x.ms)).toFixed(0)} | ${(median(xs.map((x) => x.rss)) / 1024).toFixed(1)} |`,
        );
      }
  } finally {
    emu.stop();
  }
  const big = benchNames(1000, '/bench/big');
  const bigEmu = await startEmulatorProcess(cli, seed(big));
  try {
    const dir = manifestDir('big', big);
    const env = envFor(bigEmu.url);
    const samples = {};
    say(`peak RSS, 1,000 names x ${RSS_RUNS} rounds`);
    for (let i = 0; i < RSS_RUNS; i++)
      for (const [k, exe] of Object.entries(exes)) (samples[k] ??= []).push(measure([exe, 'write', '-m', 'm.yaml', '--quiet'], env, dir));
    for (const [k, xs] of Object.entries(samples))
      rows.push(
        `| ${k} | \`write\`, 1,000 names (peak RSS: the max) | | | ${median(xs.map((x) => x.ms)).toFixed(0)} | ${(Math.max(...xs.map((x) => x.rss)) / 1024).toFixed(1)} |`,
      );
  } finally {
    bigEmu.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(
  `| executable | command | CPU ms | CPU / Node 20 executable (paired per round) | wall ms | peak RSS MiB |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n`,
);
