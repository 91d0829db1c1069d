/**
 * Crash safety under SIGKILL: "a file is either the old complete content or
 * the new complete content, never partial, never empty, never briefly
 * readable by others".
 *
 * SIGKILL at seeded random moments, many times, while `write` replaces three
 * existing outputs whose parameters changed: after every kill each output is
 * byte-identical to the old or the new rendering, parses, is 0600 and has the
 * right owner. (SIGTERM / SIGINT: crash.test.ts; failing file systems and
 * rollback: crash-fs.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cliEnv, rmScratch, scratchDir, spawnCli, tempFiles, writeManifest, type Emulator } from './harness.js';
import { prng, recordFigure } from './figures.js';
import { OUTPUTS, checkOutput, crashEmulator, manifestBody, referenceRuns, type RunTimes } from './crash-outputs.js';

// A bounded count keeps CI within its budget on a shared 2-core machine; CRASH_RUNS=500 explores more.
const KILLS = Math.max(30, Number(process.env.CRASH_RUNS ?? 0) || 0);
const SLOTS = 4;

let emulator: Emulator;
let root: string;
let slotDirs: string[] = [];
let reference: RunTimes;

beforeAll(async () => {
  emulator = await crashEmulator();
  root = scratchDir('crash-kill');
  // Each slot's first complete run: the reference renderings and run times, SLOTS at once as the loop runs.
  slotDirs = Array.from({ length: SLOTS }, (_, n) => join(root, `slot${n}`));
  reference = await referenceRuns(slotDirs, cliEnv(emulator.url));
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  rmScratch(root);
});

describe('SIGKILL at random moments', () => {
  it(`${KILLS} kills at random moments: each output stays old-and-complete or new-and-complete, 0600, right owner`, async () => {
    const env = cliEnv(emulator.url);
    const rnd = prng(20_260_529);
    const stats = { kills: 0, finished: 0, tempsLeft: 0, killsInWritePhase: 0, outputsNew: 0, outputsOld: 0, mixedRuns: 0 };
    // The schedule follows the machine: durations of runs that finished keep
    // the estimates current, so kills stay spread over whole runs under load.
    let runMs = reference.fullRunMs;
    let afterFetchMs = reference.tailMs;
    let attempts = 0;

    async function slot(dir: string): Promise<void> {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const manifests = { a: writeManifest(dir, 'a.yaml', manifestBody('a')), b: writeManifest(dir, 'b.yaml', manifestBody('b')) };
      while (stats.kills < KILLS && attempts++ < KILLS * 3) {
        const current = checkOutput(dir, 0);
        const target = current === 'a' ? 'b' : 'a';
        // Half the kills anywhere in the run, half after the fetch, where render, stage and commit happen.
        const afterFetch = rnd() < 0.5;
        const delay = afterFetch ? rnd() * afterFetchMs * 1.2 : rnd() * runMs * 1.15;
        const started = performance.now();
        let fetchedAt = 0;
        const run = spawnCli(['write', '-m', manifests[target], '--verbose'], env);
        let timer: NodeJS.Timeout | undefined;
        const kill = () => run.child.kill('SIGKILL');
        run.child.stderr!.on('data', (d: Buffer) => {
          if (fetchedAt || !d.toString().includes('fetched')) return;
          fetchedAt = performance.now();
          if (afterFetch) timer = setTimeout(kill, delay);
        });
        if (!afterFetch) timer = setTimeout(kill, delay);
        const r = await run.result;
        clearTimeout(timer);
        if (r.signal === 'SIGKILL') stats.kills++;
        else {
          expect(r.code, r.stderr).toBe(0);
          stats.finished++;
          const total = performance.now() - started;
          runMs = 0.7 * runMs + 0.3 * total;
          if (fetchedAt) afterFetchMs = 0.7 * afterFetchMs + 0.3 * (total - (fetchedAt - started));
        }
        const tags = OUTPUTS.map((_, i) => checkOutput(dir, i));
        const left = tempFiles(dir);
        if (left.length) stats.tempsLeft++;
        if (r.signal === 'SIGKILL' && (left.length || tags.some((t) => t === target))) stats.killsInWritePhase++;
        if (new Set(tags).size > 1) stats.mixedRuns++;
        for (const t of tags) t === target ? stats.outputsNew++ : stats.outputsOld++;
      }
      // A temp file left by a kill is removed by the next complete run.
      const final = await cli(['write', '-m', manifests[checkOutput(dir, 0) === 'a' ? 'b' : 'a']], env);
      expect(final.code, final.stderr).toBe(0);
      expect(tempFiles(dir)).toEqual([]);
    }

    const started = Date.now();
    await Promise.all(slotDirs.map(slot));
    const seconds = (Date.now() - started) / 1000;
    for (const [name, value] of Object.entries(stats)) recordFigure('crash', `SIGKILL ${name}`, value);
    recordFigure('crash', 'SIGKILL seconds', seconds.toFixed(1));
    recordFigure('crash', 'full run ms (reference)', Math.round(reference.fullRunMs));
    // The schedule must really kill runs in flight, and some of them in the write phase.
    expect(stats.kills).toBeGreaterThanOrEqual(KILLS);
    expect(stats.killsInWritePhase).toBeGreaterThan(0);
  }, 170_000);
});
