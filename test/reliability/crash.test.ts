/**
 * Crash safety: "a file is either the old complete content or the new
 * complete content, never partial, never empty, never briefly readable by
 * others; a failed run leaves every output untouched".
 *
 * - SIGKILL at seeded random moments, many times, while `write` replaces
 *   three existing outputs whose parameters changed: after every kill each
 *   output is byte-identical to the old or the new rendering, parses, is 0600
 *   and has the right owner.
 * - SIGTERM / SIGINT mid-run: temp files removed, exit 143 / 130 reported.
 * - ENOSPC, EROFS, EACCES: a clean error, exit 6, the old file intact, no temp.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { discard, stage, tempFilesInFlight } from '../../src/staging.js';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { readDotenv, readJson, readYaml } from '../helpers/consumers.js';
import { cli, cliEnv, emulatorWith, expectCleanError, mountTmpfs, unmountIfMounted, requireRoot, rmScratch, rootOnly, scratchDir, spawnCli, tempFiles, writeManifest, type Emulator } from './harness.js';
import { isRoot, prng, recordFigure } from './figures.js';

// A bounded count keeps CI within its budget on a shared 2-core machine; CRASH_RUNS=500 explores more.
const KILLS = Math.max(30, Number(process.env.CRASH_RUNS ?? 0) || 0);
const SLOTS = 4;
const KEYS = 40;
const OWNER = isRoot ? 65534 : process.getuid!();
const GROUP = isRoot ? 65534 : process.getgid!();

/** Two generations of values: every key changes between A and B, sizes differ too. */
function generation(tag: 'a' | 'b'): Record<string, string> {
  const rnd = prng(tag === 'a' ? 1 : 2);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-+/=.:,;!?@%^&*()[]{}<>~|';
  return Object.fromEntries(
    Array.from({ length: KEYS }, (_, i) => {
      const len = 200 + Math.floor(rnd() * (tag === 'a' ? 1500 : 3000));
      let v = `${tag}-${i}-`;
      while (v.length < len) v += alphabet[Math.floor(rnd() * alphabet.length)];
      return [`/crash/${tag}/k${String(i).padStart(2, '0')}`, v];
    }),
  );
}
const GEN = { a: generation('a'), b: generation('b') };
const OUTPUTS = [
  { file: 'app.env', format: 'dotenv', read: (s: string) => readDotenv(s) },
  { file: 'app.json', format: 'json', read: (s: string) => readJson(s) },
  { file: 'app.yaml', format: 'yaml', read: (s: string) => readYaml(s) },
] as const;
const expectedValues = (tag: 'a' | 'b') => Object.fromEntries(Object.entries(GEN[tag]).map(([name, v]) => [`K${name.slice(-2)}`, v]));

function manifestBody(tag: 'a' | 'b', extra = ''): string {
  const values = Array.from({ length: KEYS }, (_, i) => `      K${String(i).padStart(2, '0')}: /crash/${tag}/k${String(i).padStart(2, '0')}`).join('\n');
  const owner = isRoot ? `    owner: "${OWNER}"\n    group: "${GROUP}"\n` : '';
  return `version: 1\noutputs:\n${OUTPUTS.map((o) => `  - path: ${o.file}\n    format: ${o.format}\n    mode: "0600"\n${owner}${extra}    values:\n${values}\n`).join('')}`;
}

let emulator: Emulator;
let root: string;
/** The exact bytes each output holds after a complete run of generation a or b. */
const rendered: Record<'a' | 'b', string[]> = { a: [], b: [] };
let fullRunMs = 0;
let tailMs = 0;

beforeAll(async () => {
  emulator = await emulatorWith({ ...GEN.a, ...GEN.b });
  root = scratchDir('crash');
  // Reference renderings and timings from complete, unkilled runs.
  const dir = join(root, 'reference');
  mkdirSync(dir, { mode: 0o700 });
  const env = cliEnv(emulator.url);
  const timings: Array<{ total: number; tail: number }> = [];
  const timedRun = async (d: string, tag: 'a' | 'b') => {
    const m = writeManifest(d, `${tag}.yaml`, manifestBody(tag));
    const started = performance.now();
    let fetchedAt = 0;
    const run = spawnCli(['write', '-m', m, '--verbose'], env);
    run.child.stderr!.on('data', (chunk: Buffer) => {
      if (!fetchedAt && chunk.toString().includes('fetched')) fetchedAt = performance.now();
    });
    const r = await run.result;
    expect(r.code, r.stderr).toBe(0);
    const total = performance.now() - started;
    timings.push({ total, tail: fetchedAt ? total - (fetchedAt - started) : total / 3 });
  };
  for (const tag of ['a', 'b'] as const) {
    await timedRun(dir, tag);
    rendered[tag] = OUTPUTS.map((o) => readFileSync(join(dir, o.file), 'utf8'));
  }
  // Time runs the way the kill loop runs them: SLOTS at once, replacing existing outputs.
  timings.length = 0;
  const calibration = Array.from({ length: SLOTS }, (_, n) => join(root, `calibrate${n}`));
  for (const d of calibration) mkdirSync(d, { mode: 0o700 });
  for (const tag of ['a', 'b', 'a', 'b'] as const) await Promise.all(calibration.map((d) => timedRun(d, tag)));
  fullRunMs = timings.reduce((s, t) => s + t.total, 0) / timings.length;
  tailMs = timings.reduce((s, t) => s + t.tail, 0) / timings.length;
  for (const tag of ['a', 'b'] as const) OUTPUTS.forEach((o, i) => expect(o.read(rendered[tag][i]!)).toEqual(expectedValues(tag)));
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  // Never delete through a mount left behind by a failed test: detach it first.
  for (const d of ['enospc', 'erofs']) if (root) unmountIfMounted(join(root, d));
  rmScratch(root);
});

/** Which generation a file holds; fails on anything else (partial, empty, mixed, wrong mode or owner). */
function checkOutput(dir: string, i: number): 'a' | 'b' {
  const o = OUTPUTS[i]!;
  const path = join(dir, o.file);
  const st = statSync(path);
  const content = readFileSync(path, 'utf8');
  const tag = content === rendered.a[i] ? 'a' : content === rendered.b[i] ? 'b' : undefined;
  expect(tag, `${o.file} is neither the old nor the new complete content (${content.length} bytes)`).toBeDefined();
  expect(o.read(content)).toEqual(expectedValues(tag!));
  expect(st.mode & 0o7777).toBe(0o600);
  expect([st.uid, st.gid]).toEqual([OWNER, GROUP]);
  return tag!;
}

describe('SIGKILL at random moments', () => {
  it(`${KILLS} kills at random moments: each output stays old-and-complete or new-and-complete, 0600, right owner`, async () => {
    const env = cliEnv(emulator.url);
    const rnd = prng(20_260_529);
    const stats = { kills: 0, finished: 0, tempsLeft: 0, killsInWritePhase: 0, outputsNew: 0, outputsOld: 0, mixedRuns: 0 };
    // The schedule follows the machine: durations of runs that finished keep
    // the estimates current, so kills stay spread over whole runs under load.
    let runMs = fullRunMs;
    let afterFetchMs = tailMs;
    let attempts = 0;

    async function slot(n: number): Promise<void> {
      const dir = join(root, `slot${n}`);
      mkdirSync(dir, { mode: 0o700 });
      const manifests = { a: writeManifest(dir, 'a.yaml', manifestBody('a')), b: writeManifest(dir, 'b.yaml', manifestBody('b')) };
      expect((await cli(['write', '-m', manifests.a], env)).code).toBe(0);
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
    await Promise.all(Array.from({ length: SLOTS }, (_, n) => slot(n)));
    const seconds = (Date.now() - started) / 1000;
    for (const [name, value] of Object.entries(stats)) recordFigure('crash', `SIGKILL ${name}`, value);
    recordFigure('crash', 'SIGKILL seconds', seconds.toFixed(1));
    recordFigure('crash', 'full run ms (reference)', Math.round(fullRunMs));
    // The schedule must really kill runs in flight, and some of them in the write phase.
    expect(stats.kills).toBeGreaterThanOrEqual(KILLS);
    expect(stats.killsInWritePhase).toBeGreaterThan(0);
  }, 170_000);
});

describe('SIGTERM and SIGINT mid-run', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal} while temp files exist (a slow verify): exit ${code}, temp files removed, outputs untouched`, async () => {
      const dir = join(root, `signal-${signal}`);
      mkdirSync(dir, { mode: 0o700 });
      const env = cliEnv(emulator.url);
      expect((await cli(['write', '-m', writeManifest(dir, 'a.yaml', manifestBody('a'))], env)).code).toBe(0);
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
      const dir = join(root, `signal-random-${n}`);
      mkdirSync(dir, { mode: 0o700 });
      // A short verify holds the write phase (temp files on disk) open for
      // 300 ms, so signals sent after the fetch land in it on a machine of
      // any speed: the signal-in-the-write-phase outcome is never left to luck.
      const withWindow = (tag: 'a' | 'b') => manifestBody(tag).replace(/(  - path: app\.yaml\n)/, `$1    verify: 'sleep 0.3'\n`);
      const manifests = { a: writeManifest(dir, 'a.yaml', withWindow('a')), b: writeManifest(dir, 'b.yaml', withWindow('b')) };
      expect((await cli(['write', '-m', manifests.a], env)).code).toBe(0);
      for (let k = 0; k < rounds; k++) {
        const target = checkOutput(dir, 0) === 'a' ? 'b' : 'a';
        const signal = k % 2 ? 'SIGINT' : 'SIGTERM';
        const run = spawnCli(['write', '-m', manifests[target], '--verbose'], env);
        const afterFetch = rnd() < 0.5;
        const delay = afterFetch ? rnd() * tailMs * 1.2 : rnd() * fullRunMs * 1.1;
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
    await Promise.all(Array.from({ length: 3 }, (_, n) => slot(n, 10)));
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

describe('a commit that fails midway', () => {
  it('rolls back the outputs already renamed: exit 6, every earlier output old-and-complete with its old inode, no temp or backup left', async () => {
    const dir = join(root, 'rollback');
    mkdirSync(dir, { mode: 0o700 });
    const env = cliEnv(emulator.url);
    expect((await cli(['write', '-m', writeManifest(dir, 'a.yaml', manifestBody('a'))], env)).code).toBe(0);
    const before = OUTPUTS.map((o) => statSync(join(dir, o.file)));
    // The last output's verify (after every output has staged, before any rename)
    // turns its target into a non-empty directory, so its rename fails after the
    // renames of the outputs before it have succeeded.
    const last = join(dir, 'app.yaml');
    const sabotage = `rm -f ${last} && mkdir ${last} && touch ${last}/blocker`;
    const body = manifestBody('b').replace(/(  - path: app\.yaml\n)/, `$1    verify: '${sabotage}'\n`);
    const r = await cli(['write', '-m', writeManifest(dir, 'b.yaml', body)], env);
    expectCleanError(r, 6, 'app.yaml');
    OUTPUTS.slice(0, -1).forEach((o, i) => {
      expect(checkOutput(dir, i), `${o.file} after the failed run`).toBe('a');
      expect(statSync(join(dir, o.file)).ino).toBe(before[i]!.ino);
    });
    expect(tempFiles(dir)).toEqual([]);
    recordFigure('crash', 'mid-commit failures rolled back', 1);
  });
});

describe.skipIf(rootOnly)('the file system says no', () => {
  /** An output dir with an old complete output of generation a, then a run of generation b that must fail. */
  async function failingRun(dir: string, prepare: () => void, expectText: string[], spawnAs?: { uid: number; gid: number }) {
    const env = cliEnv(emulator.url);
    expect((await cli(['write', '-m', writeManifest(dir, 'a.yaml', manifestBody('a'))], env)).code).toBe(0);
    const before = OUTPUTS.map((o) => readFileSync(join(dir, o.file)));
    const inodes = OUTPUTS.map((o) => statSync(join(dir, o.file)).ino);
    // The manifest lives outside the output dir, readable by anyone (for the uid test).
    const mdir = join(root, `manifests-${dir.split('/').pop()}`);
    mkdirSync(mdir, { recursive: true, mode: 0o755 });
    chmodSync(root, 0o755);
    const manifest = writeManifest(mdir, 'b.yaml', manifestBody('b').replace(/path: (app\.\w+)/g, `path: ${dir}/$1`));
    chmodSync(manifest, 0o644);
    prepare();
    const r = await cli(['write', '-m', manifest], { ...env, HOME: '/' }, spawnAs);
    chmodSync(root, 0o700);
    expectCleanError(r, 6, ...expectText);
    OUTPUTS.forEach((o, i) => {
      expect(readFileSync(join(dir, o.file)).equals(before[i]!)).toBe(true);
      expect(statSync(join(dir, o.file)).ino).toBe(inodes[i]);
    });
    expect(tempFiles(dir)).toEqual([]);
    return r;
  }

  it('ENOSPC on a full tmpfs: exit 6 naming the output and ENOSPC, old files intact, no temp left', async () => {
    requireRoot();
    const dir = join(root, 'enospc');
    // Room for generation a (about 3 x 35 KiB) but not for a, plus b's temp files.
    const unmount = mountTmpfs(dir, 'size=160k,mode=0700');
    try {
      await failingRun(dir, () => undefined, ['ENOSPC', 'hint: free space']);
    } finally {
      unmount();
    }
    expect(existsSync(join(dir, 'app.env'))).toBe(false); // unmounted
  });

  it('EROFS on a read-only remount: exit 6 naming EROFS, old files intact', async () => {
    requireRoot();
    const dir = join(root, 'erofs');
    const unmount = mountTmpfs(dir, 'size=1m,mode=0700');
    try {
      await failingRun(dir, () => execFileSync('mount', ['-o', 'remount,ro', dir]), ['EROFS', 'read-only']);
    } finally {
      unmount();
    }
  });

  it('EACCES: a uid that may read but not write the 0755 root-owned directory gets exit 6, old files intact', async () => {
    requireRoot();
    const dir = join(root, 'eacces');
    mkdirSync(dir, { mode: 0o755 });
    // Old files owned by the unprivileged uid so that it can read them: the failure is the directory.
    await failingRun(
      dir,
      () => {
        chmodSync(dir, 0o755);
        for (const o of OUTPUTS) chownSync(join(dir, o.file), 65534, 65534);
      },
      ['EACCES', 'hint: run as a user that may write'],
      { uid: 65534, gid: 65534 },
    );
  });

  it('EACCES reading an old file the uid cannot read: exit 6, nothing written', async () => {
    requireRoot();
    const dir = join(root, 'eacces-read');
    mkdirSync(dir, { mode: 0o755 });
    await failingRun(
      dir,
      () => {
        chmodSync(dir, 0o755);
        for (const o of OUTPUTS) chownSync(join(dir, o.file), 0, 0);
      },
      ['EACCES', 'cannot read the existing file'],
      { uid: 65534, gid: 65534 },
    );
  });
});

