/**
 * Concurrency: two `write` runs on the same outputs at once (a deploy hook and
 * a systemd timer, or a retried hook) end with one complete file each, no
 * torn content and no leftover temp file; a reader polling the files the
 * whole time only ever sees a complete old or new content (never partial,
 * never empty, never missing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fsp, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cliEnv, emulatorWith, rmScratch, scratchDir, tempFiles, writeManifest, type Emulator } from './harness.js';
import { prng, recordFigure } from './figures.js';

const KEYS = 40;
function generation(tag: 'a' | 'b'): Record<string, string> {
  const rnd = prng(tag === 'a' ? 11 : 12);
  return Object.fromEntries(
    Array.from({ length: KEYS }, (_, i) => [
      `/conc/${tag}/k${String(i).padStart(2, '0')}`,
      `${tag}${i}-` + Array.from({ length: 300 + Math.floor(rnd() * 900) }, () => 'abcdefXYZ0123 _-'[Math.floor(rnd() * 16)]).join(''),
    ]),
  );
}
const OUTPUTS = ['app.env:dotenv', 'app.json:json'].map((o) => o.split(':') as [string, string]);

let emulator: Emulator;
let root: string;
beforeAll(async () => {
  emulator = await emulatorWith({ ...generation('a'), ...generation('b') });
  root = scratchDir('concurrency');
});
afterAll(async () => {
  await emulator?.close();
  rmScratch(root);
});

function manifest(dir: string, tag: 'a' | 'b'): string {
  const values = Array.from({ length: KEYS }, (_, i) => `      K${i}: /conc/${tag}/k${String(i).padStart(2, '0')}`).join('\n');
  return writeManifest(
    dir,
    `${tag}.yaml`,
    `version: 1\noutputs:\n${OUTPUTS.map(([f, format]) => `  - path: ${f}\n    format: ${format}\n    values:\n${values}\n`).join('')}`,
  );
}

describe('concurrent writers and a polling reader', () => {
  it('two runs at once, 10 rounds: one complete file, no temp left, and the reader never sees partial, empty or missing content', async () => {
    const dir = join(root, 'out');
    mkdirSync(dir, { mode: 0o700 });
    const env = cliEnv(emulator.url);
    const m = { a: manifest(dir, 'a'), b: manifest(dir, 'b') };
    // The complete renderings of each generation, from single runs.
    const full: Record<'a' | 'b', string[]> = { a: [], b: [] };
    for (const tag of ['b', 'a'] as const) {
      expect((await cli(['write', '-m', m[tag]], env)).code).toBe(0);
      full[tag] = OUTPUTS.map(([f]) => readFileSync(join(dir, f), 'utf8'));
    }

    // The reader: as fast as the event loop allows, for the whole test.
    const seen = { reads: 0, torn: 0, missing: 0 };
    let reading = true;
    const reader = (async () => {
      while (reading) {
        for (const [i, [f]] of OUTPUTS.entries()) {
          try {
            const content = await fsp.readFile(join(dir, f), 'utf8');
            seen.reads++;
            if (content !== full.a[i] && content !== full.b[i]) seen.torn++;
          } catch {
            seen.missing++;
          }
        }
      }
    })();

    const outcomes = { same: 0, different: 0 };
    let current: 'a' | 'b' = 'a';
    for (let round = 0; round < 10; round++) {
      // Even rounds: both runs write the same new generation; odd rounds: one writes each.
      const same = round % 2 === 0;
      const next: 'a' | 'b' = current === 'a' ? 'b' : 'a';
      const [first, second] = await Promise.all([cli(['write', '-m', m[next]], env), cli(['write', '-m', m[same ? next : current]], env)]);
      expect(first.code, first.stderr).toBe(0);
      expect(second.code, second.stderr).toBe(0);
      const tags = OUTPUTS.map(([f], i) => {
        const content = readFileSync(join(dir, f), 'utf8');
        const st = statSync(join(dir, f));
        expect(st.mode & 0o7777).toBe(0o600);
        return content === full.a[i] ? 'a' : content === full.b[i] ? 'b' : 'torn';
      });
      expect(tags).not.toContain('torn');
      if (same) expect(tags).toEqual(OUTPUTS.map(() => next));
      expect(tempFiles(dir)).toEqual([]);
      outcomes[same ? 'same' : 'different']++;
      current = tags[0] as 'a' | 'b';
    }
    reading = false;
    await reader;

    recordFigure('concurrency', 'rounds of two concurrent writes', outcomes.same + outcomes.different);
    recordFigure('concurrency', 'reads while writing', seen.reads);
    recordFigure('concurrency', 'torn or missing reads', seen.torn + seen.missing);
    expect(seen.reads).toBeGreaterThan(1000);
    expect(seen).toEqual({ reads: seen.reads, torn: 0, missing: 0 });
  }, 300_000);
});
