/**
 * Two containers sharing an output volume: separate pid namespaces, one
 * directory. A run in one namespace holds its temp file while its verify
 * hook runs; a run in the other namespace writes the same output meanwhile.
 * The first run's pid is no process in the second's namespace, so cleanup
 * by "is that pid alive here" would delete its in-flight temp file and fail
 * its commit. Real namespaces (`unshare --pid`), real CLI, real emulator.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, cli, cliEnv, emulatorWith, requireRoot, rmScratch, rootOnly, scratchDir, tempFiles, writeManifest, type Emulator } from './harness.js';

let emulator: Emulator;
let root: string;
beforeAll(async () => {
  emulator = await emulatorWith({ '/shared/db': 'CANARY-shared-db' });
  root = scratchDir('shared-volume');
});
afterAll(async () => {
  await emulator?.close();
  rmScratch(root);
});

/** A pid that is no process in this namespace: the other namespace's run will get exactly it. */
function pidFreeHere(): number {
  const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  for (let pid = max - 2; pid > 300; pid--) if (!existsSync(`/proc/${pid}`)) return pid;
  throw new Error('no free pid');
}

/** Run the CLI as pid `pid` of a new pid namespace (`ns_last_pid` is that namespace's own). */
function runInOtherNamespace(pid: number, args: string[]): Promise<{ code: number | null; stderr: string }> {
  const script = `echo ${pid - 1} > /proc/sys/kernel/ns_last_pid && "$0" "$@"; exit $?`;
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', script, process.execPath, CLI_PATH, ...args], {
    env: cliEnv(emulator.url),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe.skipIf(rootOnly)('an output volume shared by two pid namespaces', () => {
  it("a run in another namespace keeps its in-flight temp file while this namespace's run writes the same output", async () => {
    requireRoot();
    const dir = join(root, 'volume');
    const started = join(dir, 'verify-started');
    const go = join(dir, 'go');
    const output = (verify: string) => `version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values: { DB: /shared/db }\n${verify}`;
    const there = writeManifest(dir, 'there.yaml', output(`    verify: 'touch ${started}; while [ ! -e ${go} ]; do sleep 0.05; done'\n`));
    const here = writeManifest(dir, 'here.yaml', output(''));
    const pid = pidFreeHere();

    const otherContainer = runInOtherNamespace(pid, ['write', '-m', there]);
    const deadline = Date.now() + 30_000;
    while (!existsSync(started) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(started)).toBe(true);
    const inFlight = tempFiles(dir);
    expect(inFlight).toHaveLength(1);
    expect(inFlight[0]).toContain(`.${pid}.`);

    const thisContainer = await cli(['write', '-m', here], cliEnv(emulator.url));
    expect(thisContainer.stderr).toBe('');
    expect(thisContainer.code).toBe(0);
    expect(tempFiles(dir)).toEqual(inFlight);

    writeFileSync(go, '');
    const r = await otherContainer;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(tempFiles(dir)).toEqual([]);
    expect(readFileSync(join(dir, 'app.env'), 'utf8')).toContain("DB='CANARY-shared-db'");
  });
});
