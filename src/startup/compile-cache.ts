/**
 * Where and how the npm bin (src/startup/launch.ts) keeps its V8 code cache of the
 * bundle: in a directory only the running user can write, or nowhere.
 *
 * Why the care: a compile cache is code. Node's default directory is a
 * shared one under the system temp dir, where any local user can plant an
 * entry before the tool first runs; a deploy hook run as root would then run
 * their code. So the cache lives under the user's own cache directory
 * (XDG_CACHE_HOME, else HOME/.cache), and only when every directory on its
 * real path belongs to root or to the running user and is writable by no
 * one else: nobody else can then swap a directory on the way between this
 * check and Node's use of it. A root run whose HOME is another user's (sudo
 * -E, say) therefore gets no cache, and starts as it would without one.
 * Anything unexpected means no cache, never a failed run.
 */
import { type BigIntStats, closeSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, sep } from 'node:path';
import { cachedDataVersionTag } from 'node:v8';

const CACHE_NAME = 'ssm-materialize';

/** Whether `dir` (a real path) and each directory above it belong to root or `uid` and no one else may write there. */
function trustedChain(dir: string, uid: number): boolean {
  for (let p = dir; ; p = dirname(p)) {
    const st = statSync(p);
    if (!st.isDirectory() || (st.uid !== 0 && st.uid !== uid) || (st.mode & 0o022) !== 0) return false;
    if (p === sep) return true;
  }
}

/** The user's cache base (XDG Base Directory rules), made if missing under a trusted parent; undefined when none is usable. */
function cacheBase(env: NodeJS.ProcessEnv, uid: number): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : env.HOME && isAbsolute(env.HOME) ? join(env.HOME, '.cache') : undefined;
  if (!base) return undefined;
  const parent = realpathSync(dirname(base));
  if (!trustedChain(parent, uid)) return undefined;
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const real = realpathSync(base);
  return trustedChain(real, uid) ? real : undefined;
}

/**
 * The compile cache directory for the running user, created with mode 0700,
 * or undefined: no HOME, an untrusted directory on the way, another owner,
 * a mode that lets anyone else in, or any error.
 */
export function privateCompileCacheDir(env: NodeJS.ProcessEnv, uid: number = process.geteuid?.() ?? -1): string | undefined {
  if (uid < 0) return undefined;
  try {
    const base = cacheBase(env, uid);
    if (!base) return undefined;
    const dir = join(base, CACHE_NAME);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
    }
    return usable(dir, uid) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The cache directory itself: a real directory (no symlink), the user's own, closed to everyone else. */
function usable(dir: string, uid: number): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/**
 * The cache file for a run of `bundle` with `argv`, in `dir`: one per
 * install (its path), Node and V8 flags (two Nodes running the same install
 * would otherwise replace each other's cache at every run), and command, so
 * that each is trained by the command that uses it; an upgrade of the tool
 * overwrites its predecessor's files rather than adding to them. Only a
 * word made of a fixed set of characters becomes part of the name.
 */
export function codeCacheFile(dir: string, bundle: string, argv: readonly string[]): string {
  const first = argv[0] ?? '';
  const command = /^[a-z][a-z-]{0,31}$/.test(first) ? first : 'default';
  return join(dir, `${fnv1a(bundle)}-${process.version}-${cachedDataVersionTag().toString(16)}-${command}.v8cache`);
}

/** 32-bit FNV-1a of a string's UTF-16 code units, in hex: a short fixed-length name for a path. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * What a cache must have been made with to be used: this Node, V8's tag for
 * its version, flags and CPU, and this very bundle file. V8 itself checks
 * only a source's length, so the bundle is named by its file's identity: a
 * rewritten or replaced file has a new inode or change time (the kernel
 * sets it, no one can set it back), hence a new stamp.
 */
export function codeCacheStamp(bundle: BigIntStats): string {
  return ['ssm-materialize-v8cache', process.version, process.arch, cachedDataVersionTag(), bundle.dev, bundle.ino, bundle.size, bundle.ctimeNs].join(' ');
}

/** The cache data in `file` when its stamp is `stamp`; undefined when there is none, or another's. */
export function readCodeCache(file: string, stamp: string): Buffer | undefined {
  try {
    const content = readFileSync(file);
    const end = content.indexOf(0x0a);
    return end > 0 && content.toString('latin1', 0, end) === stamp ? content.subarray(end + 1) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `stamp` and `data` to `file` (mode 0600) through a new file renamed over it: a concurrent run reads the old file or the new, never half of one. False when it could not. */
export function writeCodeCache(file: string, stamp: string, data: Buffer): boolean {
  const staged = `${file}.${process.pid}`;
  try {
    const fd = openSync(staged, 'wx', 0o600);
    try {
      writeFileSync(fd, `${stamp}\n`, 'latin1');
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(staged, file);
    return true;
  } catch {
    rmSync(staged, { force: true });
    return false;
  }
}
