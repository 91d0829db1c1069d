/** `plan --hosts/--quota/--every` through main(argv, io), against the in-process emulator: the budget counts the calls really made. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { main } from '../../src/cli.js';
import { DEMO, REGION, isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { parse } from 'yaml';

const NAMES = Array.from({ length: 25 }, (_, i) => `/budget/app/k${String(i).padStart(2, '0')}`);
const UNDER_PATH = Array.from({ length: 12 }, (_, i) => `/budget/env/e${String(i).padStart(2, '0')}`);
let emulator: RunningEmulator;
let dir: string;
beforeAll(async () => {
  // This file has a worker of its own (vitest.config.ts): the SDK takes its credentials from process.env.
  Object.assign(process.env, isolatedAwsEnv());
  emulator = await startEmulator({
    port: 0,
    seed: {
      region: REGION,
      credentials: [{ access_key_id: DEMO.accessKeyId, secret_access_key: DEMO.secretAccessKey }],
      parameters: [...NAMES, ...UNDER_PATH].map((name, i) => ({ name, type: 'SecureString', value: `CANARY-budget-${i}` })),
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'ssm-budget-'));
  writeFileSync(
    join(dir, 'm.yaml'),
    `version: 1\noutputs:\n  - path: ${join(dir, 'out.env')}\n    format: dotenv\n    values:\n${NAMES.map((n, i) => `      K${i}: ${n}`).join('\n')}\n    paths:\n      - /budget/env\n`,
  );
});
afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['plan', '-m', join(dir, 'm.yaml'), '--endpoint-url', emulator.url, '--region', REGION, ...args], {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: process.env,
  });
  expect(stdout + stderr).not.toContain('CANARY');
  return { code, stdout, stderr };
}

it('plan --fleet 1000 --every 5m --log-format json: a call_budget event with the calls made (3 GetParameters + 2 pages)', async () => {
  emulator.resetCounters();
  const r = await run(['--fleet', '1000', '--every', '5m', '--log-format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const budget = events.find((e) => e.event === 'call_budget');
  expect(emulator.counters().operations).toEqual({ GetParameters: 3, GetParametersByPath: 2 });
  expect(budget).toMatchObject({
    calls: 5,
    by_operation: { GetParameters: 3, GetParametersByPath: 2 },
    fleet: 1000,
    tps: 40,
    fleet_calls: 5000,
    min_seconds: 125,
    periodic: { every_seconds: 300, calls_per_second: 16.667, quota_share: 0.417 },
  });
  expect((budget?.advice as string[]).length).toBe(2);
});

it('plan prints the budget for one host by default, in text', async () => {
  const r = await run([]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('call budget: 5 API calls per run (3 GetParameters, 2 GetParametersByPath)\n  fleet of 1 host at 40 TPS: 5 calls, at least 0.1 s');
});

it('bad budget numbers are a usage error before any call', async () => {
  emulator.resetCounters();
  const r = await run(['--fleet', '0', '--every', 'soon']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--hosts must be a whole number of hosts >= 1');
  expect(emulator.counters().requests).toBe(0);
});

it('plan --hosts 200: the rollout (MaxConcurrency, MaxErrors, wall time) from the calls made; --fleet is the same option; fleet writes the same numbers', async () => {
  const r = await run(['--hosts', '200', '--log-format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  const rollout = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((e) => e.event === 'rollout');
  // 5 calls a host under 40 TPS less a quarter kept for the app: 6 hosts at once, 34 waves of at least a second.
  const expected = { calls_per_host: 5, rate_limit: 30, max_concurrency: 6, max_errors: 6, hosts: 200, waves: 34, wall_seconds: 34 };
  expect(rollout).toMatchObject(expected);
  const alias = await run(['--fleet', '200', '--log-format', 'json']);
  expect(
    alias.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e.event === 'rollout'),
  ).toMatchObject(expected);
  const text = await run(['--hosts', '200', '--headroom', '0.5']);
  expect(text.stdout).toContain(
    'fleet refresh: at most 4 hosts at once (MaxConcurrency), MaxErrors 4, keeps 5 calls per host under 20 calls/s\n  200 hosts in 50 waves: about 50 s',
  );
  let template = '';
  const code = await main(['fleet', '-m', join(dir, 'm.yaml'), '--target', 'tag:App=budget', '--hosts', '200', '--calls-per-host', '5'], {
    stdout: (s) => (template += s),
    stderr: () => undefined,
    env: process.env,
  });
  expect(code).toBe(0);
  expect((parse(template) as { Metadata: { SsmMaterialize: { Rollout: unknown } } }).Metadata.SsmMaterialize.Rollout).toEqual(expected);
});
