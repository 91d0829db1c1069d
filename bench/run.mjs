// Benchmark: ssm-materialize against the AWS CLI (the peer an operator would
// otherwise script with), side by side in one run, against the built-in
// emulator on loopback. Reports wall time, API calls and peak RSS, and the
// ratio peer/ours. Usage: node bench/run.mjs [--names 50] [--runs 5]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulatorProcess } from '../scripts/emulator-process.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'ssm-materialize.mjs');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const NAMES = arg('names', 50);
const RUNS = arg('runs', 5);

const dir = mkdtempSync(join(tmpdir(), 'ssm-bench-'));
chmodSync(dir, 0o700);
const names = Array.from({ length: NAMES }, (_, i) => `/bench/app/p${String(i).padStart(4, '0')}`);
const seed = {
  region: 'us-east-1',
  account: '123456789012',
  credentials: [{ access_key_id: 'AKIAEMULATORDEMO', secret_access_key: 'emulator-demo-secret' }],
  parameters: names.map((name, i) => ({ name, type: 'SecureString', value: `value-${i}-${'x'.repeat(40)}` })),
};
writeFileSync(join(dir, 'seed.json'), JSON.stringify(seed));
writeFileSync(
  join(dir, 'm.yaml'),
  `version: 1\noutputs:\n  - path: out.env\n    format: dotenv\n    values:\n${names.map((n, i) => `      K${i}: ${n}`).join('\n')}\n`,
);

const emulator = await startEmulatorProcess(cli, join(dir, 'seed.json'));
const url = emulator.url;
const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'AKIAEMULATORDEMO',
  AWS_SECRET_ACCESS_KEY: 'emulator-demo-secret',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ENDPOINT_URL_SSM: url,
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};

// A fresh connection each time: a kept-alive socket may have been closed by
// the server while the (slow) peer ran.
const counters = async () => (await (await fetch(`${url}/_emulator/counters`, { headers: { connection: 'close' } })).json()).requests;

/** Run a shell command under /usr/bin/time; return wall ms and max RSS KiB. */
function measure(command) {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'sh', '-c', command], { env, cwd: dir, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${command} failed: ${r.stderr}`);
  const rss = Number(r.stderr.trim().split('\n').pop());
  return { ms, rss };
}

// The peer: what a hand-written hook does with the AWS CLI, 10 names per call
// (its limit), decrypted, turned into KEY=value lines with jq.
const batches = [];
for (let i = 0; i < names.length; i += 10) batches.push(names.slice(i, i + 10));
const peer = `umask 077; : > peer.env; ${batches
  .map((b) => `aws ssm get-parameters --with-decryption --names ${b.join(' ')} --output json | jq -r '.Parameters[] | "\\(.Name)=\\(.Value)"' >> peer.env`)
  .join('; ')}`;
const ours = `node ${cli} write -m m.yaml --quiet && rm -f out.env`;

const results = { ours: [], peer: [] };
const calls = {};
for (let run = 0; run < RUNS; run++) {
  for (const [label, command] of [['ours', ours], ['peer', peer]]) {
    const before = await counters();
    results[label].push(measure(command));
    calls[label] = (await counters()) - before;
  }
}
emulator.stop();
rmSync(dir, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (label) => ({ ms: median(results[label].map((r) => r.ms)), rss: median(results[label].map((r) => r.rss)) });
const o = row('ours');
const p = row('peer');
console.log(`names: ${NAMES}, runs: ${RUNS} (medians), node ${process.version}`);
console.log(`| tool | wall ms | peak RSS MiB | API calls |`);
console.log(`|---|---|---|---|`);
console.log(`| ssm-materialize write | ${o.ms.toFixed(0)} | ${(o.rss / 1024).toFixed(1)} | ${calls.ours} |`);
console.log(`| aws ssm get-parameters + jq | ${p.ms.toFixed(0)} | ${(p.rss / 1024).toFixed(1)} | ${calls.peer} |`);
console.log(`| ratio peer/ours | ${(p.ms / o.ms).toFixed(2)}x | ${(p.rss / o.rss).toFixed(2)}x | |`);
