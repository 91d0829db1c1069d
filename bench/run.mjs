// The benchmark, every scenario in one run, written to
// BENCHMARKS.md. Tools run side by side and interleaved (A, B, C, A, B, C...)
// so that a busy machine slows all of them alike; figures are medians and the
// verdicts use ratios measured in the same run, never absolute times.
//
//   npm run bench               every scenario (a few minutes on an idle 2-core machine)
//   npm run bench -- --quick    fewer runs, no per-name AWS CLI loop, one run per fleet
//   options: --runs N (start-up runs), --fleet-runs N, --moto-runs N (default: --fleet-runs),
//            --big-fleet-runs N (process fleets of 50+ hosts; default: --fleet-runs),
//            --heavy-runs N (1,000-name and latency runs), --no-moto,
//            --no-per-name (skip the 100-call AWS CLI loop), --out FILE
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SSMClient, PutParameterCommand } from '@aws-sdk/client-ssm';
import { startEmulatorProcess } from '../scripts/emulator-process.mjs';
import {
  BENCH_CREDENTIALS as CREDS,
  benchNames,
  benchValue,
  checkHostFiles,
  emulatorEnv,
  runFleet,
  writeDotenvManifest,
  writeHostDirs,
  writeSeedFile,
  option,
} from './fleet.mjs';
import { startRateLimitProxy } from './rate-limit-proxy.mjs';
import { inProcessFleet, loadSsmStore, sdkAdaptiveFleet } from './in-process-fleet.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'ssm-materialize.cjs');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const QUICK = flag('quick');
const RUNS = Number(option('runs', QUICK ? 3 : 7));
const FLEET_RUNS = Number(option('fleet-runs', QUICK ? 1 : 5));
const MOTO_RUNS = Number(option('moto-runs', FLEET_RUNS));
const PER_NAME = !QUICK && !flag('no-per-name');
const HEAVY_RUNS = Number(option('heavy-runs', QUICK ? 1 : 3));
const BIG_FLEET_RUNS = Number(option('big-fleet-runs', FLEET_RUNS));
/**
 * Each host's --timeout in the process fleets. On a real fleet every host has
 * its own CPU; here 50 Node processes share 2 cores, and a host starved of CPU
 * can outlast the default 30 s without the store ever being the reason.
 */
const HOST_TIMEOUT_S = 300;
const WITH_MOTO = !flag('no-moto') && spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' }).status === 0;
const OUT = option('out', join(root, 'BENCHMARKS.md'));
const TPS = 40;
const COMMAND = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;

if (!existsSync(cli)) throw new Error('build first: npm run build');
const say = (s) => process.stderr.write(`bench: ${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f1 = (n) => n.toFixed(1);
const f2 = (n) => n.toFixed(2);
const mib = (kib) => kib / 1024;

const work = mkdtempSync(join(tmpdir(), 'ssm-bench-'));
chmodSync(work, 0o700);
// The emulator is on loopback: a developer's HTTPS_PROXY/HTTP_PROXY must not take its calls (both spellings; lower case wins).
const baseEnv = (endpoint) => emulatorEnv(endpoint, { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' });

const seedFile = (name, names) => writeSeedFile(join(work, name), names);
const manifest = writeDotenvManifest;

/** One command under /usr/bin/time: wall ms (measured here), peak RSS KiB, CPU ms (user + system), stdout. */
function measure(command, env, cwd) {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', 'sh', '-c', command], { env, cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${command} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const [rss, user, system] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { ms, rss, cpuMs: (user + system) * 1000, stdout: r.stdout };
}

/** Interleave: run every tool once per round, RUNS rounds; medians per tool. */
function interleaved(tools, rounds, between = () => {}) {
  const samples = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
  for (let i = 0; i < rounds; i++) {
    for (const [label, t] of Object.entries(tools)) {
      between(label);
      samples[label].push(measure(t.command, t.env, t.cwd));
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([k, xs]) => [
      k,
      { ms: median(xs.map((x) => x.ms)), rss: median(xs.map((x) => x.rss)), cpuMs: median(xs.map((x) => x.cpuMs)), runs: xs.length, last: xs.at(-1) },
    ]),
  );
}

const awsBatches = (names) => {
  const batches = [];
  for (let i = 0; i < names.length; i += 10) batches.push(names.slice(i, i + 10));
  return batches;
};
const peerBatched = (names) =>
  `umask 077; : > peer.env; ${awsBatches(names)
    .map((b) => `aws ssm get-parameters --with-decryption --names ${b.join(' ')} --output json | jq -r '.Parameters[] | "\\(.Name)=\\(.Value)"' >> peer.env`)
    .join('; ')}`;
const peerPerName = (names) =>
  `umask 077; : > peer.env; for n in ${names.join(' ')}; do aws ssm get-parameter --with-decryption --name "$n" --query Parameter.Value --output text >> peer.env; done`;

const machine = {
  cpu: `${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  node: process.version,
  aws: spawnSync('aws', ['--version'], { encoding: 'utf8' }).stdout.trim() || spawnSync('aws', ['--version'], { encoding: 'utf8' }).stderr.trim(),
  moto: WITH_MOTO ? spawnSync('python3', ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' }).stdout.trim() : 'not run',
  loadBefore: loadavg().map(f2).join(' '),
};
const results = {};
const stopAll = [];

try {
  // --- 1. Start-up: a cold 10-name write against one AWS CLI call and bare Node --------
  say('start-up');
  {
    const names = benchNames(10, '/bench/start');
    const emu = await startEmulatorProcess(cli, seedFile('start.json', names));
    stopAll.push(emu.stop);
    const env = baseEnv(emu.url);
    const dir = manifest(join(work, 'start'), names);
    const tools = {
      node: { command: 'node -e 0', env, cwd: dir },
      version: { command: `node ${cli} --version`, env, cwd: dir },
      validate: { command: `node ${cli} validate -m m.yaml --quiet`, env, cwd: dir },
      write: { command: `node ${cli} write -m m.yaml --quiet && rm -f out.env`, env, cwd: dir },
      aws: { command: `aws ssm get-parameters --with-decryption --names ${names.join(' ')} --output json > /dev/null`, env, cwd: dir },
    };
    results.startup = interleaved(tools, RUNS);
    emu.stop();
  }

  // --- 2. One process, 1,000 names, 40 TPS ------------------------------------------------
  say('1,000 names in one process at 40 TPS');
  {
    const names = benchNames(1000, '/bench/big');
    const emu = await startEmulatorProcess(cli, seedFile('big.json', names), ['--tps', String(TPS)]);
    stopAll.push(emu.stop);
    const env = baseEnv(emu.url);
    const dir = manifest(join(work, 'big'), names);
    const runs = [];
    for (let i = 0; i < HEAVY_RUNS; i++) {
      await sleep(1100); // a full bucket for each run
      const m = measure(`node ${cli} write -m m.yaml --log-format json 2>/dev/null`, env, dir);
      const done = m.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((e) => e.event === 'done');
      const failed = checkHostFiles([dir], names);
      rmSync(join(dir, 'out.env'), { force: true });
      runs.push({ ms: m.ms, rss: m.rss, throttled: done?.throttled ?? NaN, failed });
    }
    results.big = {
      ms: median(runs.map((r) => r.ms)),
      rss: Math.max(...runs.map((r) => r.rss)),
      throttled: median(runs.map((r) => r.throttled)),
      failed: runs.reduce((a, r) => a + r.failed, 0),
      runs: runs.length,
      floor: 100 / TPS,
    };
    emu.stop();
  }

  // --- 3. Real latency: 30 ms per call, 100 names -----------------------------------------
  say('100 names at 30 ms per call');
  {
    const names = benchNames(100, '/bench/lat');
    const emu = await startEmulatorProcess(cli, seedFile('lat.json', names), ['--latency', '30']);
    stopAll.push(emu.stop);
    const env = baseEnv(emu.url);
    const dir = manifest(join(work, 'lat'), names);
    results.latency = interleaved(
      {
        ours: { command: `node ${cli} write -m m.yaml --quiet && rm -f out.env`, env, cwd: dir },
        batched: { command: peerBatched(names), env, cwd: dir },
      },
      HEAVY_RUNS,
    );
    if (PER_NAME) results.latency.perName = interleaved({ perName: { command: peerPerName(names), env, cwd: dir } }, 1).perName;
    emu.stop();
  }

  // --- 4. Fleets: N hosts x 100 names at 40 TPS, our emulator and moto behind a proxy ------
  const fleetNames = benchNames(100, '/bench/fleet');
  const fleetStore = async (kind) => {
    if (kind === 'emulator') {
      const emu = await startEmulatorProcess(cli, seedFile('fleet.json', fleetNames), ['--tps', String(TPS)]);
      stopAll.push(emu.stop);
      const counters = async () => {
        const c = await (await fetch(`${emu.url}/_emulator/counters`, { headers: { connection: 'close' } })).json();
        return { requests: c.requests, throttled: c.throttled };
      };
      return { url: emu.url, counters, refill: () => sleep(1100), stop: emu.stop };
    }
    const port = 20000 + Math.floor(Math.random() * 20000);
    const moto = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    stopAll.push(() => moto.kill('SIGTERM'));
    const motoUrl = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        await fetch(`${motoUrl}/moto-api/`, { headers: { connection: 'close' } });
        break;
      } catch {
        if (i > 200) throw new Error('moto did not start');
        await sleep(100);
      }
    }
    const ssm = new SSMClient({
      endpoint: motoUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: CREDS.AWS_ACCESS_KEY_ID, secretAccessKey: CREDS.AWS_SECRET_ACCESS_KEY },
    });
    for (const [i, name] of fleetNames.entries()) await ssm.send(new PutParameterCommand({ Name: name, Value: benchValue(i), Type: 'SecureString' }));
    ssm.destroy();
    const proxy = await startRateLimitProxy({ target: motoUrl, tps: TPS });
    return {
      url: proxy.url,
      counters: async () => {
        const c = proxy.counters();
        return { requests: c.forwarded + c.throttled, throttled: c.throttled };
      },
      refill: async () => proxy.refill(),
      stop: async () => {
        await proxy.close();
        moto.kill('SIGTERM');
      },
    };
  };
  results.fleets = [];
  results.inProcess = [];
  const SsmStore = await loadSsmStore();
  for (const kind of WITH_MOTO ? ['emulator', 'moto'] : ['emulator']) {
    const store = await fleetStore(kind);
    for (const hosts of QUICK ? [20] : [20, 50]) {
      say(`fleet ${hosts} x 100 at ${TPS} TPS on ${kind}`);
      const dirs = writeHostDirs(join(work, `fleet-${kind}-${hosts}`), hosts, fleetNames);
      const runs = [];
      const processRuns = Math.min(kind === 'moto' ? MOTO_RUNS : FLEET_RUNS, hosts >= 50 ? BIG_FLEET_RUNS : Infinity);
      for (let i = 0; i < processRuns; i++) {
        await store.refill();
        const before = await store.counters();
        const r = await runFleet({ cli, dirs, env: baseEnv(store.url), extraArgs: ['--timeout', String(HOST_TIMEOUT_S)] });
        const after = await store.counters();
        const wrongFiles = r.failed ? hosts : checkHostFiles(dirs, fleetNames);
        runs.push({
          s: r.ms / 1000,
          window: r.fetchWindowMs / 1000,
          failed: r.failed,
          wrongFiles,
          throttled: after.throttled - before.throttled,
          calls: after.requests - before.requests,
          firstFailure: r.firstFailure,
        });
        say(
          `  run ${i + 1}: ${f1(r.ms / 1000)} s, fetch window ${f1(r.fetchWindowMs / 1000)} s, ${r.failed} failed, ${after.throttled - before.throttled} throttled${r.firstFailure ? `\n${r.firstFailure}` : ''}`,
        );
      }
      results.fleets.push({ kind, hosts, floor: (hosts * 10) / TPS, runs });
      say(`in-process fleet ${hosts} x 100 on ${kind}: ours and the SDK's adaptive mode, interleaved`);
      const inProcess = { ours: [], sdk: [] };
      for (let i = 0; i < (kind === 'moto' ? MOTO_RUNS : FLEET_RUNS); i++) {
        for (const who of ['ours', 'sdk']) {
          await store.refill();
          const before = await store.counters();
          const r =
            who === 'ours'
              ? await inProcessFleet(SsmStore, { hosts, names: fleetNames, endpoint: store.url })
              : await sdkAdaptiveFleet({ hosts, names: fleetNames, endpoint: store.url });
          const after = await store.counters();
          inProcess[who].push({ s: r.ms / 1000, failed: r.failed, throttled: after.throttled - before.throttled });
        }
        say(`  run ${i + 1}: ours ${f1(inProcess.ours.at(-1).s)} s, SDK adaptive ${f1(inProcess.sdk.at(-1).s)} s`);
      }
      results.inProcess.push({ kind, hosts, floor: (hosts * 10) / TPS, ...inProcess });
    }
    await store.stop();
  }
} finally {
  for (const stop of stopAll) {
    try {
      stop();
    } catch {
      /* already stopped */
    }
  }
  rmSync(work, { recursive: true, force: true });
}
machine.loadAfter = loadavg().map(f2).join(' ');

// --- BENCHMARKS.md -------------------------------------------------------------------------
const s = results.startup;
const l = results.latency;
const b = results.big;
const verdict = (ok) => (ok ? 'met' : '**not met**');
const targets = [
  ['cold 10-name `write` / one AWS CLI call', '<= 0.35x', s.write.ms / s.aws.ms, 0.35],
  ['cold 10-name `write` / `node -e 0`', '<= 3x', s.write.ms / s.node.ms, 3],
  ['`--version` / `node -e 0`', '<= 2x', s.version.ms / s.node.ms, 2],
  ['`validate` / `node -e 0`', '<= 2x', s.validate.ms / s.node.ms, 2],
  ['1,000 names, one process, 40 TPS / floor (2.5 s)', '<= 1.2x, 0 failures', b.ms / 1000 / b.floor, 1.2, b.failed === 0],
  ['peak RSS, 1,000 names', '<= 80 MiB', mib(b.rss), 80],
  ...(l.perName ? [['100 names at 30 ms: AWS CLI per-name loop / ours', '>= 20x', l.perName.ms / l.ours.ms, 20, true, 'min']] : []),
  ...results.fleets.map((fl) => {
    const limit = fl.hosts >= 50 ? 1.3 : 1.4;
    const ratio = median(fl.runs.map((r) => r.s)) / fl.floor;
    const allOk = fl.runs.every((r) => r.failed === 0 && r.wrongFiles === 0);
    return [
      `fleet ${fl.hosts} x 100 on ${fl.kind} / floor (${fl.floor} s), every process succeeds`,
      `<= ${limit}x, ${fl.runs.length} runs all ok`,
      ratio,
      limit,
      allOk,
    ];
  }),
].map(
  ([what, target, value, limit, extraOk = true, kind = 'max']) =>
    `| ${what} | ${target} | ${f2(value)}${what.includes('RSS') ? ' MiB' : 'x'} | ${verdict((kind === 'max' ? value <= limit : value >= limit) && extraOk)} |`,
);

const row = (label, r) => `| ${label} | ${r.ms.toFixed(0)} | ${r.cpuMs.toFixed(0)} | ${f1(mib(r.rss))} |`;
// Why a process fleet's wall time exceeds its fetch window on this machine: every host's start-up
// competes for the same cores before the last host can make its first call.
const cores = cpus().length;
const startupRows = results.fleets.map(
  (fl) => `| ${fl.kind} | ${fl.hosts} x 100 | ${f1(median(fl.runs.map((r) => r.s - r.window)))} | ${f1((fl.hosts * s.write.cpuMs) / 1000 / cores)} |`,
);
const fleetRows = results.fleets.flatMap((fl) =>
  fl.runs.map(
    (r, i) =>
      `| ${fl.kind} | ${fl.hosts} x 100 | ${i + 1} | ${f1(r.s)} | ${f2(r.s / fl.floor)}x | ${f1(r.window)} | ${f2(r.window / fl.floor)}x | ${r.failed} | ${r.wrongFiles} | ${r.calls} | ${r.throttled} |`,
  ),
);
const md = `# Benchmarks

Written by \`bench/run.mjs\`; do not edit by hand. Command: \`${COMMAND}\` (after \`npm run build\`).

Every figure below comes from one run of that command. Tools run side by side, interleaved
(one run of each tool per round), and figures are medians; targets are judged on ratios measured
in the same run, because absolute times on a shared machine move with its load.

## Machine

| | |
|---|---|
| CPU | ${machine.cpu} |
| memory | ${machine.memory} |
| load average (1, 5, 15 min) before / after | ${machine.loadBefore} / ${machine.loadAfter} |
| Node | ${machine.node} |
| peer | ${machine.aws} |
| moto | ${machine.moto} |
| run | ${new Date().toISOString()} |

## Targets

| target | wanted | measured | verdict |
|---|---|---|---|
${targets.join('\n')}

## Start-up (${s.node.runs} interleaved runs, medians)

10 SecureString names, against the emulator on loopback without faults.

| command | wall ms | CPU ms (user + system) | peak RSS MiB |
|---|---|---|---|
${row('`node -e 0`', s.node)}
${row('`ssm-materialize --version`', s.version)}
${row('`ssm-materialize validate`', s.validate)}
${row('`ssm-materialize write` (cold, 10 names)', s.write)}
${row('`aws ssm get-parameters` (one call, 10 names)', s.aws)}

## One process, 1,000 names, 40 TPS quota (${b.runs} runs)

Emulator with \`--tps 40\` (a token bucket of 40, refilled at 40 per second). 100 GetParameters
calls: the floor is 100 / 40 = 2.5 s.

| wall s (median) | / floor | throttled calls (median) | failed runs | peak RSS MiB (max) |
|---|---|---|---|---|
| ${f2(b.ms / 1000)} | ${f2(b.ms / 1000 / b.floor)}x | ${b.throttled} | ${b.failed} | ${f1(mib(b.rss))} |

## Real latency: 30 ms per call, 100 names (${l.ours.runs} interleaved runs${l.perName ? '; per-name loop: 1 run' : ''})

| tool | wall ms | peak RSS MiB | calls |
|---|---|---|---|
| ssm-materialize write | ${l.ours.ms.toFixed(0)} | ${f1(mib(l.ours.rss))} | 10 |
| AWS CLI, batched (10 names per call) + jq | ${l.batched.ms.toFixed(0)} | ${f1(mib(l.batched.rss))} | 10 |
${l.perName ? `| AWS CLI, one \`get-parameter\` per name | ${l.perName.ms.toFixed(0)} | ${f1(mib(l.perName.rss))} | 100 |\n` : ''}
Ratios: batched / ours ${f2(l.batched.ms / l.ours.ms)}x${l.perName ? `; per-name loop / ours ${f2(l.perName.ms / l.ours.ms)}x` : ''}.

## Fleets at 40 TPS (consecutive runs)

Every host is one \`ssm-materialize write --timeout ${HOST_TIMEOUT_S}\` process reading the same 100 names
(10 calls), all started at once, without \`--jitter\` (the long \`--timeout\`: here every host shares
the benchmark machine's cores, and a CPU-starved start-up is not what this measures). "wall" runs from the first spawn to the last exit, so it
includes every host's Node start-up on this machine's cores; "fetch window" runs from the first
host's first call to the last host's last answer (from the hosts' JSON logs): the part pacing
decides. Floor = hosts x 10 calls / 40 TPS. Store: our emulator's \`--tps 40\`, and moto
(\`python3 -m moto.server\`) behind \`bench/rate-limit-proxy.mjs\` (a 40 TPS token bucket, burst
40, answering ThrottlingException as AWS does).

| store | fleet | run | wall s | wall / floor | fetch window s | window / floor | failed hosts | wrong files | calls at the store | throttled |
|---|---|---|---|---|---|---|---|---|---|---|
${fleetRows.join('\n')}

Why the wall time exceeds the fetch window here: before the last host can make its first call,
every host's start-up has shared this machine's ${cores} cores. Next to the measured difference, the
CPU time of one cold \`write\` (start-up table) times the hosts, over the cores; on a real fleet
each host starts on its own CPU, and this difference is one start-up (${f1(s.write.ms / 1000)} s).

| store | fleet | wall - fetch window, s (median) | hosts x CPU of one cold write / ${cores} cores, s |
|---|---|---|---|
${startupRows.join('\n')}

## Fleet pacing without process start-up (interleaved runs: ${FLEET_RUNS} on the emulator, ${MOTO_RUNS} on moto; medians)

The same fleets as N store clients in one Node process (\`bench/in-process-fleet.mjs\`: each
with its own SDK client and pacing, as on N hosts), next to a baseline of
plain SDK clients in \`retryMode: 'adaptive'\` (10 attempts), 4 calls in flight each.

| store | fleet | floor s | ours s | ours / floor | throttled | failed | SDK adaptive s | SDK / floor | throttled | failed |
|---|---|---|---|---|---|---|---|---|---|---|
${results.inProcess
  .map((r) => {
    const o = median(r.ours.map((x) => x.s));
    const k = median(r.sdk.map((x) => x.s));
    const sum = (xs, key) => xs.reduce((n, x) => n + x[key], 0);
    return `| ${r.kind} | ${r.hosts} x 100 | ${r.floor} | ${f1(o)} | ${f2(o / r.floor)}x | ${median(r.ours.map((x) => x.throttled))} | ${sum(r.ours, 'failed')} | ${f1(k)} | ${f2(k / r.floor)}x | ${median(r.sdk.map((x) => x.throttled))} | ${sum(r.sdk, 'failed')} |`;
  })
  .join('\n')}

## How to read this

- Start-up (\`dist/ssm-materialize.cjs\`): one CommonJS bundle, whitespace-minified, with the AWS
  SDK tree-shaken, run through a V8 code cache that each command's first run trains, in the
  user's private cache directory (src/startup/launch.ts, src/startup/compile-cache.ts; the start-up table's
  medians are of warm runs, as every run after a host's first is); each command
  loads its own modules when it runs, so \`--version\` and \`validate\` load neither the SDK nor
  Node's network, crypto or child-process modules (test/e2e/bundle.test.ts checks that from inside
  the process); string-width, which only \`--help\` uses, loads on its first call. What is left
  above \`node -e 0\` is mostly reading and running yargs, the YAML parser and, for \`write\`, the
  SDK, on a machine where Node itself needs 100 to 200 ms to start.
- Memory: the tool keeps V8's young generation at its initial size
  (\`--semi-space-growth-factor=1\`, set in src/bin.ts); without it a 1,000-name run peaked about
  11 MiB higher, for the same time.
- CPU and memory: V8's optimizing compilers (Maglev, TurboFan) are off for the tool's own
  commands (\`--no-maglev --no-turbofan\`, src/startup/heap-flags.ts, set by the bin before it loads the
  bundle and by src/bin.ts in the executable; the emulator command turns them back on). A run ends
  before optimized code pays back its making; the runtime section has figures with them on.

- Pacing (src/aws/pacing.ts): each process sends freely until the store first answers
  ThrottlingException, then holds a send rate of its own, cut by 0.7 on a throttling answer (at
  most once per 500 ms) and grown back with time along a cubic curve; retries wait a
  decorrelated jitter (50 ms to 1 s).
  Throttling is retried until \`--timeout\`, so a fleet does not fail on throttling alone.
- The API-call minimum does not change: every host makes its 10 calls; \`calls at the store\`
  adds one per throttled answer and one per retry of a transient fault (a store starved of CPU
  times out now and then: moto did in the 50-host run).
- On a 2-core machine, starting 20 or 50 Node processes at once costs seconds of CPU by
  itself; compare "fetch window" with the floor to see the pacing, and "wall" for what a
  single machine running the whole fleet can do. On a real fleet each host has its own CPU.
- \`--jitter\` for a fleet: \`ssm-materialize plan --fleet N\` prints the floor (N x calls / quota);
  a jitter about that long spreads the fleet's starts so the quota is rarely hit.
`;
// Sections other scripts or people write (bench/runtime.mjs, bench/fleet-rollout.mjs: runs of their own; the reliability suite's figures;
// the emulator package's listing bench) are kept as they were.
const previous = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
const kept = ['runtime', 'sea-snapshot', 'fleet-rollout', 'reliability', 'listing']
  .map((name) => new RegExp(`<!-- ${name}:start -->[\\s\\S]*<!-- ${name}:end -->`).exec(previous)?.[0])
  .filter(Boolean);
writeFileSync(OUT, kept.length ? `${md.trimEnd()}\n\n${kept.join('\n\n')}\n` : md);
say(`wrote ${OUT}`);
console.log(targets.join('\n'));
