/**
 * File-system attacks on the writer: "never briefly readable by others", and
 * the secret lands at the intended path and nowhere else.
 *
 * - a target directory others (or the group) can write to is refused, before any API call;
 * - a symlink or hard link planted at the target is replaced, never written through;
 *   a FIFO or directory there is refused without hanging;
 * - a symlink or file planted at the temp name is never opened (O_EXCL|O_NOFOLLOW);
 * - the temp file is created 0600, chowned and chmodded before its content is
 *   written and before the rename (traced with strace on the real binary, and
 *   observed by a verify hook that stats the temp file);
 * - umask 000 does not widen the mode, umask 077 does not narrow it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as nodeFs from 'node:fs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { OutputError } from '../../src/errors.js';
import { stage, commit, discard, namespaceTag, type WriteRequest } from '../../src/files/staging.js';
import { runCliInProcess } from '../helpers/main.js';
import {
  cli,
  cliEnv,
  emulatorWith,
  expectCleanError,
  requireRoot,
  rmScratch,
  rootOnly,
  scratchDir,
  tempFiles,
  writeManifest,
  CLI_PATH,
  type Emulator,
  type SpawnOptions,
} from './harness.js';
import { recordFigure } from './figures.js';

/** Lets a test choose the "random" part of the temp name, to plant something there first. */
const forced = vi.hoisted(() => ({ bytes: undefined as Buffer | undefined }));
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, randomBytes: (n: number) => forced.bytes ?? original.randomBytes(n) };
});

const SECRET = 'CANARY-fs-secret-value';
let emulator: Emulator;
let root: string;
let attacks = 0;

beforeAll(async () => {
  emulator = await emulatorWith({ '/fs/secret': SECRET, '/fs/other': 'CANARY-fs-other' });
  root = scratchDir('fs');
});
afterAll(async () => {
  await emulator?.close();
  rmScratch(root);
  recordFigure('fs-attacks', 'attacks tried', attacks);
});

let n = 0;
/** A fresh area per test: `<area>/out` is the output directory; victims go next to it, in `<area>`. */
function outputDir(mode = 0o700): string {
  const area = join(root, `t${n++}`);
  mkdirSync(area);
  const dir = join(area, 'out');
  mkdirSync(dir);
  chmodSync(dir, mode);
  return dir;
}
const areaOf = (dir: string) => dirname(dir);
function manifest(dir: string, extra = '', file = 'app.env'): string {
  return writeManifest(
    join(root, `m${n++}`),
    'materialize.yaml',
    `version: 1\noutputs:\n  - path: ${join(dir, file)}\n    format: dotenv\n${extra}    values:\n      SECRET: /fs/secret\n`,
  );
}
/** `write` through main(argv, io), in this process. */
const write = (m: string) => runCliInProcess(['write', '-m', m], cliEnv(emulator.url));
/** `write` as a child process of the built binary: under a umask of its own, or where a bug would hang the process (a FIFO). */
const writeSpawned = (m: string, options: SpawnOptions = {}) => cli(['write', '-m', m], cliEnv(emulator.url), options);

/** Every regular file under `dir` that holds the secret (the output must be the only one). */
function filesHoldingSecret(dir: string): string[] {
  const r = spawnSync('grep', ['-rl', '--no-messages', SECRET, dir], { encoding: 'utf8' });
  expect(r.status === 0 || r.status === 1, r.stderr).toBe(true); // 1: no match
  return r.stdout.trim() ? r.stdout.trim().split('\n').sort() : [];
}

describe('unsafe target directories', () => {
  for (const [label, mode] of [
    ['others', 0o777],
    ['its group', 0o775],
    ['others, sticky like /tmp', 0o1777],
    ['others (write only)', 0o702],
  ] as const) {
    it(`refuses a directory writable by ${label} (mode ${mode.toString(8)}) with exit 6, before any API call`, async () => {
      attacks++;
      const dir = outputDir(mode);
      emulator.resetCounters();
      const r = await write(manifest(dir));
      expectCleanError(r, 6, dir, 'writable by', 'hint: chmod go-w');
      expect(emulator.counters().requests).toBe(0);
      expect(readdirSync(dir)).toEqual([]);
    });
  }
});

describe('unsafe ancestors', () => {
  /** area/<ancestor (mode)>/out: the output directory itself is private. */
  function below(mode: number): { ancestor: string; dir: string } {
    const area = dirname(outputDir());
    const ancestor = join(area, 'ancestor');
    mkdirSync(join(ancestor, 'out'), { recursive: true });
    chmodSync(join(ancestor, 'out'), 0o700);
    chmodSync(ancestor, mode);
    return { ancestor, dir: join(ancestor, 'out') };
  }

  it('refuses a private directory below one that others can write to (they could swap it for a symlink)', async () => {
    attacks++;
    const { ancestor, dir } = below(0o777);
    emulator.resetCounters();
    expectCleanError(await write(manifest(dir)), 6, ancestor, 'writable by others', 'sticky', 'hint: chmod go-w');
    expect(emulator.counters().requests).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a private directory below a group-writable one', async () => {
    attacks++;
    const { ancestor, dir } = below(0o770);
    expectCleanError(await write(manifest(dir)), 6, ancestor, 'writable by its group');
  });

  it('accepts a private directory below a sticky world-writable one, as in /tmp', async () => {
    attacks++;
    const { dir } = below(0o1777);
    const r = await write(manifest(dir));
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'app.env'), 'utf8')).toContain(SECRET);
  });

  it('checks the real path too: a release symlink into a directory others can write to is refused', async () => {
    attacks++;
    const area = dirname(outputDir());
    const release = join(area, 'releases', '42', 'config');
    mkdirSync(release, { recursive: true });
    chmodSync(release, 0o700);
    symlinkSync(join(area, 'releases', '42'), join(area, 'current'));
    const viaLink = join(area, 'current', 'config');
    const r = await write(manifest(viaLink));
    expect(r.code, r.stderr).toBe(0);
    chmodSync(join(area, 'releases'), 0o777);
    expectCleanError(await write(manifest(viaLink)), 6, join(area, 'releases'), 'writable by others');
  });
});

describe('things planted at the target path', () => {
  it('a symlink to another file: the link is replaced by the output, the other file keeps its content', async () => {
    attacks++;
    const dir = outputDir();
    const victim = join(areaOf(dir), 'victim-file');
    writeFileSync(victim, 'original victim content\n', { mode: 0o644 });
    symlinkSync(victim, join(dir, 'app.env'));
    const r = await write(manifest(dir));
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('original victim content\n');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    const st = lstatSync(join(dir, 'app.env'));
    expect(st.isFile() && !st.isSymbolicLink()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(filesHoldingSecret(areaOf(dir))).toEqual([join(dir, 'app.env')]);
  });

  it('a dangling symlink: nothing is created at its destination', async () => {
    attacks++;
    const dir = outputDir();
    const destination = join(areaOf(dir), 'would-be-created');
    symlinkSync(destination, join(dir, 'app.env'));
    expect((await write(manifest(dir))).code).toBe(0);
    expect(existsSync(destination)).toBe(false);
    expect(lstatSync(join(dir, 'app.env')).isFile()).toBe(true);
    expect(filesHoldingSecret(areaOf(dir))).toEqual([join(dir, 'app.env')]);
  });

  it('a symlink to a directory: the secret does not land inside it', async () => {
    attacks++;
    const dir = outputDir();
    const elsewhere = join(areaOf(dir), 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(dir, 'app.env'));
    expect((await write(manifest(dir))).code).toBe(0);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(filesHoldingSecret(areaOf(dir))).toEqual([join(dir, 'app.env')]);
  });

  it('a hard link to another file: the other name keeps the old content', async () => {
    attacks++;
    const dir = outputDir();
    const victim = join(areaOf(dir), 'hardlink-victim');
    writeFileSync(victim, 'OLD=1\n', { mode: 0o600 });
    linkSync(victim, join(dir, 'app.env'));
    expect((await write(manifest(dir))).code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('OLD=1\n');
    expect(statSync(join(dir, 'app.env')).nlink).toBe(1);
    expect(filesHoldingSecret(areaOf(dir))).toEqual([join(dir, 'app.env')]);
  });

  it('a FIFO: refused with exit 6 at once, never opened for writing (no hang)', async () => {
    attacks++;
    const dir = outputDir();
    execFileSync('mkfifo', [join(dir, 'app.env')]);
    // A hang (opening the FIFO for writing blocks forever) would fail on the test's timeout.
    const r = await writeSpawned(manifest(dir));
    expectCleanError(r, 6, 'not a regular file');
    expect(tempFiles(dir)).toEqual([]);
  });

  it('a directory: refused with exit 6, left as it was', async () => {
    attacks++;
    const dir = outputDir();
    mkdirSync(join(dir, 'app.env'));
    const r = await write(manifest(dir));
    expectCleanError(r, 6, 'not a regular file');
    expect(readdirSync(join(dir, 'app.env'))).toEqual([]);
    expect(tempFiles(dir)).toEqual([]);
  });
});

describe('things planted at the temp name', () => {
  const request = (dir: string): WriteRequest => ({ path: join(dir, 'app.env'), content: `SECRET=${SECRET}\n`, mode: 0o600, uid: undefined, gid: undefined });
  const tempNameFor = (dir: string, bytes: Buffer) => join(dir, `.app.env.ssm-materialize.${namespaceTag()}.${process.pid}.${bytes.toString('hex')}.tmp`);

  it('temp names carry 48 random bits: 500 stages never repeat a name', async () => {
    attacks++;
    const dir = outputDir();
    const names = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const staged = await stage(request(dir));
      expect(staged.tempPath).toMatch(/\/\.app\.env\.ssm-materialize\.[0-9a-f]{8}\.\d+\.[0-9a-f]{12}\.tmp$/);
      names.add(staged.tempPath);
      await discard(staged);
    }
    expect(names.size).toBe(500);
  });

  for (const kind of ['symlink to a file', 'dangling symlink', 'regular file'] as const) {
    it(`a ${kind} at the exact temp name is never opened: stage fails (EEXIST), nothing is written through it`, async () => {
      attacks++;
      const dir = outputDir();
      const victim = join(areaOf(dir), 'temp-victim');
      if (kind === 'symlink to a file') writeFileSync(victim, 'victim\n');
      forced.bytes = Buffer.from('0123456789ab', 'hex');
      const planted = tempNameFor(dir, forced.bytes);
      if (kind === 'regular file') writeFileSync(planted, 'planted\n', { mode: 0o644 });
      else symlinkSync(victim, planted);
      try {
        const err = await stage(request(dir)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OutputError);
        expect((err as OutputError).exitCode).toBe(6);
        expect((err as OutputError).message).toMatch(/EEXIST/);
        expect((err as OutputError).hint).toMatch(/planted/);
      } finally {
        forced.bytes = undefined;
      }
      if (kind === 'symlink to a file') expect(readFileSync(victim, 'utf8')).toBe('victim\n');
      if (kind === 'dangling symlink') expect(existsSync(victim)).toBe(false);
      if (kind === 'regular file') expect(readFileSync(planted, 'utf8')).toBe('planted\n');
      expect(lstatSync(planted).isSymbolicLink()).toBe(kind !== 'regular file'); // left as found: it is not ours to delete
      expect(filesHoldingSecret(areaOf(dir))).toEqual([]);
      expect(existsSync(join(dir, 'app.env'))).toBe(false);
    });
  }
});

describe('mode and owner are final before the file is visible', () => {
  it('in process, under umask 000: the staged temp file already has the final mode and owner, and nothing is visible until commit', async () => {
    attacks++;
    const dir = outputDir();
    const umask = process.umask(0);
    try {
      const uid = process.getuid!();
      const gid = process.getgid!();
      const staged = await stage({ path: join(dir, 'app.env'), content: `SECRET=${SECRET}\n`, mode: 0o640, uid, gid });
      const st = statSync(staged.tempPath);
      expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o640, uid, gid]);
      expect(existsSync(join(dir, 'app.env'))).toBe(false);
      await commit(staged);
      const final = statSync(join(dir, 'app.env'));
      expect([final.mode & 0o7777, final.ino]).toEqual([0o640, st.ino]);
      expect(tempFiles(dir)).toEqual([]);
    } finally {
      process.umask(umask);
    }
  });

  const hasStrace = spawnSync('sh', ['-c', 'command -v strace'], { stdio: 'ignore' }).status === 0;
  it.skipIf(rootOnly || (!hasStrace && !process.env.CI))(
    'the real binary, traced: temp created 0600 with O_EXCL|O_NOFOLLOW, fchown + fchmod before the first write, rename last',
    async () => {
      requireRoot();
      attacks++;
      const dir = outputDir();
      const m = manifest(dir, '    mode: "0640"\n    owner: "65534"\n    group: "65534"\n');
      const trace = join(root, `strace-${n++}.txt`);
      // Asynchronously: the emulator answers from this very process.
      const r = await run(
        'strace',
        [
          '-f',
          '-qq',
          '-e',
          'trace=openat,fchown,fchmod,write,pwrite64,fsync,fdatasync,rename,renameat,renameat2',
          '-o',
          trace,
          process.execPath,
          CLI_PATH,
          'write',
          '-m',
          m,
        ],
        cliEnv(emulator.url),
      );
      expect(r.code, r.stderr).toBe(0);
      const lines = readFileSync(trace, 'utf8').split('\n');
      const openLine = lines.findIndex((l) => /openat\(.*\.app\.env\.ssm-materialize\.[0-9a-f]{8}\.\d+\.[0-9a-f]+\.tmp"/.test(l));
      expect(openLine, 'temp file open not traced').toBeGreaterThanOrEqual(0);
      const open = lines[openLine]!;
      expect(open).toMatch(/O_CREAT/);
      expect(open).toMatch(/O_EXCL/);
      expect(open).toMatch(/O_NOFOLLOW/);
      expect(open).toMatch(/, 0600\)\s+= \d+$/);
      const fd = /= (\d+)$/.exec(open)![1];
      const after = lines.slice(openLine + 1);
      const idx = (re: RegExp) => after.findIndex((l) => re.test(l));
      const chown = idx(new RegExp(`fchown\\(${fd}, 65534, 65534\\)\\s+= 0`));
      const chmod = idx(new RegExp(`fchmod\\(${fd}, 0640\\)\\s+= 0`));
      const firstWrite = idx(new RegExp(`p?write(64)?\\(${fd}, `));
      const sync = idx(new RegExp(`f(data)?sync\\(${fd}\\)`));
      const rename = idx(/rename(at2?)?\(.*\.tmp", .*app\.env"/);
      expect(
        [chown, chmod, firstWrite, sync, rename].every((i) => i >= 0),
        `trace:\n${lines.join('\n')}`,
      ).toBe(true);
      expect(chown).toBeLessThan(chmod);
      expect(chmod).toBeLessThan(firstWrite);
      expect(firstWrite).toBeLessThan(sync);
      expect(sync).toBeLessThan(rename);
      const st = statSync(join(dir, 'app.env'));
      expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([65534, 65534, 0o640]);
    },
  );

  it.skipIf(rootOnly)('owner and group by name and id are on the temp file when verify sees it, and on the final file', async () => {
    requireRoot();
    attacks++;
    for (const [owner, group] of [
      ['65534', '65534'],
      ['nobody', 'nogroup'],
    ]) {
      const dir = outputDir();
      const log = join(root, `verify-${n++}.log`);
      const m = manifest(dir, `    mode: "0640"\n    owner: "${owner}"\n    group: "${group}"\n    verify: 'stat -c "%u:%g:%a" "$1" > ${log}'\n`);
      const r = await write(m);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(log, 'utf8').trim()).toBe('65534:65534:640');
      const st = statSync(join(dir, 'app.env'));
      expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([65534, 65534, 0o640]);
    }
  });

  for (const [umask, mode] of [
    ['000', '0600'],
    ['000', '0640'],
    ['077', '0644'],
    ['022', '0400'],
  ] as const) {
    it(`umask ${umask} with mode ${mode}: temp and final file are exactly ${mode}`, async () => {
      attacks++;
      const dir = outputDir();
      const log = join(root, `umask-${n++}.log`);
      // A world-readable mode needs the explicit opt-in for the SecureStrings this manifest reads.
      const optIn = Number.parseInt(mode, 8) & 0o004 ? '    world_readable_secrets: true\n' : '';
      const r = await writeSpawned(manifest(dir, `    mode: "${mode}"\n${optIn}    verify: 'stat -c "%a" "$1" > ${log}'\n`), { umask });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(log, 'utf8').trim()).toBe(String(Number.parseInt(mode, 8).toString(8)));
      expect(statSync(join(dir, 'app.env')).mode & 0o7777).toBe(Number.parseInt(mode, 8));
    });
  }

  it('an existing output with the right content but mode 0644 is rewritten 0600 (drift is repaired, not kept)', async () => {
    attacks++;
    const dir = outputDir();
    const m = manifest(dir);
    expect((await write(m)).code).toBe(0);
    chmodSync(join(dir, 'app.env'), 0o644);
    const r = await write(m);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote .*app\.env.*\[mode\]/);
    expect(statSync(join(dir, 'app.env')).mode & 0o7777).toBe(0o600);
  });

  it.skipIf(rootOnly)('an existing output with the right content but the wrong owner is replaced with the right owner', async () => {
    requireRoot();
    attacks++;
    const dir = outputDir();
    const m = manifest(dir, '    owner: "65534"\n    group: "65534"\n');
    expect((await write(m)).code).toBe(0);
    nodeFs.chownSync(join(dir, 'app.env'), 0, 0);
    const r = await write(m);
    expect(r.stdout).toMatch(/\[owner\]/);
    const st = statSync(join(dir, 'app.env'));
    expect([st.uid, st.gid]).toEqual([65534, 65534]);
  });
});

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
