/**
 * The built dist/: the bundle runs alone, and the bin (src/launch.ts) runs it
 * through a code cache V8 accepts, or without one when the cache is missing or
 * was made by another Node.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
const DIST = dirname(CLI);
const BUNDLE = 'ssm-materialize.bundle.cjs';
const CACHE = 'ssm-materialize.bundle.cache';
const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

function run(args: string[]) {
  return spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH } });
}

function expectVersion(r: ReturnType<typeof run>): void {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(`${version}\n`);
}

describe('the built bundle', () => {
  it('prints the version from package.json, even when copied alone where no package.json is', () => {
    const copy = join(tempDir(), BUNDLE);
    copyFileSync(join(DIST, BUNDLE), copy);
    expectVersion(run([copy, '--version']));
  });

  it('is ASCII, as the launcher that reads it as latin1 needs', () => {
    const bytes = readFileSync(join(DIST, BUNDLE));
    expect(bytes.findIndex((b) => b > 0x7f)).toBe(-1);
  });
});

describe('the bin', () => {
  it('runs the bundle through a code cache this Node accepts', () => {
    const r = run(['-e', `process.stdout.write(String(require(${JSON.stringify(CLI)}).codeCacheAccepted()))`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true');
    expectVersion(run([CLI, '--version']));
  });

  it('without its cache, or with a cache V8 rejects, runs the bundle all the same', () => {
    for (const cache of [undefined, Buffer.from('not a V8 code cache')]) {
      const dir = tempDir();
      for (const file of [BUNDLE, 'ssm-materialize.cjs']) copyFileSync(join(DIST, file), join(dir, file));
      if (cache) writeFileSync(join(dir, CACHE), cache);
      const bin = join(dir, 'ssm-materialize.cjs');
      expect(run(['-e', `process.stdout.write(String(require(${JSON.stringify(bin)}).codeCacheAccepted()))`]).stdout).toBe('false');
      expectVersion(run([bin, '--version']));
    }
  });
});
