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
import { APP_KEY_ALIAS, useCanaryEmulator } from '../helpers/emulator.js';
import { CLI, cliEnv } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { call } from '../conformance/harness.js';

const tempDir = useTempDir();
const { emulator } = useCanaryEmulator([{ name: '/refresh/a', type: 'SecureString', key_id: APP_KEY_ALIAS, value: 'CANARY-v1' }], 'CANARY');
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

function start(flags: string[]): Started {
  const dir = tempDir();
  const manifest = join(dir, 'm.yaml');
  writeFileSync(manifest, 'version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values: { A: /refresh/a }\n');
  const record = join(dir, 'child.log');
  const script = [
    `const fs = require('fs'); const note = (e) => fs.appendFileSync(${JSON.stringify(record)}, process.pid + ' ' + e + ' ' + process.env.A + '\\n');`,
    "process.on('SIGUSR1', () => note('usr1')); process.on('SIGHUP', () => { note('hup'); process.exit(43); });",
    "process.on('SIGTERM', () => process.exit(0)); note('start'); setInterval(() => {}, 1000);",
  ].join(' ');
  let stdout = '';
  let stderr = '';
  const cli = spawn(process.execPath, [CLI, 'exec', '-m', manifest, '--log-format', 'json', '--timeout', '5', '--max-attempts', '2', ...flags, '--', process.execPath, '-e', script], {
    env: cliEnv(emulator().url),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cli.stdout!.on('data', (d) => (stdout += d));
  cli.stderr!.on('data', (d) => (stderr += d));
  running.push(cli);
  return {
    cli,
    lines: () => (existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n').map((l) => l.split(' ')) : []),
    events: () => (stdout + stderr).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
    output: () => stdout + stderr,
  };
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
  expect((await call(emulator().url, 'PutParameter', { Name: '/refresh/a', Value: value, Type: 'SecureString', KeyId: APP_KEY_ALIAS, Overwrite: true })).status).toBe(200);
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
    expect(refreshes(s)[2]).toMatchObject({ event: 'refresh_failed', level: 'warn', exit_code: 5 });
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
    for (const flags of [['--refresh-signal', 'SIGKILL'], ['--refresh-every', 'soon'], ['--refresh-notify', 'SIGUSR1']]) {
      const s = start(flags);
      const code = await new Promise<number | null>((r) => s.cli.on('close', (c) => r(c)));
      expect(code).toBe(2);
    }
    expect(emulator().counters().requests).toBe(0);
  });
});
