/**
 * Coalescing on the host: a burst of change-triggered runs of the write
 * document (every runbook execution of a burst sends one) costs each host a
 * bounded number of writes. Real processes: the agent stand-in runs the
 * document's shell script, the built CLI reads the emulator with the
 * instance role's credentials; the emulator's counters say how many fetches
 * really happened. Counts only, never times.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { runMain } from '../helpers/main.js';
import { useInstances, type Instance } from '../integrations/instance.js';
import { documentsOf, refreshStepOf, runDocument, sendCommand, type RunCommandStep } from './agent.js';
import type { CommandDocument } from '../../src/fleet/documents.js';

const ROLE = 'arn:aws:iam::123456789012:role/fleet-host';
const newInstance = useInstances();
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    seed: {
      roles: [{ arn: ROLE }],
      instance_role: ROLE,
      parameters: [
        { name: '/burst/app/a', value: 'burst-canary-a' },
        { name: '/burst/app/b', value: 'burst-canary-b' },
      ],
      // The default quota, as in front of a real account.
      faults: { tps: 40 },
    },
  });
});
afterAll(async () => {
  await emulator?.close();
});

async function hostWithDocument(fleetFlags: string[] = []): Promise<{ host: Instance; write: CommandDocument; step: RunCommandStep }> {
  const host = newInstance();
  const dir = join(host.root, 'etc', 'app');
  mkdirSync(dir, { recursive: true });
  const manifest = join(dir, 'materialize.yaml');
  writeFileSync(
    manifest,
    `version: 1\noutputs:\n  - path: ${join(host.appRoot, 'app.env')}\n    format: dotenv\n    values:\n      A: /burst/app/a\n      B: /burst/app/b\n`,
  );
  const generated = await runMain(['fleet', '-m', manifest, '--target', 'tag:App=burst', '--state-dir', join(host.root, 'var/lib/fleet'), ...fleetFlags], {
    env: { PATH: process.env.PATH },
  });
  expect(generated.code).toBe(0);
  const { write, template } = documentsOf(generated.stdout);
  return { host, write, step: refreshStepOf(template) };
}

const env = (host: Instance) => isolatedAwsEnv(host.env(emulator.url), 'local instance metadata');
/** A change's time as EventBridge stamps it (ISO 8601 UTC, whole seconds), this many seconds ago (negative: ahead). */
const changedSecondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
/** A burst's changes all happen before the runbook's settle time ends, so before any write it causes begins. */
const SETTLE_SECONDS = 60;
/** One write of this manifest is one GetParameters call (two names); a skipped request makes none. */
const writesSince = (before: number) => (emulator.counters().operations.GetParameters ?? 0) - before;

it('a burst of 8 requests on one host: every invocation succeeds, at most 2 writes, the rest skipped without a call', async () => {
  const { host, write } = await hostWithDocument();
  const before = emulator.counters().operations.GetParameters ?? 0;
  const runs = await Promise.all(Array.from({ length: 8 }, () => runDocument(write, {}, env(host))));
  for (const r of runs) expect([r.status, r.stderr]).toEqual(['Success', '']);
  const writes = runs.filter((r) => /: writing/.test(r.stdout)).length;
  const skipped = runs.filter((r) => r.stdout.includes('nothing to do')).length;
  expect(writes + skipped).toBe(8);
  expect(writes).toBeGreaterThanOrEqual(1);
  expect(writes).toBeLessThanOrEqual(2);
  expect(writesSince(before)).toBe(writes);
  expect(readFileSync(join(host.appRoot, 'app.env'), 'utf8')).toContain('burst-canary-b');
  for (const r of runs) expect(r.stdout + r.stderr).not.toContain('burst-canary');
});

it('a request that arrives after a write began is not skipped: it writes again', async () => {
  const { host, write } = await hostWithDocument();
  expect((await runDocument(write, {}, env(host))).stdout).toContain('request 1: writing');
  const before = emulator.counters().operations.GetParameters ?? 0;
  const r = await runDocument(write, {}, env(host));
  expect(r.stdout).toContain('request 2: writing');
  expect(writesSince(before)).toBe(1);
});

it('a request whose change happened after the last successful write began writes again; one from before it is served without a call', async () => {
  const { host, write } = await hostWithDocument();
  expect((await runDocument(write, { RequestTime: changedSecondsAgo(SETTLE_SECONDS) }, env(host))).stdout).toContain('request 1: writing');
  // The first write has ended: a change stamped now happened after it began.
  const before = emulator.counters().operations.GetParameters ?? 0;
  const later = await runDocument(write, { RequestTime: changedSecondsAgo(0) }, env(host));
  expect([later.status, later.stdout]).toEqual(['Success', expect.stringContaining('request 2: writing')]);
  expect(writesSince(before)).toBe(1);
  const older = await runDocument(write, { RequestTime: changedSecondsAgo(SETTLE_SECONDS) }, env(host));
  expect([older.status, older.stdout]).toEqual(['Success', expect.stringContaining('request 3 (a change at ')]);
  expect(older.stdout).toContain('nothing to do');
  expect(writesSince(before)).toBe(1);
});

it('a failed write serves no request: the next one with the same change time writes', async () => {
  const { host, write } = await hostWithDocument();
  const changed = changedSecondsAgo(SETTLE_SECONDS);
  const failed = await runDocument(write, { RequestTime: changed, Locked: join(host.root, 'no-such.lock') }, env(host));
  expect(failed.status).toBe('Failed');
  const before = emulator.counters().operations.GetParameters ?? 0;
  const retried = await runDocument(write, { RequestTime: changed }, env(host));
  expect([retried.status, retried.stdout]).toEqual(['Success', expect.stringContaining('request 2: writing')]);
  expect(writesSince(before)).toBe(1);
});

it('a burst of 8 runbook executions, each stamped with a change made before the first write began, costs each of 7 hosts at most 2 writes; the skipped ones make no call', async () => {
  const hosts = await Promise.all(Array.from({ length: 7 }, () => hostWithDocument(['--hosts', '7', '--calls-per-host', '10'])));
  const step = hosts[0]!.step;
  const targets = hosts.map(({ host, write }) => ({ doc: write, env: env(host) }));
  const throttledBefore = emulator.counters().throttled;
  const before = emulator.counters().operations.GetParameters ?? 0;
  // Each execution carries its own change's time; every send reaches the hosts at its own pace.
  const burst = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      sendCommand(targets, { ...step, parameters: { ...step.parameters, RequestTime: changedSecondsAgo(SETTLE_SECONDS + 8 - i) } }),
    ),
  );
  let total = 0;
  for (const [h] of hosts.entries()) {
    const runs = burst.map((b) => b.invocations[h]!);
    for (const r of runs) expect([r.status, r.stderr]).toEqual(['Success', '']);
    const writes = runs.filter((r) => /: writing/.test(r.stdout)).length;
    expect(runs.filter((r) => r.stdout.includes('nothing to do')).length).toBe(8 - writes);
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(2);
    total += writes;
  }
  expect(writesSince(before)).toBe(total);
  expect(emulator.counters().throttled - throttledBefore).toBe(0);
  for (const b of burst) for (const r of b.invocations) expect(r!.stdout + r!.stderr).not.toContain('burst-canary');
});

it('a fleet of 4 hosts, 5 requests each at once, through the 40 TPS limit: no failure, no throttling, at most 2 writes per host', async () => {
  const hosts = await Promise.all(Array.from({ length: 4 }, () => hostWithDocument()));
  const throttledBefore = emulator.counters().throttled;
  const before = emulator.counters().operations.GetParameters ?? 0;
  const perHost = await Promise.all(hosts.map(({ host, write }) => Promise.all(Array.from({ length: 5 }, () => runDocument(write, {}, env(host))))));
  let total = 0;
  for (const runs of perHost) {
    for (const r of runs) expect(r.status).toBe('Success');
    const writes = runs.filter((r) => /: writing/.test(r.stdout)).length;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(2);
    total += writes;
  }
  expect(writesSince(before)).toBe(total);
  expect(emulator.counters().throttled - throttledBefore).toBe(0);
});

it("one change reaches 7 hosts through the runbook's MaxConcurrency and the 40 TPS limit: every host succeeds, 0 throttled, one write each; a burst of 3 executions writes at most once per execution and skips without calls", async () => {
  // --calls-per-host 10 sizes the rollout as for a manifest of ten calls: MaxConcurrency 3 (30 calls/s kept for the refresh).
  const hosts = await Promise.all(Array.from({ length: 7 }, () => hostWithDocument(['--hosts', '7', '--calls-per-host', '10'])));
  const step = hosts[0]!.step;
  expect(step).toEqual({ parameters: { Locked: '', RequestTime: '' }, maxConcurrency: 3, maxErrors: 3 });
  const targets = hosts.map(({ host, write }) => ({ doc: write, env: env(host) }));

  const throttledBefore = emulator.counters().throttled;
  const before = emulator.counters().operations.GetParameters ?? 0;
  const change = await sendCommand(targets, step);
  expect(change.invocations.map((r) => r?.status)).toEqual(Array(7).fill('Success'));
  for (const r of change.invocations) expect(r!.stdout).toMatch(/: writing/);
  expect(change.mostInFlight).toBe(3);
  expect(writesSince(before)).toBe(7);
  expect(emulator.counters().throttled - throttledBefore).toBe(0);

  // A burst of three executions without a request time (a runbook started by hand, or an older
  // rule): each send reaches a host at its own time (its own waves), and a request that arrives
  // after a write began must write again: the bound is one write per execution, and skips make no call.
  const burstBefore = emulator.counters().operations.GetParameters ?? 0;
  const burst = await Promise.all(Array.from({ length: 3 }, () => sendCommand(targets, step)));
  let total = 0;
  for (const [h] of hosts.entries()) {
    const runs = burst.map((b) => b.invocations[h]!);
    for (const r of runs) expect(r.status).toBe('Success');
    const writes = runs.filter((r) => /: writing/.test(r.stdout)).length;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(3);
    total += writes;
  }
  expect(writesSince(burstBefore)).toBe(total);
  expect(emulator.counters().throttled - throttledBefore).toBe(0);
  for (const b of [change, ...burst]) for (const r of b.invocations) expect(r!.stdout + r!.stderr).not.toContain('burst-canary');
});
