// The fleet simulation: N hosts, each a directory with its own
// manifest, state and instance credentials, refreshed by one parameter change
// the way the generated stack does it: the runbook's `aws:runCommand` sends
// the write document to every host, at most the template's MaxConcurrency at
// once, and each host runs the document's shell script as the SSM agent would
// (test/fleet/agent.ts, bundled here: the same runner the CI tests use). The
// store is the emulator behind its 40 TPS token bucket, credentials come from
// its instance metadata. Measured: the wall time of the rollout next to
// `plan --hosts N`'s prediction, and the counts (writes per host, throttled
// answers). Not part of `npm test`; writes its section of BENCHMARKS.md.
//   npm run build && npm run bench:fleet -- --hosts 60 --names 50 --runs 3 --burst 5
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startEmulatorProcess } from '../scripts/emulator-process.mjs';
import { benchNames, benchValue, importTypeScript, option } from './fleet.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const HOSTS = Number(option('hosts', '60'));
const NAMES = Number(option('names', '50'));
const RUNS = Number(option('runs', '3'));
const BURST = Number(option('burst', '5'));
const TPS = 40;
const OUT = option('out', join(root, 'BENCHMARKS.md'));
const COMMAND = `npm run bench:fleet${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
const ROLE = 'arn:aws:iam::123456789012:role/fleet-host';
const DEMO = { accessKeyId: 'AKIAEMULATORDEMO', secretAccessKey: 'emulator-demo-secret' };
const cli = join(root, 'dist', 'ssm-materialize.cjs');
if (!existsSync(cli)) throw new Error('run `npm run build` first');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const f1 = (n) => n.toFixed(1);
const say = (s) => process.stderr.write(`[fleet-rollout] ${s}\n`);
/** CPU of every child this process has waited for (the hosts' sh, flock and node), seconds: /proc/self/stat cutime + cstime. */
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
function childrenCpuSeconds() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS;
}

const work = mkdtempSync(join(tmpdir(), 'ssm-fleet-rollout-'));
const stops = [];
try {
  // test/fleet/agent.ts: the SSM agent stand-in the CI tests use.
  const agent = await importTypeScript('test/fleet/agent.ts');
  const names = benchNames(NAMES, '/bench/rollout');
  const seed = join(work, 'seed.json');
  writeFileSync(
    seed,
    JSON.stringify({ roles: [{ arn: ROLE }], instance_role: ROLE, parameters: names.map((name, i) => ({ name, type: 'SecureString', value: benchValue(i) })) }),
  );
  const emu = await startEmulatorProcess(cli, seed, ['--tps', String(TPS)]);
  stops.push(emu.stop);
  const counters = async () => (await fetch(`${emu.url}/_emulator/counters`, { headers: { connection: 'close' } })).json();

  // Hosts: /usr/local/bin/ssm-materialize, the manifest, the state directory, no AWS keys (instance metadata).
  const hosts = Array.from({ length: HOSTS }, (_, h) => {
    const hostRoot = join(work, `host${String(h).padStart(4, '0')}`);
    const bin = join(hostRoot, 'usr', 'local', 'bin');
    for (const d of [bin, join(hostRoot, 'etc', 'app'), join(hostRoot, 'var', 'www', 'app'), join(hostRoot, 'root')])
      mkdirSync(d, { recursive: true, mode: 0o755 });
    symlinkSync(cli, join(bin, 'ssm-materialize'));
    const manifest = join(hostRoot, 'etc', 'app', 'materialize.yaml');
    writeFileSync(
      manifest,
      `version: 1\noutputs:\n  - path: ${join(hostRoot, 'var', 'www', 'app', 'app.env')}\n    format: dotenv\n    values:\n${names.map((n, i) => `      K${i}: ${n}`).join('\n')}\n`,
    );
    const env = {
      PATH: [bin, dirname(process.execPath), '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
      HOME: join(hostRoot, 'root'),
      LANG: 'C',
      NO_PROXY: '127.0.0.1',
      no_proxy: '127.0.0.1',
      AWS_ENDPOINT_URL_SSM: emu.url,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `${emu.url}/`,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    return { root: hostRoot, manifest, env };
  });

  // One template (host 0's paths), its documents rewritten per host: what differs is the host's root.
  const fleet = spawnSync(
    process.execPath,
    [cli, 'fleet', '-m', hosts[0].manifest, '--target', 'tag:App=bench', '--hosts', String(HOSTS), '--state-dir', join(hosts[0].root, 'var', 'lib', 'fleet')],
    { encoding: 'utf8', env: { PATH: process.env.PATH } },
  );
  if (fleet.status !== 0) throw new Error(`fleet failed: ${fleet.stderr}`);
  const { write, template } = agent.documentsOf(fleet.stdout);
  const step = agent.refreshStepOf(template);
  const targets = hosts.map((h) => ({ doc: JSON.parse(JSON.stringify(write).split(hosts[0].root).join(h.root)), env: h.env }));

  // The prediction: `plan --hosts N` on a host (its run also measures the calls per host).
  const plan = spawnSync(process.execPath, [cli, 'plan', '-m', hosts[0].manifest, '--hosts', String(HOSTS), '--quota', String(TPS), '--log-format', 'json'], {
    encoding: 'utf8',
    env: hosts[0].env,
  });
  if (plan.status !== 0) throw new Error(`plan failed: ${plan.stderr}`);
  const events = (plan.stdout + plan.stderr)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const rollout = events.find((e) => e.event === 'rollout');
  if (rollout.max_concurrency !== step.maxConcurrency)
    throw new Error(`plan says MaxConcurrency ${rollout.max_concurrency}, the template ${step.maxConcurrency}`);
  say(`plan: ${rollout.calls_per_host} calls/host, MaxConcurrency ${rollout.max_concurrency}, ${rollout.waves} waves, ${rollout.wall_seconds} s`);
  await sleep(1100);

  // One host alone, cold, three times: its wall time and CPU (start-up included), for the machine's share of the prediction.
  const alone = [];
  for (let i = 0; i < 3; i++) {
    const cpu0 = childrenCpuSeconds();
    const t0 = performance.now();
    const { invocations } = await agent.sendCommand([targets[i]], step);
    if (invocations[0].status !== 'Success') throw new Error(`host ${i} failed alone: ${invocations[0].stderr}`);
    alone.push({ s: (performance.now() - t0) / 1000, cpu: childrenCpuSeconds() - cpu0 });
    await sleep(300);
  }
  const runS = median(alone.map((a) => a.s));
  const cpuS = median(alone.map((a) => a.cpu));
  const cores = cpus().length;
  const machine = { waves: rollout.waves * runS, cpu: (HOSTS * cpuS) / cores };
  const predicted = Math.max(rollout.wall_seconds, machine.waves, machine.cpu);
  say(`one host alone: ${f1(runS)} s wall, ${cpuS.toFixed(2)} s CPU; predicted here ${f1(predicted)} s`);

  const ssm = new SSMClient({ region: 'us-east-1', endpoint: emu.url, credentials: DEMO });
  let version = 0;
  const change = () => ssm.send(new PutParameterCommand({ Name: names[0], Value: `${benchValue(0)}-v${++version}`, Type: 'SecureString', Overwrite: true }));

  /** `executions` runbook executions at once (1: one change), each one SendCommand to every host. */
  async function rolloutRun(executions) {
    await change();
    await sleep(1100); // a full bucket, as after the runbook's settle time
    const before = await counters();
    const cpu0 = childrenCpuSeconds();
    const t0 = performance.now();
    const sent = await Promise.all(Array.from({ length: executions }, () => agent.sendCommand(targets, step)));
    const s = (performance.now() - t0) / 1000;
    const after = await counters();
    const perHost = hosts.map((_, h) => sent.filter((x) => /: writing/.test(x.invocations[h]?.stdout ?? '')).length);
    const failed = sent.reduce((n, x) => n + x.invocations.filter((r) => r?.status !== 'Success').length, 0);
    const stale = hosts.filter((h) => !readFileSync(join(h.root, 'var', 'www', 'app', 'app.env'), 'utf8').includes(`-v${version}`)).length;
    return {
      executions,
      s,
      cpu: childrenCpuSeconds() - cpu0,
      failed,
      stale,
      mostInFlight: Math.max(...sent.map((x) => x.mostInFlight)),
      writesMin: Math.min(...perHost),
      writesMax: Math.max(...perHost),
      getCalls: (after.operations.GetParameters ?? 0) - (before.operations.GetParameters ?? 0),
      throttled: after.throttled - before.throttled,
    };
  }

  const results = [];
  for (let i = 0; i < RUNS; i++) {
    results.push(await rolloutRun(1));
    say(`run ${i + 1}: ${f1(results.at(-1).s)} s, throttled ${results.at(-1).throttled}`);
  }
  if (BURST > 1) {
    results.push(await rolloutRun(BURST));
    say(`burst of ${BURST}: ${f1(results.at(-1).s)} s, writes per host ${results.at(-1).writesMin}..${results.at(-1).writesMax}`);
  }

  const row = (r) =>
    `| ${r.executions === 1 ? 'one change' : `burst: ${r.executions} executions`} | ${f1(r.s)} | ${(r.s / predicted).toFixed(2)}x | ${f1(r.cpu)} | ${(r.cpu / r.s).toFixed(2)} | ${r.mostInFlight} | ${r.failed} | ${r.stale} | ${r.writesMin === r.writesMax ? r.writesMin : `${r.writesMin}..${r.writesMax}`} | ${r.getCalls} | ${r.throttled} |`;
  const section = `<!-- fleet-rollout:start -->
## Fleet simulation: one change through the runbook, 40 TPS

Written by \`bench/fleet-rollout.mjs\` (not by \`bench/run.mjs\`, which keeps this section). Command:
\`npm run build && ${COMMAND}\`. Run ${new Date().toISOString()}, ${cpus()[0]?.model ?? 'unknown'} x ${cores}, Node ${process.version},
load average before the runs ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}.

${HOSTS} hosts (processes: the SSM agent stand-in of \`test/fleet/agent.ts\` runs the write document's
shell script with \`sh\`, which takes the host's lock and runs \`ssm-materialize write\` with the
instance role's credentials from the emulator's instance metadata), ${NAMES} SecureString names each,
the emulator behind its ${TPS} TPS token bucket. A change is a PutParameter, then the runbook's
\`aws:runCommand\`: the write document to every host, at most MaxConcurrency at once (the
template's number), the next host starting as one finishes (Run Command's rate control).

The prediction. \`plan -m MANIFEST --hosts ${HOSTS}\`: ${rollout.calls_per_host} calls per host, MaxConcurrency ${rollout.max_concurrency}
(the template agrees), ${rollout.waves} waves, **${f1(rollout.wall_seconds)} s** (the waves at one second each, or the calls
at ${rollout.rate_limit} calls/s, whichever is longer). That assumes each host has its own CPU. Here
${HOSTS} hosts share ${cores} cores, so the prediction for this machine is the longest of: plan's figure; the
waves times one host's run alone (${f1(runS)} s, median of 3 cold runs, start-up included):
${f1(machine.waves)} s; and the hosts' CPU over the cores (${HOSTS} x ${cpuS.toFixed(2)} s / ${cores}): ${f1(machine.cpu)} s.
**Predicted here: ${f1(predicted)} s.**

| rollout | wall s | wall / predicted | hosts' CPU s | cores obtained (CPU / wall) | most in flight (per send) | failed invocations | hosts without the change | writes per host | GetParameters at the store | throttled answers |
|---|---|---|---|---|---|---|---|---|---|---|
${results.map(row).join('\n')}

- "cores obtained" is the hosts' CPU over the wall time: what the ${HOSTS} host processes really
  got of the ${cores} cores while other work shared the machine (see the load average). The
  prediction assumes all ${cores}; a wall time above it by about ${cores} / "cores obtained" is
  the machine, not the pacing: the throttled answers say whether the quota was ever exceeded.
- A burst (${BURST} runbook executions sending at once, as ${BURST} changes inside the settle time
  would): requests that reach a host while one write waits or runs are served by one write and
  skip without a call, but each send reaches a host at its own time (its own waves), and a request
  that arrives after a write began must write again: hence up to one write per execution, and the
  executions' hosts in flight add up (${BURST} x MaxConcurrency) when the quota is not the bottleneck.
- "GetParameters at the store" counts throttled answers too; the hosts' retries absorb them
  (\`--timeout\`), so a throttled answer is a delay, never a failed host.
- CI (\`test/fleet/burst.test.ts\`) checks the counts on 7 hosts (every host Success, 0 throttled,
  one write per host per change, at most one per execution in a burst), never the times.
<!-- fleet-rollout:end -->`;
  const existing = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
  const marked = /<!-- fleet-rollout:start -->[\s\S]*<!-- fleet-rollout:end -->/;
  writeFileSync(OUT, marked.test(existing) ? existing.replace(marked, () => section) : `${existing.trimEnd()}\n\n${section}\n`);
  say(`wrote ${OUT}`);
  console.log(section);
} finally {
  for (const stop of stops) stop();
  rmSync(work, { recursive: true, force: true });
}
