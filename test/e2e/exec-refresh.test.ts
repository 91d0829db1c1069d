/**
 * `exec --refresh-signal` / `--refresh-every` in real processes against the
 * emulator: a changed value restarts the child with it; nothing changed
 * leaves the same child process; the store down at a refresh keeps the child
 * on its values, reported in the JSON log; without the flag the signal still
 * reaches the child. The child records its pid and value in a file (values
 * are the test's own); the CLI's output must never carry one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_KEY_ALIAS, DEMO_CREDENTIAL, startEmulator, useCanaryEmulator } from '../helpers/emulator.js';
import { CLI, cliEnv } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { call } from '../conformance/harness.js';

const tempDir = useTempDir();
const { emulator } = useCanaryEmulator(
  [
    { name: '/refresh/a', type: 'SecureString', key_id: APP_KEY_ALIAS, value: 'CANARY-v1' },
    { name: '/refresh/deleted', type: 'SecureString', key_id: APP_KEY_ALIAS, value: 'CANARY-d1' },
  ],
  'CANARY',
);
const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

interface Started {
  cli: ChildProcess;
  /** Lines the child wrote: `<pid> <event> <value>`. */
  lines: () => string[][];
  /** The CLI's JSON log events so far. */
  events: () => Array<Record<string, unknown>>;
  output: () => string;
}

interface Where {
  /** The parameter behind the child's A (default /refresh/a). */
  parameter?: string;
  /** Another emulator, or other credentials. */
  env?: NodeJS.ProcessEnv;
}

function start(flags: string[], where: Where = {}): Started {
  const dir = tempDir();
  const manifest = join(dir, 'm.yaml');
  writeFileSync(manifest, `version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values: { A: ${where.parameter ?? '/refresh/a'} }\n`);
  const record = join(dir, 'child.log');
  const script = [
    `const fs = require('fs'); const note = (e) => fs.appendFileSync(${JSON.stringify(record)}, process.pid + ' ' + e + ' ' + process.env.A + '\\n');`,
    "process.on('SIGUSR1', () => note('usr1')); process.on('SIGHUP', () => { note('hup'); process.exit(43); });",
    "process.on('SIGTERM', () => process.exit(0)); note('start'); setInterval(() => {}, 1000);",
  ].join(' ');
  let stdout = '';
  let stderr = '';
  const cli = spawn(
    process.execPath,
    [CLI, 'exec', '-m', manifest, '--log-format', 'json', '--timeout', '5', '--max-attempts', '2', ...flags, '--', process.execPath, '-e', script],
    {
      env: where.env ?? cliEnv(emulator().url),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  cli.stdout.on('data', (d) => (stdout += d));
  cli.stderr.on('data', (d) => (stderr += d));
  running.push(cli);
  return {
    cli,
    // Complete lines only: the file exists (empty) between the child's open and its write.
    lines: () => (existsSync(record) ? completeLines(readFileSync(record, 'utf8')).map((l) => l.split(' ')) : []),
    events: () =>
      (stdout + stderr)
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    output: () => stdout + stderr,
  };
}

/** The lines a writer has finished (each ends with a newline); a line still being written is left out. */
function completeLines(text: string): string[] {
  return text.split('\n').slice(0, -1);
}

/** Polls until `done()`; the deadline is a safety net against a hang, not a speed check. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const setValue = async (value: string) => {
  expect(
    (await call(emulator().url, 'PutParameter', { Name: '/refresh/a', Value: value, Type: 'SecureString', KeyId: APP_KEY_ALIAS, Overwrite: true })).status,
  ).toBe(200);
};
const refreshes = (s: Started) => s.events().filter((e) => e.event === 'refresh' || e.event === 'refresh_failed');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('exec --refresh-signal SIGHUP', () => {
  it('nothing changed: the same child keeps running; a changed value: the child is restarted with it; store down: the child keeps its value', async () => {
    await setValue('CANARY-v1');
    const s = start(['--refresh-signal', 'SIGHUP']);
    await until(() => s.lines().length === 1, 'the child to start');
    const [firstPid, , firstValue] = s.lines()[0]!;
    expect(firstValue).toBe('CANARY-v1');

    s.cli.kill('SIGHUP');
    await until(() => refreshes(s).length === 1, 'the first refresh');
    expect(refreshes(s)[0]).toMatchObject({ event: 'refresh', changed: [] });
    // The child neither saw the signal nor was replaced.
    expect(s.lines()).toEqual([[firstPid, 'start', 'CANARY-v1']]);
    expect(alive(Number(firstPid))).toBe(true);

    await setValue('CANARY-v2');
    s.cli.kill('SIGHUP');
    await until(() => s.lines().length === 2, 'the restarted child');
    const [secondPid, event, secondValue] = s.lines()[1]!;
    expect([event, secondValue]).toEqual(['start', 'CANARY-v2']);
    expect(secondPid).not.toBe(firstPid);
    expect(refreshes(s)[1]).toMatchObject({ event: 'refresh', changed: ['A'], action: 'restart' });
    await until(() => !alive(Number(firstPid)), 'the old child to exit');

    emulator().setFaults({ error_rate: 1 });
    try {
      await setValue('CANARY-v3').catch(() => undefined);
      s.cli.kill('SIGHUP');
      await until(() => refreshes(s).length === 3, 'the failed refresh');
    } finally {
      emulator().setFaults({ error_rate: 0 });
    }
    expect(refreshes(s)[2]).toMatchObject({ event: 'refresh_failed', level: 'warn', degraded: true, exit_code: 5, kept: 'child' });
    expect(s.lines()).toHaveLength(2);
    expect(alive(Number(secondPid))).toBe(true);

    s.cli.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => s.cli.on('close', (c) => r(c)));
    expect(code).toBe(0);
    expect(s.output()).not.toContain('CANARY');
  });

  it('--refresh-notify SIGUSR1: a changed value is signalled to the same child', async () => {
    await setValue('CANARY-n1');
    const s = start(['--refresh-signal', 'SIGHUP', '--refresh-notify', 'SIGUSR1']);
    await until(() => s.lines().length === 1, 'the child to start');
    await setValue('CANARY-n2');
    s.cli.kill('SIGHUP');
    await until(() => s.lines().length === 2, 'the child to be signalled');
    expect(s.lines()[1]).toEqual([s.lines()[0]![0], 'usr1', 'CANARY-n1']);
    expect(refreshes(s)[0]).toMatchObject({ changed: ['A'], action: 'SIGUSR1' });
    s.cli.kill('SIGTERM');
    await new Promise((r) => s.cli.on('close', r));
    expect(s.output()).not.toContain('CANARY');
  });

  it('without the flag SIGHUP is forwarded to the child, as before', async () => {
    await setValue('CANARY-f1');
    const s = start([]);
    await until(() => s.lines().length === 1, 'the child to start');
    s.cli.kill('SIGHUP');
    const code = await new Promise<number | null>((r) => s.cli.on('close', (c) => r(c)));
    expect(code).toBe(43);
    expect(s.lines()[1]?.[1]).toBe('hup');
  });
});

describe('exec --refresh-every', () => {
  it('a changed value restarts the child on the timer, with no signal', async () => {
    await setValue('CANARY-t1');
    const s = start(['--refresh-every', '1s']);
    await until(() => s.lines().length === 1, 'the child to start');
    await until(() => refreshes(s).length >= 1, 'a timer refresh');
    expect(s.lines()).toHaveLength(1);
    await setValue('CANARY-t2');
    await until(() => s.lines().length === 2, 'the restarted child');
    expect(s.lines()[1]?.slice(1)).toEqual(['start', 'CANARY-t2']);
    s.cli.kill('SIGTERM');
    await new Promise((r) => s.cli.on('close', r));
    expect(s.output()).not.toContain('CANARY');
  });

  it('bad flags are usage errors before the store is read', async () => {
    emulator().resetCounters();
    for (const flags of [
      ['--refresh-signal', 'SIGKILL'],
      ['--refresh-every', 'soon'],
      ['--refresh-notify', 'SIGUSR1'],
    ]) {
      const s = start(flags);
      const code = await new Promise<number | null>((r) => s.cli.on('close', (c) => r(c)));
      expect(code).toBe(2);
    }
    expect(emulator().counters().requests).toBe(0);
  });
});

/**
 * A parameter missing or denied at a refresh is the failure decision's
 * "stop" (trust/failures.ts): the refresh applies nothing and is reported
 * as an error with the exit class write would have (3, 4), even with
 * --quiet; the child keeps its whole environment and is never restarted
 * with a partial or empty one.
 */
describe('exec refresh: a parameter missing or denied at refresh', () => {
  const stopAndCollect = async (s: Started) => {
    s.cli.kill('SIGTERM');
    return new Promise<number | null>((r) => s.cli.on('close', (c) => r(c)));
  };

  it('a parameter deleted between refreshes: refused with exit class 3, the child keeps its value; back again: nothing changed', async () => {
    const d = start(['--refresh-signal', 'SIGHUP'], { parameter: '/refresh/deleted' });
    await until(() => d.lines().length === 1, 'the child to start');
    const [pid, , value] = d.lines()[0]!;
    expect(value).toBe('CANARY-d1');

    expect((await call(emulator().url, 'DeleteParameter', { Name: '/refresh/deleted' })).status).toBe(200);
    d.cli.kill('SIGHUP');
    await until(() => refreshes(d).length === 1, 'the refused refresh');
    expect(refreshes(d)[0]).toMatchObject({ event: 'refresh_failed', level: 'error', code: 'missing_parameters', exit_code: 3, kept: 'child' });
    expect(String(refreshes(d)[0]!.message)).toContain('/refresh/deleted');
    // Neither restarted with A missing nor signalled: the same child, its value whole.
    expect(d.lines()).toEqual([[pid, 'start', 'CANARY-d1']]);
    expect(alive(Number(pid))).toBe(true);

    expect(
      (await call(emulator().url, 'PutParameter', { Name: '/refresh/deleted', Value: 'CANARY-d1', Type: 'SecureString', KeyId: APP_KEY_ALIAS })).status,
    ).toBe(200);
    d.cli.kill('SIGHUP');
    await until(() => d.events().some((e) => e.event === 'refresh'), 'the next refresh');
    expect(d.lines()).toEqual([[pid, 'start', 'CANARY-d1']]);
    expect(await stopAndCollect(d)).toBe(0);
    expect(d.output()).not.toContain('CANARY');
  });

  it('a parameter moved to a KMS key the role may not use: refused with exit class 4 even with --quiet, the child keeps its value', async () => {
    const restricted = { access_key_id: 'AKIAREFRESHAPP', secret_access_key: 'refresh-app-secret' };
    const denying = await startEmulator({
      port: 0,
      seed: {
        credentials: [DEMO_CREDENTIAL, { ...restricted, allow: { kms_keys: [APP_KEY_ALIAS] } }],
        kms_keys: [
          { id: '1234abcd-12ab-34cd-56ef-1234567890ab', aliases: [APP_KEY_ALIAS] },
          { id: '5678abcd-12ab-34cd-56ef-1234567890ab', aliases: ['alias/OtherKey'] },
        ],
        parameters: [{ name: '/refresh/a', type: 'SecureString', key_id: APP_KEY_ALIAS, value: 'CANARY-k1' }],
      },
    });
    try {
      const env = cliEnv(denying.url, { AWS_ACCESS_KEY_ID: restricted.access_key_id, AWS_SECRET_ACCESS_KEY: restricted.secret_access_key });
      // --quiet, as cron jobs and hooks run: the refusal is printed all the same.
      const s = start(['--refresh-signal', 'SIGHUP', '--quiet'], { env });
      await until(() => s.lines().length === 1, 'the child to start');
      const [pid, , value] = s.lines()[0]!;
      expect(value).toBe('CANARY-k1');

      // Re-encrypted under a key this role has no grant on (the demo credential may use every key).
      expect(
        (await call(denying.url, 'PutParameter', { Name: '/refresh/a', Value: 'CANARY-k2', Type: 'SecureString', KeyId: 'alias/OtherKey', Overwrite: true }))
          .status,
      ).toBe(200);
      s.cli.kill('SIGHUP');
      await until(() => refreshes(s).length === 1, 'the refused refresh');
      expect(refreshes(s)[0]).toMatchObject({ event: 'refresh_failed', level: 'error', code: 'access_denied', exit_code: 4, kept: 'child' });
      expect(s.lines()).toEqual([[pid, 'start', 'CANARY-k1']]);
      expect(alive(Number(pid))).toBe(true);
      expect(await stopAndCollect(s)).toBe(0);
      expect(s.output()).not.toContain('CANARY');
    } finally {
      await denying.close();
    }
  });
});

describe('exec --refresh-every: the call budget', () => {
  const budgetWarnings = (s: Started) => s.events().filter((e) => e.event === 'refresh_budget');

  it("warns with the calls/s the fleet's polling costs against the quota, before the child starts; no warning when it fits", async () => {
    await setValue('CANARY-b1');
    const heavy = start(['--refresh-every', '30s', '--hosts', '2000']);
    await until(() => heavy.lines().length === 1, 'the child to start');
    // One GetParameters call per run, 2000 hosts every 30 s: 66.667 calls/s against 40 TPS.
    expect(budgetWarnings(heavy)).toEqual([
      expect.objectContaining({ level: 'warn', calls_per_run: 1, hosts: 2000, tps: 40, every_seconds: 30, calls_per_second: 66.667, quota_share: 1.667 }),
    ]);
    expect(heavy.output()).toContain('needs 66.667 calls/s, over the 40 TPS quota');
    heavy.cli.kill('SIGTERM');
    await new Promise((r) => heavy.cli.on('close', r));

    const share = start(['--refresh-every', '30s', '--hosts', '400', '--quota', '40']);
    await until(() => share.lines().length === 1, 'the child to start');
    expect(budgetWarnings(share)).toEqual([expect.objectContaining({ calls_per_second: 13.333, quota_share: 0.333 })]);
    expect(share.output()).toContain('takes 33% of the quota all day, and deploys compete with it (13.333 calls/s against 40 TPS)');
    share.cli.kill('SIGTERM');
    await new Promise((r) => share.cli.on('close', r));

    const light = start(['--refresh-every', '30s', '--hosts', '100']);
    await until(() => light.lines().length === 1, 'the child to start');
    expect(budgetWarnings(light)).toEqual([]);
    light.cli.kill('SIGTERM');
    await new Promise((r) => light.cli.on('close', r));
  });

  it('--hosts without --refresh-every, or a bad --hosts or --quota, is a usage error before the store is read', async () => {
    emulator().resetCounters();
    for (const flags of [
      ['--hosts', '5'],
      ['--refresh-every', '30s', '--hosts', '0'],
      ['--refresh-every', '30s', '--quota', '0'],
    ]) {
      const s = start(flags);
      const code = await new Promise<number | null>((r) => s.cli.on('close', (c) => r(c)));
      expect(code).toBe(2);
    }
    expect(emulator().counters().requests).toBe(0);
  });
});
