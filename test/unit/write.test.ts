import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectTarget, writeAll, type WriteRequest } from '../../src/files/write.js';
import { checkTargetDirectory } from '../../src/files/targets.js';
import { ABANDONED_AFTER_MS, commit, discard, namespaceTag, removeStaleTempFiles, renewLeases, stage } from '../../src/files/staging.js';
import { OutputError } from '../../src/errors.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
const req = (path: string, content = 'A=1\n', mode = 0o600): WriteRequest => ({ path, content, mode, uid: undefined, gid: undefined });

async function write(r: WriteRequest): Promise<void> {
  await checkTargetDirectory(r.path);
  if ((await inspectTarget(r)).changed) await commit(await stage(r));
}

describe('atomic writer', () => {
  it('creates the file with the requested mode even under umask 000', async () => {
    const dir = tempDir();
    const old = process.umask(0);
    try {
      await write(req(join(dir, 'a.env')));
      await write(req(join(dir, 'b.json'), '{}\n', 0o640));
    } finally {
      process.umask(old);
    }
    expect(statSync(join(dir, 'a.env')).mode & 0o7777).toBe(0o600);
    expect(statSync(join(dir, 'b.json')).mode & 0o7777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(['a.env', 'b.json']);
  });

  it('does not rewrite an unchanged file (same inode, same mtime)', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.env');
    await write(req(path));
    const before = statSync(path);
    await new Promise((r) => setTimeout(r, 20));
    const inspection = await inspectTarget(req(path));
    expect(inspection).toMatchObject({ changed: false, reasons: [] });
    await write(req(path));
    const after = statSync(path);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('reports content and mode changes and fixes a widened mode', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.env');
    writeFileSync(path, 'A=0\n', { mode: 0o644 });
    chmodSync(path, 0o644);
    expect((await inspectTarget(req(path))).reasons).toEqual(['content', 'mode']);
    await write(req(path));
    expect(statSync(path).mode & 0o7777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('A=1\n');
  });

  it('replaces a symlink at the target instead of writing through it', async () => {
    const dir = tempDir();
    const elsewhere = join(tempDir(), 'victim');
    writeFileSync(elsewhere, 'untouched');
    symlinkSync(elsewhere, join(dir, 'a.env'));
    await write(req(join(dir, 'a.env'), 'SECRET=canary\n'));
    expect(readFileSync(elsewhere, 'utf8')).toBe('untouched');
    expect(lstatSync(join(dir, 'a.env')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(dir, 'a.env'), 'utf8')).toBe('SECRET=canary\n');
  });

  it('refuses a directory writable by group or others', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o777);
    await expect(checkTargetDirectory(join(dir, 'a.env'))).rejects.toThrow(/writable by others/);
    chmodSync(dir, 0o770);
    await expect(checkTargetDirectory(join(dir, 'a.env'))).rejects.toThrow(/writable by its group/);
    await expect(checkTargetDirectory(join(dir, 'missing', 'a.env'))).rejects.toBeInstanceOf(OutputError);
  });

  it('removes temp files of dead runs of its own namespace, keeps those of live ones', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.env');
    const dead = join(dir, `.a.env.ssm-materialize.${namespaceTag()}.999999999.abcdef.tmp`);
    const live = join(dir, `.a.env.ssm-materialize.${namespaceTag()}.${process.ppid}.abcdef.tmp`);
    writeFileSync(dead, 'x');
    writeFileSync(live, 'x');
    expect(await removeStaleTempFiles(path)).toEqual([dead]);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('a temp file from another pid namespace (its pid is no process here) survives while young, and is removed once abandoned', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.env');
    const otherNamespace = namespaceTag() === 'feedf00d' ? 'deadbeef' : 'feedf00d';
    const fromThere = join(dir, `.a.env.ssm-materialize.${otherNamespace}.999999999.abcdef.tmp`);
    const olderRelease = join(dir, '.a.env.ssm-materialize.999999998.abcdef.tmp');
    writeFileSync(fromThere, 'x');
    writeFileSync(olderRelease, 'x');
    expect(await removeStaleTempFiles(path)).toEqual([]);
    expect(existsSync(fromThere)).toBe(true);
    // ctime cannot be set back, so the clock moves on instead: not renewed for longer than the bound.
    const later = statSync(fromThere).ctimeMs + ABANDONED_AFTER_MS + 1_000;
    expect((await removeStaleTempFiles(path, later)).sort()).toEqual([olderRelease, fromThere].sort());
    expect(readdirSync(dir)).toEqual([]);
  });

  it('renewing a lease moves the ctime of every temp file in flight, and nothing else', async () => {
    const dir = tempDir();
    const staged = await stage(req(join(dir, 'a.env'), 'A=1\n', 0o640));
    try {
      const before = statSync(staged.tempPath);
      let after = before;
      // ctime has a clock tick's resolution: renew until it moves.
      for (let i = 0; i < 200 && after.ctimeMs === before.ctimeMs; i++) {
        await new Promise((r) => setTimeout(r, 5));
        await renewLeases();
        after = statSync(staged.tempPath);
      }
      expect(after.ctimeMs).toBeGreaterThan(before.ctimeMs);
      expect([after.mode, after.mtimeMs, after.size]).toEqual([before.mode, before.mtimeMs, before.size]);
    } finally {
      await discard(staged);
    }
  });
});

describe('writeAll: one transaction over every output', () => {
  it('writes changed outputs, leaves unchanged ones alone, and says which changed and why', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'same.env'), 'A=1\n', { mode: 0o600 });
    const sameInode = statSync(join(dir, 'same.env')).ino;
    const outcomes = await writeAll([{ request: req(join(dir, 'same.env')) }, { request: req(join(dir, 'new.env'), 'B=2\n') }]);
    expect(outcomes.map((o) => [o.changed, o.reasons])).toEqual([
      [false, []],
      [true, ['new']],
    ]);
    expect(statSync(join(dir, 'same.env')).ino).toBe(sameInode);
    expect(readFileSync(join(dir, 'new.env'), 'utf8')).toBe('B=2\n');
  });

  it('a failing verify of the last output leaves every output as it was and no temp file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.env'), 'OLD=1\n', { mode: 0o600 });
    const seen: string[] = [];
    const err = await writeAll([
      { request: req(join(dir, 'a.env'), 'A=new\n'), verify: async (temp) => void seen.push(readFileSync(temp, 'utf8')) },
      { request: req(join(dir, 'b.env')), verify: async () => Promise.reject(new OutputError(join(dir, 'b.env'), 'verify failed')) },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputError);
    expect(seen).toEqual(['A=new\n']);
    expect(readdirSync(dir)).toEqual(['a.env']);
    expect(readFileSync(join(dir, 'a.env'), 'utf8')).toBe('OLD=1\n');
  });

  it('handles SIGINT/SIGTERM/SIGHUP only while it runs (so exec can forward signals afterwards)', async () => {
    const dir = tempDir();
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const count = () => signals.map((s) => process.listenerCount(s));
    const before = count();
    let during: number[] = [];
    await writeAll([{ request: req(join(dir, 'a.env')), verify: async () => void (during = count()) }]);
    expect(during).toEqual(before.map((n) => n + 1));
    expect(count()).toEqual(before);
    await writeAll([{ request: req(join(dir, 'b.env')), verify: async () => Promise.reject(new Error('x')) }]).catch(() => undefined);
    expect(count()).toEqual(before);
  });
});
