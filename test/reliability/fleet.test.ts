/**
 * The last two promises:
 * - "Minimal API calls: ceil(distinct names / 10) GetParameters calls, one
 *   call per page of a path", for random manifests (names shared between
 *   outputs, paths of every size, the same path listed twice);
 * - "A fleet of hosts deploying at once stays within the store's quota and
 *   all succeed": many hosts at once against the default 40 TPS quota, each
 *   host a process of the built binary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDotenv } from '../helpers/consumers.js';
import { cli, cliEnv, emulatorWith, rmScratch, scratchDir, tempFiles, writeManifest, type Emulator } from './harness.js';
import { prng, recordFigure } from './figures.js';
import { runCliInProcess } from '../helpers/main.js';

let root: string;
const emulators: Emulator[] = [];
beforeAll(() => {
  root = scratchDir('fleet');
});
afterAll(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  rmScratch(root);
});

describe('minimal API calls', () => {
  it('12 random manifests: GetParameters = ceil(distinct names / 10), GetParametersByPath = pages of each distinct path', async () => {
    const rnd = prng(99);
    const pick = (n: number) => Math.floor(rnd() * n);
    const configs = Array.from({ length: 12 }, (_, c) => {
      const pool = Array.from({ length: 1 + pick(45) }, (_, i) => `/min/c${c}/n${String(i).padStart(2, '0')}`);
      const pathSizes = Array.from({ length: 1 + pick(3) }, () => 1 + pick(25));
      const outputs = Array.from({ length: 1 + pick(3) }, () => ({
        names: pool.filter(() => rnd() < 0.6),
        paths: pathSizes.map((_, p) => ({ p, recursive: rnd() < 0.3 })).filter(() => rnd() < 0.7),
      }));
      return { c, pool, pathSizes, outputs };
    });
    let checked = 0;
    await Promise.all(
      configs.map(async ({ c, pool, pathSizes, outputs }) => {
        const values: Record<string, string> = Object.fromEntries(pool.map((n) => [n, `v-${n}`]));
        pathSizes.forEach((size, p) => {
          for (let i = 0; i < size; i++) values[`/min/c${c}/path${p}/p${p}e${String(i).padStart(2, '0')}`] = `p${p}-${i}`;
        });
        const emulator = await emulatorWith(values);
        emulators.push(emulator);
        const dir = join(root, `min${c}`);
        mkdirSync(dir, { mode: 0o700 });
        const body = outputs
          .map((o, i) => {
            const vals = o.names.map((n) => `      K_${n.split('/').pop()}: ${n}`).join('\n');
            const paths = o.paths.map(({ p, recursive }) => `      - { path: /min/c${c}/path${p}, recursive: ${recursive} }`).join('\n');
            return `  - path: out${i}.json\n    format: json\n${vals ? `    values:\n${vals}\n` : ''}${paths ? `    paths:\n${paths}\n` : ''}${!vals && !paths ? `    values:\n      K: ${pool[0]}\n` : ''}`;
          })
          .join('');
        // In-process (they take turns: test/helpers/main.ts); the calls counted are the CLI's, not a process's.
        const r = await runCliInProcess(['write', '-m', writeManifest(dir, 'm.yaml', `version: 1\noutputs:\n${body}`)], cliEnv(emulator.url));
        expect(r.code, r.stderr).toBe(0);
        const distinctNames = new Set(outputs.flatMap((o) => (o.names.length || o.paths.length ? o.names : [pool[0]!])));
        const distinctPaths = new Map(outputs.flatMap((o) => o.paths.map((x) => [`${x.p}:${x.recursive}`, pathSizes[x.p]!] as const)));
        const pages = [...distinctPaths.values()].reduce((sum, size) => sum + Math.max(1, Math.ceil(size / 10)), 0);
        const expected: Record<string, number> = {};
        if (distinctNames.size) expected.GetParameters = Math.ceil(distinctNames.size / 10);
        if (pages) expected.GetParametersByPath = pages;
        expect(emulator.counters().operations, `config ${c}`).toEqual(expected);
        checked++;
      }),
    );
    recordFigure('fleet', 'random manifests with minimal calls', checked);
  }, 60_000);
});

describe('a fleet deploying at once', () => {
  it('24 hosts with --jitter 3 against a 40 TPS quota: every host succeeds with complete files', async () => {
    const HOSTS = 24;
    const names = Array.from({ length: 25 }, (_, i) => `/fleet/app/k${String(i).padStart(2, '0')}`);
    const envNames = Array.from({ length: 15 }, (_, i) => `/fleet/env/e${String(i).padStart(2, '0')}`);
    const values = Object.fromEntries([...names, ...envNames].map((n, i) => [n, `fleet-value-${i}`]));
    const emulator = await emulatorWith(values, { faults: { tps: 40 } });
    emulators.push(emulator);
    const expected = {
      ...Object.fromEntries(names.map((n, i) => [`K${String(i).padStart(2, '0')}`, values[n]])),
      ...Object.fromEntries(envNames.map((n) => [`E${n.slice(-2)}`, values[n]])),
    };
    const body = `version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values:\n${names.map((n, i) => `      K${String(i).padStart(2, '0')}: ${n}`).join('\n')}\n    paths:\n      - /fleet/env\n`;
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: HOSTS }, async (_, h) => {
        const dir = join(root, `host${h}`);
        mkdirSync(dir, { mode: 0o700 });
        const r = await cli(['write', '-m', writeManifest(dir, 'materialize.yaml', body), '--jitter', '3'], cliEnv(emulator.url));
        return { r, dir };
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    for (const { r, dir } of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8'))).toEqual(expected);
      expect(tempFiles(dir)).toEqual([]);
    }
    const c = emulator.counters();
    // Each host's own calls are minimal: 3 GetParameters + 2 pages; the rest are retries of throttled calls.
    expect((c.operations.GetParameters ?? 0) + (c.operations.GetParametersByPath ?? 0) - c.throttled).toBe(HOSTS * 5);
    recordFigure('fleet', 'hosts deploying at once (40 TPS quota)', HOSTS);
    recordFigure('fleet', 'hosts succeeded', results.filter(({ r }) => r.code === 0).length);
    recordFigure('fleet', 'throttled calls absorbed by retries', c.throttled);
    recordFigure('fleet', 'fleet seconds', seconds.toFixed(1));
  }, 90_000);
});
