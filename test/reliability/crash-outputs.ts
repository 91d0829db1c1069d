/**
 * What the crash tests (crash.test.ts, crash-kill.test.ts, crash-fs.test.ts)
 * write and check: three outputs (dotenv, json, yaml) of 40 keys, in two
 * generations whose every value differs, and the exact bytes a complete run
 * of each generation leaves. The three files run in parallel workers; each
 * starts its own emulator and takes its reference renderings from its first
 * complete runs.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { readDotenv, readJson, readYaml } from '../helpers/consumers.js';
import { emulatorWith, spawnCli, writeManifest, type Emulator } from './harness.js';
import { isRoot, prng } from './figures.js';

export type Generation = 'a' | 'b';

const KEYS = 40;
export const OWNER = isRoot ? 65534 : process.getuid!();
export const GROUP = isRoot ? 65534 : process.getgid!();

/** Two generations of values: every key changes between A and B, sizes differ too. */
function generation(tag: Generation): Record<string, string> {
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
export const OUTPUTS = [
  { file: 'app.env', format: 'dotenv', read: (s: string) => readDotenv(s) },
  { file: 'app.json', format: 'json', read: (s: string) => readJson(s) },
  { file: 'app.yaml', format: 'yaml', read: (s: string) => readYaml(s) },
] as const;
const expectedValues = (tag: Generation) => Object.fromEntries(Object.entries(GEN[tag]).map(([name, v]) => [`K${name.slice(-2)}`, v]));

/** An emulator holding both generations. */
export function crashEmulator(): Promise<Emulator> {
  return emulatorWith({ ...GEN.a, ...GEN.b });
}

export function manifestBody(tag: Generation, extra = ''): string {
  const values = Array.from({ length: KEYS }, (_, i) => `      K${String(i).padStart(2, '0')}: /crash/${tag}/k${String(i).padStart(2, '0')}`).join('\n');
  const owner = isRoot ? `    owner: "${OWNER}"\n    group: "${GROUP}"\n` : '';
  return `version: 1\noutputs:\n${OUTPUTS.map((o) => `  - path: ${o.file}\n    format: ${o.format}\n    mode: "0600"\n${owner}${extra}    values:\n${values}\n`).join('')}`;
}

/** The exact bytes each output holds after a complete run of generation a or b (see `referenceRuns`). */
const rendered: Record<Generation, string[]> = { a: [], b: [] };

/** Which generation a file holds; fails on anything else (partial, empty, mixed, wrong mode or owner). */
export function checkOutput(dir: string, i: number): Generation {
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

export interface RunTimes {
  /** Mean duration of a complete `write`, in ms. */
  fullRunMs: number;
  /** Mean time from the "fetched" log line to the end: render, stage, commit. */
  tailMs: number;
}

/**
 * Complete runs in `dirs` at once (generations a and b alternating, so both
 * are written), as the kill and signal loops will run them: they record the
 * reference renderings that `checkOutput` compares against, leave each dir
 * holding complete outputs, and measure the run times the random schedules
 * start from.
 */
export async function referenceRuns(dirs: string[], env: NodeJS.ProcessEnv): Promise<RunTimes> {
  expect(dirs.length, 'one dir per generation at least').toBeGreaterThanOrEqual(2);
  const timings = await Promise.all(
    dirs.map(async (dir, n) => {
      const tag: Generation = n % 2 ? 'b' : 'a';
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const m = writeManifest(dir, `reference-${tag}.yaml`, manifestBody(tag));
      const started = performance.now();
      let fetchedAt = 0;
      const run = spawnCli(['write', '-m', m, '--verbose'], env);
      run.child.stderr!.on('data', (chunk: Buffer) => {
        if (!fetchedAt && chunk.toString().includes('fetched')) fetchedAt = performance.now();
      });
      const r = await run.result;
      expect(r.code, r.stderr).toBe(0);
      const total = performance.now() - started;
      return { total, tail: fetchedAt ? total - (fetchedAt - started) : total / 3 };
    }),
  );
  for (const tag of ['a', 'b'] as const) {
    const dir = dirs[tag === 'a' ? 0 : 1]!;
    rendered[tag] = OUTPUTS.map((o) => readFileSync(join(dir, o.file), 'utf8'));
    OUTPUTS.forEach((o, i) => expect(o.read(rendered[tag][i]!)).toEqual(expectedValues(tag)));
  }
  return {
    fullRunMs: timings.reduce((s, t) => s + t.total, 0) / timings.length,
    tailMs: timings.reduce((s, t) => s + t.tail, 0) / timings.length,
  };
}
