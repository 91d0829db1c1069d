// A fleet of hosts deploying at once: N `ssm-materialize write` processes
// started together, each reading the same names from one store that allows
// `tps` calls per second. Used by bench/run.mjs.
// Also the benches' shared pieces: the names and values, the emulator's seed,
// a one-output manifest, one command timed (the kernel's rusage), and a
// standalone executable built another way than the release builds it.
import { inject } from 'postject';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleCli } from '../scripts/bundle.mjs';

/** The value after `--NAME` on this bench's command line, else `dflt`. */
export function option(name, dflt) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
}

export { importTypeScript } from '../scripts/import-typescript.mjs';

export function benchNames(count, prefix = '/bench/app') {
  return Array.from({ length: count }, (_, i) => `${prefix}/p${String(i).padStart(4, '0')}`);
}

export function benchValue(i) {
  return `value-${i}-${'x'.repeat(40)}`;
}

/** The emulator's demo credentials, which every bench signs with. */
export const BENCH_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAEMULATORDEMO', AWS_SECRET_ACCESS_KEY: 'emulator-demo-secret' };

/** What every bench command runs with against the emulator at `endpoint`: its credentials and region, and no file or instance metadata to read instead. */
export function emulatorEnv(endpoint, base) {
  return {
    ...base,
    ...BENCH_CREDENTIALS,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_SSM: endpoint,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** An emulator seed file holding `names` as SecureStrings (values from benchValue). */
export function writeSeedFile(file, names) {
  writeFileSync(
    file,
    JSON.stringify({
      region: 'us-east-1',
      credentials: [{ access_key_id: BENCH_CREDENTIALS.AWS_ACCESS_KEY_ID, secret_access_key: BENCH_CREDENTIALS.AWS_SECRET_ACCESS_KEY }],
      parameters: names.map((n, i) => ({ name: n, type: 'SecureString', value: benchValue(i) })),
    }),
  );
  return file;
}

/** `dir`/m.yaml: every name into one dotenv file (dir is made private). */
export function writeDotenvManifest(dir, names) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(dir, 'm.yaml'),
    `version: 1\noutputs:\n  - path: out.env\n    format: dotenv\n    values:\n${names.map((n, i) => `      K${i}: ${n}`).join('\n')}\n`,
  );
  return dir;
}

/**
 * A command's wall time, CPU time and peak RSS as the kernel counts them: the children's rusage,
 * the counters /usr/bin/time -v reports, read at microsecond precision (time prints CPU in 10 ms
 * steps, as coarse as the differences a start-up bench compares). A few lines of Python
 * (python3 is on every machine the suite runs on: moto needs it) start the command, wait for
 * it and print the three; the Python's own start is not counted.
 */
const RUSAGE = [
  'import json, os, resource, shutil, sys, time',
  // The command gets exactly the environment it was given, its program looked up on that PATH:
  // a python3 started through a shim (pyenv) has its own PATH and variables, and Python's start adds
  // LC_CTYPE in the C locale (PEP 538).
  'env = json.loads(sys.argv[1])',
  "program = shutil.which(sys.argv[2], path=env.get('PATH', os.defpath)) or sys.argv[2]",
  // The children's rusage, as /usr/bin/time reads it: every process of the command's tree that was
  // waited for. Counted from here on: such a shim's own children are not the command's.
  'cpu = lambda u: u.ru_utime + u.ru_stime',
  'before = resource.getrusage(resource.RUSAGE_CHILDREN)',
  'start = time.perf_counter()',
  'pid = os.posix_spawn(program, sys.argv[2:], env)',
  '_, status = os.waitpid(pid, 0)',
  'wall = time.perf_counter() - start',
  'usage = resource.getrusage(resource.RUSAGE_CHILDREN)',
  "sys.stderr.write('\\nrusage %d %d %d\\n' % (round((cpu(usage) - cpu(before)) * 1e6), round(wall * 1e6), usage.ru_maxrss))",
  'sys.exit(os.waitstatus_to_exitcode(status))',
].join('\n');

/** One command (an argv; its program looked up on its env's PATH): wall ms, CPU ms (user + system) and peak RSS KiB (RUSAGE above). */
export function timeCommand(argv, env, cwd) {
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
  const r = spawnSync('python3', ['-c', RUSAGE, JSON.stringify(given), ...argv], {
    env: { PATH: process.env.PATH },
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(-1500)}`);
  const [, cpuUs, wallUs, rssKiB] = /^rusage (\d+) (\d+) (\d+)$/m.exec(r.stderr).map(Number);
  return { ms: wallUs / 1000, rss: rssKiB, cpuMs: cpuUs / 1000 };
}

/** One manifest per host directory, every name into one dotenv file. */
export function writeHostDirs(root, hosts, names) {
  return Array.from({ length: hosts }, (_, h) => writeDotenvManifest(join(root, `host${String(h).padStart(3, '0')}`), names));
}

function runOne(cli, dir, env, extraArgs) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, 'write', '-m', 'm.yaml', '--log-format', 'json', ...extraArgs], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const events = (out + err)
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      const at = (name) => Date.parse(events.find((e) => e.event === name)?.time ?? '');
      const done = events.find((e) => e.event === 'done');
      resolve({
        code,
        ms: performance.now() - started,
        throttled: done?.throttled ?? 0,
        fetchStart: at('fetch_start'),
        fetched: at('fetched'),
        stderr: err.slice(-2000),
      });
    });
  });
}

/** Start every host at once; resolve when all have exited. */
export async function runFleet({ cli, dirs, env, extraArgs = [] }) {
  const started = performance.now();
  const results = await Promise.all(dirs.map((dir) => runOne(cli, dir, env, extraArgs)));
  const ms = performance.now() - started;
  const failed = results.filter((r) => r.code !== 0);
  // From the first host's first call to the last host's last answer: what pacing decides, without process start-up.
  const fetchWindowMs = Math.max(...results.map((r) => r.fetched)) - Math.min(...results.map((r) => r.fetchStart));
  return { ms, fetchWindowMs, failed: failed.length, firstFailure: failed[0]?.stderr, clientThrottled: results.reduce((a, r) => a + r.throttled, 0) };
}

/** Every host's file holds every value (a fleet that "succeeded" with wrong files did not succeed). */
export function checkHostFiles(dirs, names) {
  const expected = names.map((_, i) => `K${i}=`).length;
  let bad = 0;
  for (const dir of dirs) {
    const text = readFileSync(join(dir, 'out.env'), 'utf8');
    const lines = text.split('\n').filter((l) => /^K\d+=/.test(l));
    if (lines.length !== expected || !names.every((_, i) => text.includes(benchValue(i)))) bad++;
  }
  return bad;
}

/**
 * A standalone executable of `node` (scripts/embedded-node.mjs) built in `work` with the bundle of
 * `entry` (the AWS SDK inside) as its main script and `seaOptions` (useCodeCache, useSnapshot):
 * the recipes scripts/release.mjs does not use, for comparison. Put in place by `install`, as
 * bench/runtime.mjs puts every executable it measures (it says why).
 */
export async function seaExecutable(work, node, name, entry, seaOptions) {
  const script = join(work, `${name}.cjs`);
  await bundleCli(script, { entry, sdk: 'inline' });
  const blob = join(work, `${name}.blob`);
  const config = join(work, `${name}.json`);
  writeFileSync(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, ...seaOptions }));
  execFileSync(node, ['--experimental-sea-config', config], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  const built = join(work, `${name}.built`);
  copyFileSync(node, built);
  chmodSync(built, 0o755);
  await inject(built, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2' });
  const exe = join(work, name);
  execFileSync('install', ['-m', '0755', built, exe]);
  return exe;
}
