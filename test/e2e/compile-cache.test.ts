/**
 * The npm bin keeps its V8 code cache only in a directory the running user
 * alone can write (src/startup/compile-cache.ts), and uses a cache only with the
 * bundle file it was made for (src/startup/launch.ts). Seen from outside: what the
 * real bin, run by the real Node, creates on disk, and what it reports
 * reading and writing (NODE_DEBUG=ssm-materialize-cache).
 * Runs as root, as a deploy hook does; another user's directories are made
 * with chown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI } from '../helpers/cli.js';
import { requireRoot } from '../reliability/harness.js';
import { codeCacheFile } from '../../src/startup/compile-cache.js';
import { SDK_PART } from '../../src/startup/parts.js';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { DEMO_CREDENTIAL, startEmulator } from '../helpers/emulator.js';
import { runCommand } from '../helpers/spawn.js';

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

const MANIFEST = 'version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values:\n      A: /app/a\n';
const cacheLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('SSM-MATERIALIZE-CACHE '));

/** `validate` through the bin `cli` with HOME `home`: its output, and what it says of its cache. */
function runBin(home: string, extra: Record<string, string> = {}, cli = CLI) {
  const cwd = mkdtempSync(join(tmpdir(), 'ssm-mat-cc-cwd-'));
  made.push(cwd);
  writeFileSync(join(cwd, 'm.yaml'), MANIFEST);
  const r = spawnSync(process.execPath, [cli, 'validate', '-m', 'm.yaml'], {
    encoding: 'utf8',
    cwd,
    env: { PATH: process.env.PATH, HOME: home, NODE_DEBUG: 'ssm-materialize-cache', ...extra },
  });
  expect(r.status).toBe(0);
  return { stdout: r.stdout, cacheLog: cacheLines(r.stderr) };
}

/** Every file under `dir`, relative. */
function filesUnder(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }) : [];
}

describe('the code cache of the npm bin', () => {
  it('lives in HOME/.cache/ssm-materialize, mode 0700, owned by the user, files 0600; the next run uses what the first wrote', () => {
    requireRoot();
    const home = trustedDir();
    runBin(home);
    const dir = join(home, '.cache', 'ssm-materialize');
    const st = statSync(dir);
    expect([st.uid, st.mode & 0o777]).toEqual([process.geteuid!(), 0o700]);
    const files = filesUnder(dir);
    expect(files).toHaveLength(1);
    const file = join(dir, files[0]!);
    expect([statSync(file).uid, statSync(file).mode & 0o777]).toEqual([process.geteuid!(), 0o600]);
    const second = runBin(home);
    expect(second.cacheLog).toEqual([expect.stringContaining(`using ${file}`)]);
    expect(filesUnder(dir)).toEqual(files);
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
    const r = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8', env: { PATH: process.env.PATH, NODE_DEBUG: 'ssm-materialize-cache' } });
    expect(r.status).toBe(0);
    expect(cacheLines(r.stderr)).toEqual([]);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const cwd = trustedDir();
    writeFileSync(join(cwd, 'm.yaml'), MANIFEST);
    const validate = spawnSync(process.execPath, [CLI, 'validate', '-m', 'm.yaml'], {
      encoding: 'utf8',
      cwd,
      env: { PATH: process.env.PATH, NODE_DEBUG: 'ssm-materialize-cache' },
    });
    expect([validate.status, cacheLines(validate.stderr)]).toEqual([0, []]);
  });

  it('a changed bundle never runs an old cache, even at the same length (V8 itself checks only the length)', () => {
    requireRoot();
    const home = trustedDir();
    // A copy of dist/ whose bundle can be changed.
    const dist = trustedDir();
    for (const f of readdirSync(dirname(CLI), { withFileTypes: true })) if (f.isFile()) copyFileSync(join(dirname(CLI), f.name), join(dist, f.name));
    const bin = join(dist, 'ssm-materialize.cjs');
    const bundle = join(dist, 'ssm-materialize.bundle.cjs');
    expect(runBin(home, {}, bin).stdout).toContain(': valid (');
    expect(runBin(home, {}, bin).cacheLog).toEqual([expect.stringContaining('using ')]);
    const source = readFileSync(bundle, 'utf8');
    const changed = source.replace('valid (${', 'VALID (${');
    expect(changed).not.toBe(source);
    expect(changed.length).toBe(source.length);
    writeFileSync(bundle, changed);
    const after = runBin(home, {}, bin);
    expect(after.stdout).toContain(': VALID (');
    expect(after.cacheLog[0]).toContain('no usable ');
    expect(runBin(home, {}, bin).cacheLog).toEqual([expect.stringContaining('using ')]);
  });

  it('a cache file is named by a command word only: any other first argument stays out of the name, and the file stays in the directory', () => {
    const dir = '/cache/dir';
    expect(codeCacheFile(dir, '/a/bundle.cjs', ['validate', '-m', 'x'])).toMatch(/^\/cache\/dir\/[0-9a-f]{8}-v[\d.]+-[0-9a-f]+-validate\.v8cache$/);
    for (const first of ['../../etc/passwd', '--help', '-m', 'A/b', '', 'x'.repeat(40)]) {
      const file = codeCacheFile(dir, '/a/bundle.cjs', first ? [first] : []);
      expect(dirname(file)).toBe(dir);
      expect(file.endsWith('-default.v8cache')).toBe(true);
    }
    // Two installs of the tool keep caches of their own.
    expect(codeCacheFile(dir, '/a/bundle.cjs', ['write'])).not.toBe(codeCacheFile(dir, '/b/bundle.cjs', ['write']));
  });

  it('a run that fails writes no cache', () => {
    requireRoot();
    const home = trustedDir();
    const cwd = trustedDir();
    const r = spawnSync(process.execPath, [CLI, 'validate', '-m', 'missing.yaml'], { encoding: 'utf8', cwd, env: { PATH: process.env.PATH, HOME: home } });
    expect(r.status).not.toBe(0);
    expect(filesUnder(join(home, '.cache', 'ssm-materialize'))).toEqual([]);
  });
});

describe('the AWS SDK, a file of its own beside the bundle (src/startup/parts.ts)', () => {
  it('validate never loads it; write compiles it through a cache of its own, made by the first write and used by the next', async () => {
    requireRoot();
    const emulator = await startEmulator({ port: 0, seed: { credentials: [DEMO_CREDENTIAL], parameters: [{ name: '/app/a', type: 'String', value: 'one' }] } });
    try {
      const home = trustedDir();
      const cwd = trustedDir();
      writeFileSync(join(cwd, 'm.yaml'), MANIFEST);
      const env = isolatedAwsEnv({ HOME: home, NODE_DEBUG: 'ssm-materialize-cache', AWS_ENDPOINT_URL_SSM: emulator.url });
      // Spawned without blocking: the emulator answers from this process.
      const run = async (command: string) => {
        const r = await runCommand(process.execPath, [CLI, command, '-m', 'm.yaml'], { cwd, env });
        expect(r.code, r.stderr).toBe(0);
        return cacheLines(r.stderr);
      };
      const dir = join(home, '.cache', 'ssm-materialize');
      // A cache file's name: the file's own hash first, the command last (the V8 tag between is the bin's, under its flags).
      const cacheOf = (file: string, command: string) => {
        const [hash] = codeCacheFile(dir, join(dirname(CLI), file), [command])
          .slice(dir.length + 1)
          .split('-');
        return new RegExp(`^${dir}/${hash}-v[\\d.]+-[0-9a-f]+-${command}\\.v8cache$`);
      };
      const said = (lines: string[], verb: 'using' | 'no usable') =>
        lines.map((l) => new RegExp(`: ${verb} (\\S+?);?( |$)`).exec(l)?.[1]).filter((f): f is string => f !== undefined);
      // validate: the bundle's cache only, made and then used; nothing of the SDK.
      expect((await run('validate')).join('\n')).not.toContain(SDK_PART);
      const again = await run('validate');
      expect(said(again, 'using')).toEqual([expect.stringMatching(cacheOf('ssm-materialize.bundle.cjs', 'validate'))]);
      expect(again.join('\n')).not.toContain(SDK_PART);
      // write: both, each made by the first write and used by the second.
      const first = await run('write');
      const made = [expect.stringMatching(cacheOf('ssm-materialize.bundle.cjs', 'write')), expect.stringMatching(cacheOf(SDK_PART, 'write'))];
      expect(said(first, 'no usable')).toEqual(made);
      expect(readFileSync(join(cwd, 'app.env'), 'utf8')).toContain("\nA='one'\n");
      expect(said(await run('write'), 'using')).toEqual(made);
      expect(filesUnder(dir)).toHaveLength(3);
    } finally {
      await emulator.close();
    }
  });
});
