/**
 * Crash safety under SIGTERM / SIGINT: "a file is either the old complete
 * content or the new complete content; a run that is interrupted leaves no
 * temp file behind".
 *
 * - A signal while every output is staged: temp files removed, exit 143 /
 *   130 reported, outputs keep their inodes.
 * - Signals at seeded random moments, half of them after the fetch.
 * - The handler's cleanup racing `stage()` creating its temp file, in-process.
 *
 * (SIGKILL: crash-kill.test.ts; failing file systems and rollback: crash-fs.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { discard, stage, tempFilesInFlight } from '../../src/files/staging.js';
import { cliEnv, rmScratch, scratchDir, spawnCli, tempFiles, writeManifest, type Emulator } from './harness.js';
import { prng, recordFigure } from './figures.js';
import { OUTPUTS, checkOutput, crashEmulator, manifestBody, referenceRuns, type RunTimes } from './crash-outputs.js';

const RANDOM_SLOTS = 3;

let emulator: Emulator;
let root: string;
let reference: RunTimes;
const signalDir = (signal: string) => join(root, `signal-${signal}`);
const randomDir = (n: number) => join(root, `signal-random-${n}`);

beforeAll(async () => {
  emulator = await crashEmulator();
  root = scratchDir('crash');
  // Every test's first complete run at once: the reference renderings and run
  // times. Even positions get generation a, which the SIGTERM / SIGINT tests start from.
  const dirs = [signalDir('SIGTERM'), randomDir(0), signalDir('SIGINT'), ...Array.from({ length: RANDOM_SLOTS - 1 }, (_, n) => randomDir(n + 1))];
  reference = await referenceRuns(dirs, cliEnv(emulator.url));
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  rmScratch(root);
});

describe('SIGTERM and SIGINT mid-run', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal} while temp files exist (a slow verify): exit ${code}, temp files removed, outputs untouched`, async () => {
      const dir = signalDir(signal);
      const env = cliEnv(emulator.url);
      const before = OUTPUTS.map((o) => statSync(join(dir, o.file)));
      const marker = join(dir, 'verify-started');
      // Only the last output verifies, so every output has staged when the signal arrives.
      const body = manifestBody('b').replace(/(  - path: app\.yaml\n)/, `$1    verify: 'touch ${marker}; sleep 3'\n`);
      const run = spawnCli(['write', '-m', writeManifest(dir, 'b.yaml', body)], env);
      const deadline = Date.now() + 20_000;
      while (!existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(existsSync(marker)).toBe(true);
      expect(tempFiles(dir).length).toBe(OUTPUTS.length);
      run.child.kill(signal);
      const r = await run.result;
      expect(r.code).toBe(code);
      expect(r.stderr).toContain(`interrupted by ${signal}`);
      expect(tempFiles(dir)).toEqual([]);
      OUTPUTS.forEach((o, i) => {
        expect(checkOutput(dir, i)).toBe('a');
        expect(statSync(join(dir, o.file)).ino).toBe(before[i]!.ino);
      });
    });
  }

  it('at 30 random moments (half of them after the fetch, where files are staged): exit 0, 143/130 or death before the handler exists, never a temp file left', async () => {
    const env = cliEnv(emulator.url);
    const rnd = prng(7);
    const outcomes: Record<string, number> = {};
    const slot = async (n: number, rounds: number) => {
      const dir = randomDir(n);
      // A short verify holds the write phase (temp files on disk) open for
      // 300 ms, so signals sent after the fetch land in it on a machine of
      // any speed: the signal-in-the-write-phase outcome is never left to luck.
      const withWindow = (tag: 'a' | 'b') => manifestBody(tag).replace(/(  - path: app\.yaml\n)/, `$1    verify: 'sleep 0.3'\n`);
      const manifests = { a: writeManifest(dir, 'a.yaml', withWindow('a')), b: writeManifest(dir, 'b.yaml', withWindow('b')) };
      for (let k = 0; k < rounds; k++) {
        const target = checkOutput(dir, 0) === 'a' ? 'b' : 'a';
        const signal = k % 2 ? 'SIGINT' : 'SIGTERM';
        const run = spawnCli(['write', '-m', manifests[target], '--verbose'], env);
        const afterFetch = rnd() < 0.5;
        const delay = afterFetch ? rnd() * reference.tailMs * 1.2 : rnd() * reference.fullRunMs * 1.1;
        let timer: NodeJS.Timeout | undefined;
        const send = () => run.child.kill(signal);
        if (afterFetch) {
          run.child.stderr!.on('data', (d: Buffer) => {
            if (!timer && d.toString().includes('fetched')) timer = setTimeout(send, delay);
          });
        } else timer = setTimeout(send, delay);
        const r = await run.result;
        clearTimeout(timer);
        const outcome = r.code === 0 ? 'finished' : r.code === 143 || r.code === 130 ? `exit ${r.code}` : `killed by ${r.signal}`;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        const what = `run ${k}: ${signal} after ${Math.round(delay)} ms -> code ${r.code} signal ${r.signal}; stderr: ${r.stderr}`;
        if (r.code !== 0 && r.code !== null) {
          expect(r.code, what).toBe(signal === 'SIGTERM' ? 143 : 130);
          expect(r.stderr, what).toContain(`interrupted by ${signal}`);
        }
        if (r.code === null) expect(r.signal, what).toBe(signal); // arrived before bin.ts installed its handler: nothing staged yet
        expect(tempFiles(dir), what).toEqual([]);
        OUTPUTS.forEach((_, i) => checkOutput(dir, i));
      }
    };
    await Promise.all(Array.from({ length: RANDOM_SLOTS }, (_, n) => slot(n, 10)));
    for (const [name, n] of Object.entries(outcomes)) recordFigure('crash', `SIGTERM/SIGINT ${name}`, n);
    expect((outcomes['exit 143'] ?? 0) + (outcomes['exit 130'] ?? 0)).toBeGreaterThan(0);
  }, 180_000);
});

describe('the signal handler and a temp file being created', () => {
  it('a handler that runs while stage() is creating the temp file still removes it (no async open finishing after the unlink)', async () => {
    let left = 0;
    for (let i = 0; i < 200; i++) {
      const dir = join(root, 'handler-race');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const staging = stage({ path: join(dir, 'app.env'), content: 'K=v\n', mode: 0o600, uid: undefined, gid: undefined });
      // What bin.ts does on SIGINT/SIGTERM, at the earliest moment it can run: right after stage() yields.
      for (const p of tempFilesInFlight) rmSync(p, { force: true });
      const staged = await staging.catch(() => undefined);
      if (tempFiles(dir).length) left++;
      if (staged) await discard(staged);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(left, 'temp files left behind by 200 simulated interrupts').toBe(0);
  });
});
