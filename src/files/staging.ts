/**
 * The file-level steps of the writer's transaction (src/files/write.ts): stage a
 * temp file, keep the old target, commit by rename, roll back, and the
 * registry of temp files a signal handler must remove. Only write.ts uses
 * these steps in the product (targets.ts and hooks.ts share the errno
 * descriptions); the reliability tests attack them one by one.
 */
import { close, constants, fchmod, fchown, fsync, linkSync, openSync, promises as fs, readFileSync, readlinkSync, writeFile } from 'node:fs';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { OutputError } from '../errors.js';
import { tempSidecar, tempSidecarRest } from './sidecars.js';

export interface WriteRequest {
  path: string;
  /** Text is written as UTF-8; bytes exactly as they are. */
  content: string | Uint8Array;
  mode: number;
  /** Numeric ids, already resolved; undefined = leave as the process creates them. */
  uid: number | undefined;
  gid: number | undefined;
}

export interface StagedFile {
  request: WriteRequest;
  tempPath: string;
  /** Set by commit once the rename happened (even if the directory sync then failed). */
  renamed?: boolean;
}

/** The target as it was before commit, for putting it back if a later commit fails. */
export interface KeptTarget {
  path: string;
  /** A hard link to the old file under a temp name; undefined when there was none. */
  backup: string | undefined;
  /** false: there was no file, so rolling back means removing the new one. */
  existed: boolean;
}

/** The fd-based calls `stage` needs (there is no public way to wrap an fd in a FileHandle). */
const fdOps = {
  fchown: promisify(fchown),
  fchmod: promisify(fchmod),
  writeFile: promisify(writeFile) as (fd: number, data: Uint8Array) => Promise<void>,
  fsync: promisify(fsync),
  close: promisify(close),
};

/** Temp files in flight, so the writer's SIGINT/SIGTERM handler (write.ts) can remove them. */
export const tempFilesInFlight = new Set<string>();

/**
 * A temp file no run has renewed for this long is abandoned, whoever made it.
 * A run renews each of its temp files (their ctime) every LEASE_RENEWAL_MS
 * while it holds them, however long its verify hooks take, so only a dead
 * run's files grow this old. The margin covers clocks that differ between
 * hosts sharing a network file system.
 */
export const ABANDONED_AFTER_MS = 15 * 60_000;
export const LEASE_RENEWAL_MS = 60_000;

const UNKNOWN_NAMESPACE = '00000000';
let ownTag: string | undefined;

/**
 * Which kernel boot and pid namespace made a temp file: a pid only means
 * something there. Two containers sharing an output volume see each other's
 * files, but not each other's processes.
 */
export function namespaceTag(): string {
  if (ownTag === undefined) {
    try {
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      ownTag = createHash('sha256')
        .update(`${boot}\0${readlinkSync('/proc/self/ns/pid')}`)
        .digest('hex')
        .slice(0, 8);
    } catch {
      // Without /proc no pid can be judged: every temp file is judged by age.
      ownTag = UNKNOWN_NAMESPACE;
    }
  }
  return ownTag;
}

/**
 * Remove temp files left by runs that died: those of our own namespace whose
 * pid is gone, and any, from anywhere, not renewed for ABANDONED_AFTER_MS.
 * Another namespace's files are never judged by a pid (its pid may be free
 * here while its run is alive).
 */
export async function removeStaleTempFiles(path: string, now = Date.now()): Promise<string[]> {
  const dir = dirname(path);
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const rest = tempSidecarRest(path, entry);
    if (rest === undefined) continue;
    const file = join(dir, entry);
    const st = await fs.lstat(file).catch(() => undefined);
    if (!st || !isAbandoned(rest, st.ctimeMs, now)) continue;
    try {
      await fs.unlink(file);
      removed.push(file);
    } catch {
      /* raced with its owner; fine */
    }
  }
  return removed;
}

/** `rest` is `<namespace>.<pid>.<random>.tmp` (names from before namespaces were recorded, `<pid>.<random>.tmp`, are judged by age). */
function isAbandoned(rest: string, ctimeMs: number, now: number): boolean {
  if (now - ctimeMs > ABANDONED_AFTER_MS) return true;
  const m = /^([0-9a-f]{8})\.(\d+)\.[0-9a-f]+\.tmp$/.exec(rest);
  if (!m || m[1] !== namespaceTag() || m[1] === UNKNOWN_NAMESPACE) return false;
  return !isAlive(Number(m[2]));
}

function isAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Renew the lease of every temp file this process holds: a chmod to the mode
 * it already has moves only its ctime. Runs on a timer while a transaction is
 * open (write.ts).
 */
export async function renewLeases(): Promise<void> {
  await Promise.all(
    [...tempFilesInFlight].map(async (path) => {
      const st = await fs.lstat(path).catch(() => undefined);
      if (st?.isFile()) await fs.chmod(path, st.mode & 0o7777).catch(() => undefined);
    }),
  );
}

/** Phase one: a complete, synced temp file with final mode and owner. */
export async function stage(req: WriteRequest): Promise<StagedFile> {
  const tempPath = tempNameFor(req.path);
  let fd: number | undefined;
  let created = false;
  try {
    // O_EXCL + O_NOFOLLOW: never open something planted at the temp name.
    // Created 0600 at most, then set to the final mode with fchmod, which
    // the umask cannot widen or narrow.
    // Registered and created in one synchronous step, on purpose: the
    // SIGINT/SIGTERM handler (write.ts) runs on this thread and removes what
    // is registered. With an async open, the file could be created in the
    // thread pool after the handler had unlinked its name, and stay behind
    // (test/reliability/crash.test.ts sends signals at random moments).
    tempFilesInFlight.add(tempPath);
    fd = openSync(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, req.mode & 0o600);
    created = true;
    if (req.uid !== undefined || req.gid !== undefined) await fdOps.fchown(fd, req.uid ?? -1, req.gid ?? -1);
    await fdOps.fchmod(fd, req.mode);
    await fdOps.writeFile(fd, contentBytes(req));
    await fdOps.fsync(fd);
    const open = fd;
    fd = undefined;
    await fdOps.close(open);
    return { request: req, tempPath };
  } catch (err) {
    if (fd !== undefined) await fdOps.close(fd).catch(() => undefined);
    // Remove the temp file only if we created it: when the exclusive open
    // failed (EEXIST/ELOOP), whatever sits at that name is someone else's,
    // and deleting it would hide the evidence of a plant.
    if (created) await discard({ request: req, tempPath });
    else tempFilesInFlight.delete(tempPath);
    throw new OutputError(req.path, `cannot write ${describeErrno(err)}`, { hint: hintForErrno(err, dirname(req.path)), cause: err });
  }
}

/** Our temp (and backup) file names (sidecars.ts): unpredictable, and recognisable by removeStaleTempFiles. */
function tempNameFor(path: string): string {
  return tempSidecar(path, { namespace: namespaceTag(), pid: process.pid, random: randomBytes(6).toString('hex') });
}

/** Phase two: make it visible, durably. */
export function contentBytes(req: WriteRequest): Buffer {
  return typeof req.content === 'string' ? Buffer.from(req.content, 'utf8') : Buffer.from(req.content.buffer, req.content.byteOffset, req.content.byteLength);
}

export async function commit(staged: StagedFile): Promise<void> {
  try {
    await fs.rename(staged.tempPath, staged.request.path);
    staged.renamed = true;
    tempFilesInFlight.delete(staged.tempPath);
  } catch (err) {
    await discard(staged);
    throw new OutputError(staged.request.path, `cannot replace the file ${describeErrno(err)}`, {
      hint: hintForErrno(err, dirname(staged.request.path)) ?? `check what is at ${staged.request.path}: it must be a regular file or nothing`,
      cause: err,
    });
  }
  // The rename is only durable once the directory entry is on disk. A failure
  // here is an output error (exit 6), not a crash.
  try {
    const dir = await fs.open(dirname(staged.request.path), constants.O_RDONLY);
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (err) {
    throw new OutputError(staged.request.path, `cannot sync the directory ${describeErrno(err)}`, {
      hint: hintForErrno(err, dirname(staged.request.path)),
      cause: err,
    });
  }
}

/**
 * Before replacing a target, keep the old file reachable under a temp name
 * (a hard link: no copy, same inode), so that if a later output's commit
 * fails, `restore` can put it back and a failed run leaves every output as
 * it was. The backup is a temp-named file, so the signal handler and the
 * next run's stale-file cleanup remove it like any temp file.
 */
export async function keepOld(path: string): Promise<KeptTarget> {
  const backup = tempNameFor(path);
  try {
    // Synchronous for the same reason as the open in `stage`.
    tempFilesInFlight.add(backup);
    linkSync(path, backup);
    return { path, backup, existed: true };
  } catch (err) {
    tempFilesInFlight.delete(backup);
    // No file: rolling back removes the new one. Cannot link: no rollback for this output.
    return { path, backup: undefined, existed: (err as NodeJS.ErrnoException).code !== 'ENOENT' };
  }
}

/** Put the old file back (or remove a file that did not exist before). Best effort: rollback after a failure. */
export async function restore(kept: KeptTarget): Promise<void> {
  if (kept.backup) {
    await fs.rename(kept.backup, kept.path).catch(() => undefined);
    tempFilesInFlight.delete(kept.backup);
  } else if (!kept.existed) {
    await fs.unlink(kept.path).catch(() => undefined);
  }
}

/** The run succeeded: the backup is no longer needed. */
export async function dropBackup(kept: KeptTarget): Promise<void> {
  if (!kept.backup) return;
  await fs.unlink(kept.backup).catch(() => undefined);
  tempFilesInFlight.delete(kept.backup);
}

export async function discard(staged: StagedFile): Promise<void> {
  await fs.unlink(staged.tempPath).catch(() => undefined);
  tempFilesInFlight.delete(staged.tempPath);
}

export function describeErrno(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `(${e.code}: ${e.syscall ?? 'io'})` : `(${String(err)})`;
}

export function hintForErrno(err: unknown, dir: string): string | undefined {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EACCES':
    case 'EPERM':
      return `run as a user that may write ${dir} and set the owner (usually root in a deploy hook)`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `free space on the file system that holds ${dir}`;
    case 'EROFS':
      return `${dir} is on a read-only file system`;
    case 'EEXIST':
    case 'ELOOP':
      return `something was planted at the temp file name in ${dir}; check who else can write there`;
    default:
      return undefined;
  }
}
