/**
 * The npm bin keeps Node's compile cache only in a directory the running
 * user alone can write (src/compile-cache.ts). Seen from outside: what the
 * real bin, run by the real Node, creates on disk, and what Node itself
 * reports loading (NODE_DEBUG_NATIVE=COMPILE_CACHE prints each cache it reads).
 * Runs as root, as a deploy hook does; another user's directories are made
 * with chown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.js';
import { requireRoot } from '../reliability/harness.js';

const NOBODY = 65534;
const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A directory on a path only root can write (root's own home), as a real user's home is. */
function trustedDir(): string {
  const d = mkdtempSync(join(homedir(), '.ssm-mat-cc-test-'));
  chmodSync(d, 0o700);
  made.push(d);
  return d;
}

function runBin(home: string, extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, '--version'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: home, NODE_DEBUG_NATIVE: 'COMPILE_CACHE', ...extra },
  });
  expect(r.status).toBe(0);
  return { stdout: r.stdout, cacheLog: r.stderr.split('\n').filter((l) => l.startsWith('[compile cache]')) };
}

/** Every file under `dir`, relative. */
function filesUnder(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }) : [];
}

describe('the compile cache of the npm bin', () => {
  it('lives in HOME/.cache/ssm-materialize, mode 0700, owned by the user; the next run loads what the first wrote', () => {
    requireRoot();
    const home = trustedDir();
    runBin(home);
    const dir = join(home, '.cache', 'ssm-materialize');
    const st = statSync(dir);
    expect([st.uid, st.mode & 0o777]).toEqual([process.geteuid!(), 0o700]);
    expect(filesUnder(dir).length).toBeGreaterThan(0);
    const second = runBin(home);
    expect(second.cacheLog.some((l) => l.includes(`reading cache from ${dir}/`))).toBe(true);
    expect(second.cacheLog.some((l) => /was accepted/.test(l))).toBe(true);
  });

  it('XDG_CACHE_HOME, when set, is used instead of HOME/.cache', () => {
    requireRoot();
    const home = trustedDir();
    const xdg = join(home, 'xdg');
    runBin(home, { XDG_CACHE_HOME: xdg });
    expect(filesUnder(join(xdg, 'ssm-materialize')).length).toBeGreaterThan(0);
    expect(existsSync(join(home, '.cache'))).toBe(false);
  });

  it("a root run whose HOME is another user's neither reads nor writes a cache there (sudo -E)", () => {
    requireRoot();
    const home = join(trustedDir(), 'alice');
    mkdirSync(home, { mode: 0o755 });
    // What that user could have planted: a cache directory of their own, with entries.
    runBin(home);
    const planted = join(home, '.cache', 'ssm-materialize');
    expect(filesUnder(planted).length).toBeGreaterThan(0);
    for (const p of [home, join(home, '.cache'), planted, ...filesUnder(planted).map((f) => join(planted, f))]) chownSync(p, NOBODY, NOBODY);
    const before = filesUnder(planted).sort();
    const r = runBin(home);
    expect(r.cacheLog).toEqual([]);
    expect(filesUnder(planted).sort()).toEqual(before);
  });

  it('a cache directory others may write, a symlinked one, or one under a world-writable directory such as /tmp is not used', () => {
    requireRoot();
    // Group- and world-writable cache directory of our own.
    const open = trustedDir();
    mkdirSync(join(open, '.cache', 'ssm-materialize'), { recursive: true });
    chmodSync(join(open, '.cache', 'ssm-materialize'), 0o777);
    expect(runBin(open).cacheLog).toEqual([]);
    expect(filesUnder(join(open, '.cache', 'ssm-materialize'))).toEqual([]);

    // The cache directory is a symlink to a directory someone else may write.
    const linked = trustedDir();
    const elsewhere = mkdtempSync(join(tmpdir(), 'ssm-mat-cc-elsewhere-'));
    made.push(elsewhere);
    mkdirSync(join(linked, '.cache'), { mode: 0o700 });
    symlinkSync(elsewhere, join(linked, '.cache', 'ssm-materialize'));
    expect(runBin(linked).cacheLog).toEqual([]);
    expect(filesUnder(elsewhere)).toEqual([]);

    // HOME under /tmp (mode 1777): anyone could have made or swapped a directory on the way.
    const underTmp = mkdtempSync(join(tmpdir(), 'ssm-mat-cc-home-'));
    made.push(underTmp);
    chmodSync(underTmp, 0o700);
    expect(runBin(underTmp).cacheLog).toEqual([]);
    expect(existsSync(join(underTmp, '.cache'))).toBe(false);
  });

  it('without HOME and XDG_CACHE_HOME there is no cache, and the bin runs all the same', () => {
    const r = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8', env: { PATH: process.env.PATH, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' } });
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('[compile cache]'))).toEqual([]);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
