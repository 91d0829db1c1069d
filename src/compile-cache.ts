/**
 * Where the npm bin may keep Node's compile cache (module.enableCompileCache):
 * a directory only the running user can write, or nowhere.
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
import { lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, sep } from 'node:path';

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
