/**
 * Crash safety when the file system says no: "a failed run leaves every
 * output untouched".
 *
 * - A commit that fails after earlier renames succeeded: those outputs are
 *   put back, old-and-complete with their old inodes.
 * - ENOSPC, EROFS, EACCES: a clean error, exit 6, the old file intact, no temp.
 *
 * (SIGKILL: crash-kill.test.ts; SIGTERM / SIGINT: crash.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  cli,
  cliEnv,
  expectCleanError,
  mountTmpfs,
  unmountIfMounted,
  requireRoot,
  rmScratch,
  rootOnly,
  scratchDir,
  tempFiles,
  writeManifest,
  type Emulator,
} from './harness.js';
import { recordFigure } from './figures.js';
import { OUTPUTS, checkOutput, crashEmulator, manifestBody, referenceRuns } from './crash-outputs.js';

let emulator: Emulator;
let root: string;

beforeAll(async () => {
  emulator = await crashEmulator();
  root = scratchDir('crash-fs');
  // The reference renderings `checkOutput` compares against; the rollback test starts from the first (generation a).
  await referenceRuns([join(root, 'rollback'), join(root, 'reference-b')], cliEnv(emulator.url));
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  // Never delete through a mount left behind by a failed test: detach it first.
  for (const d of ['enospc', 'erofs']) if (root) unmountIfMounted(join(root, d));
  rmScratch(root);
});

describe('a commit that fails midway', () => {
  it('rolls back the outputs already renamed: exit 6, every earlier output old-and-complete with its old inode, no temp or backup left', async () => {
    const dir = join(root, 'rollback');
    const env = cliEnv(emulator.url);
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
