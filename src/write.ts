/**
 * The atomic, permission-restricted writer, in two phases so that a failed
 * run leaves every output untouched:
 *
 *   stage   temp file in the target's directory, created O_EXCL|O_NOFOLLOW
 *           with the final mode, owner/group set, content written, fsynced,
 *           then `verify` run against it;
 *   commit  rename over the target, fsync the directory.
 *
 * Only when every output has staged does any of them commit.
 *
 * Why not write-file-atomic: it cannot split stage from commit, its temp name
 * is predictable and opened without O_EXCL/O_NOFOLLOW, it follows a symlink
 * at the destination, copies the old owner and mode unless told otherwise and
 * does not fsync the directory (style.md). Those are exactly the promises
 * this tool exists to keep, so the ~100 lines are ours.
 */
import { close, constants, fchmod, fchown, fsync, linkSync, openSync, promises as fs, writeFile } from 'node:fs';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { OutputError } from './errors.js';

export interface WriteRequest {
  path: string;
  content: string;
  mode: number;
  /** Numeric ids, already resolved; undefined = leave as the process creates them. */
  uid: number | undefined;
  gid: number | undefined;
}

export type ChangeReason = 'new' | 'content' | 'mode' | 'owner';

export interface Inspection {
  changed: boolean;
  reasons: ChangeReason[];
  /** Current content, when the file exists and is readable (for plan diffs). */
  current: string | undefined;
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

const TEMP_MARK = '.ssm-materialize.';

/** The fd-based calls `stage` needs (there is no public way to wrap an fd in a FileHandle). */
const fdOps = {
  fchown: promisify(fchown),
  fchmod: promisify(fchmod),
  writeFile: promisify(writeFile) as (fd: number, data: string, encoding: BufferEncoding) => Promise<void>,
  fsync: promisify(fsync),
  close: promisify(close),
};

/** Temp files in flight, so a SIGTERM/SIGINT handler can remove them. */
export const tempFilesInFlight = new Set<string>();

/** Does the target differ from what we would write? */
export async function inspectTarget(req: WriteRequest): Promise<Inspection> {
  let handle: fs.FileHandle;
  try {
    // O_NOFOLLOW: a symlink at the target is never read through; it is
    // reported as changed and replaced by a regular file on commit.
    handle = await fs.open(req.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return { changed: true, reasons: ['new'], current: undefined };
    // Every error names the fix (found by test/reliability/crash.test.ts: this one had no hint).
    throw new OutputError(req.path, `cannot read the existing file (${code})`, {
      hint: hintForErrno(err, dirname(req.path)) ?? `check ${req.path} and its directory`,
      cause: err,
    });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new OutputError(req.path, 'exists and is not a regular file', { hint: 'remove it or choose another output path' });
    const current = await handle.readFile('utf8');
    const reasons: ChangeReason[] = [];
    if (current !== req.content) reasons.push('content');
    if ((st.mode & 0o7777) !== req.mode) reasons.push('mode');
    if ((req.uid !== undefined && st.uid !== req.uid) || (req.gid !== undefined && st.gid !== req.gid)) reasons.push('owner');
    return { changed: reasons.length > 0, reasons, current };
  } finally {
    await handle.close();
  }
}

/**
 * Refuse a directory that others could write to: they could plant or swap
 * files next to ours. Also create nothing: a missing directory is an error.
 */
export async function checkTargetDirectory(path: string): Promise<void> {
  const dir = dirname(path);
  let st;
  try {
    st = await fs.stat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new OutputError(path, code === 'ENOENT' ? `directory ${dir} does not exist` : `cannot access directory ${dir} (${code})`, {
      hint: code === 'ENOENT' ? `create it first (install -d -m 0750 ${dir})` : hintForErrno(err, dir),
      cause: err,
    });
  }
  if (!st.isDirectory()) throw new OutputError(path, `${dir} is not a directory`);
  if (st.mode & 0o022) {
    throw new OutputError(path, `directory ${dir} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); refusing to write secrets there`, {
      hint: `chmod go-w ${dir}, or write to a directory only its owner can write`,
    });
  }
  // An ancestor that others may write to (without the sticky bit that /tmp
  // has) lets them rename our directory away and put a symlink to a place of
  // their choosing in its stead, between this check and the rename: the
  // secret would land elsewhere. Check every ancestor of the path as given
  // and of its real path (release symlinks such as /var/www/current).
  // Found by test/reliability/fs-attacks.test.ts.
  const unsafe = await unsafeAncestor(dir);
  if (unsafe) {
    throw new OutputError(path, `${unsafe.dir}, an ancestor of ${dir}, is writable by ${unsafe.mode & 0o002 ? 'others' : 'its group'} (mode ${(unsafe.mode & 0o7777).toString(8).padStart(4, '0')}) without the sticky bit; refusing to write secrets below it`, {
      hint: `chmod go-w ${unsafe.dir} (or chmod +t, as for /tmp), or write to a directory whose ancestors only their owners can write`,
    });
  }
}

async function unsafeAncestor(dir: string): Promise<{ dir: string; mode: number } | undefined> {
  const seen = new Set<string>();
  for (const start of [dir, await fs.realpath(dir).catch(() => dir)]) {
    for (let d = dirname(start); !seen.has(d); d = dirname(d)) {
      seen.add(d);
      const st = await fs.stat(d).catch(() => undefined);
      if (st && st.mode & 0o022 && !(st.mode & 0o1000)) return { dir: d, mode: st.mode };
    }
  }
  return undefined;
}

/** Remove temp files left by an earlier run that was killed (its pid is gone). */
export async function removeStaleTempFiles(path: string): Promise<string[]> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}${TEMP_MARK}`;
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const pid = Number(entry.slice(prefix.length).split('.')[0]);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue; // a concurrent run's file
    try {
      await fs.unlink(join(dir, entry));
      removed.push(join(dir, entry));
    } catch {
      /* raced with its owner; fine */
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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
    // SIGINT/SIGTERM handler (bin.ts) runs on this thread and removes what
    // is registered. With an async open, the file could be created in the
    // thread pool after the handler had unlinked its name, and stay behind
    // (found by test/reliability/crash.test.ts, signals at random moments).
    tempFilesInFlight.add(tempPath);
    fd = openSync(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, req.mode & 0o600);
    created = true;
    if (req.uid !== undefined || req.gid !== undefined) await fdOps.fchown(fd, req.uid ?? -1, req.gid ?? -1);
    await fdOps.fchmod(fd, req.mode);
    await fdOps.writeFile(fd, req.content, 'utf8');
    await fdOps.fsync(fd);
    const open = fd;
    fd = undefined;
    await fdOps.close(open);
    return { request: req, tempPath };
  } catch (err) {
    if (fd !== undefined) await fdOps.close(fd).catch(() => undefined);
    // Remove the temp file only if we created it: when the exclusive open
    // failed (EEXIST/ELOOP), whatever sits at that name is someone else's,
    // and deleting it would hide the evidence of a plant (found by
    // test/reliability/fs-attacks.test.ts).
    if (created) await discard({ request: req, tempPath });
    else tempFilesInFlight.delete(tempPath);
    throw new OutputError(req.path, `cannot write ${describeErrno(err)}`, { hint: hintForErrno(err, dirname(req.path)), cause: err });
  }
}

/** Our temp (and backup) file names: unpredictable, and recognisable by removeStaleTempFiles. */
function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}${TEMP_MARK}${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Phase two: make it visible, durably. */
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
    throw new OutputError(staged.request.path, `cannot sync the directory ${describeErrno(err)}`, { hint: hintForErrno(err, dirname(staged.request.path)), cause: err });
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

/**
 * An on_change hook that has not succeeded yet is remembered next to its
 * output, so the next run retries it even when the file no longer changes
 * (a retried deployment must not go green with a service on the old secret).
 * The marker holds no value; it is created 0600, exclusive and no-follow.
 */
export function pendingHookMarker(path: string): string {
  return join(dirname(path), `.${basename(path)}${TEMP_MARK}pending`);
}

export async function isHookPending(path: string): Promise<boolean> {
  const st = await fs.lstat(pendingHookMarker(path)).catch(() => undefined);
  return st?.isFile() ?? false;
}

/** Returns true when this call created the marker (false: it was already there). */
export async function markHookPending(path: string): Promise<boolean> {
  const marker = pendingHookMarker(path);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(marker, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (await isHookPending(path))) return false;
    throw new OutputError(path, `cannot record the pending on_change hook at ${marker} ${describeErrno(err)}`, { hint: hintForErrno(err, dirname(path)), cause: err });
  }
  try {
    await handle.writeFile(`on_change for ${basename(path)} has not succeeded yet; the next ssm-materialize run retries it\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

export async function clearHookPending(path: string): Promise<void> {
  await fs.unlink(pendingHookMarker(path)).catch(() => undefined);
}

function describeErrno(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `(${e.code}: ${e.syscall ?? 'io'})` : `(${String(err)})`;
}

function hintForErrno(err: unknown, dir: string): string | undefined {
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

/**
 * Resolve a user name or numeric id to a uid through the name service
 * (`getent passwd`), so that LDAP/SSSD users work; /etc/passwd only when
 * getent is not installed (minimal containers).
 */
export async function resolveUser(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  return resolveId(spec, 'passwd', 'user', env);
}

/** Resolve a group name or numeric id to a gid, like resolveUser (`getent group`, else /etc/group). */
export async function resolveGroup(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  return resolveId(spec, 'group', 'group', env);
}

async function resolveId(spec: string | undefined, database: 'passwd' | 'group', what: string, env: NodeJS.ProcessEnv): Promise<number | undefined> {
  if (spec === undefined) return undefined;
  if (/^\d+$/.test(spec)) return Number(spec);
  const answer = await getent(database, spec, env);
  let source = `getent ${database}`;
  let line: string | undefined;
  if (answer === 'no-getent') {
    source = `/etc/${database}`;
    const text = await fs.readFile(source, 'utf8').catch(() => '');
    line = text.split('\n').find((l) => l.split(':')[0] === spec);
  } else line = answer;
  const id = line?.split(':')[2];
  if (line?.split(':')[0] === spec && id !== undefined && /^\d+$/.test(id)) return Number(id);
  throw new OutputError(spec, `no such ${what} (looked up with ${source})`, { hint: `create the ${what}, or give a numeric id` });
}

/** The entry getent prints for `name`, undefined when there is none, 'no-getent' when getent is not installed. */
function getent(database: 'passwd' | 'group', name: string, env: NodeJS.ProcessEnv): Promise<string | undefined | 'no-getent'> {
  return new Promise((resolve) => {
    // No `--` before the name: not every getent (musl's) takes it, and the
    // manifest only accepts names that cannot start with `-`.
    execFile('getent', [database, name], { env, timeout: 10_000, encoding: 'utf8' }, (err, stdout) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return resolve('no-getent');
      // Exit 2 is "not found"; any other failure counts as not found too, and is reported as such.
      resolve(err ? undefined : stdout.split('\n')[0]);
    });
  });
}
