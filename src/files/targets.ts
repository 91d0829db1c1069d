/**
 * The targets of a run, checked before any API call (fail fast and cheap):
 * each output's directory (it exists, and neither it nor an ancestor can be
 * written by others), and its owner and group as numeric ids, looked up
 * through the name service.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { ExitCode, OutputError, ToolError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { hintForErrno } from './staging.js';

/** The numeric owner and group of one output; undefined = as the process creates files. */
export interface TargetIds {
  uid: number | undefined;
  gid: number | undefined;
}

/**
 * Resolve owners and check directories before any API call: fail fast and
 * cheap. Every unknown user and group of every output is reported at once.
 * One entry per output, in manifest order.
 */
export async function prepareTargets(manifest: Manifest, env: NodeJS.ProcessEnv = process.env): Promise<TargetIds[]> {
  const ids: TargetIds[] = [];
  const unknown: OutputError[] = [];
  const resolveOrCollect = async (resolve: () => Promise<number | undefined>, path: string): Promise<number | undefined> => {
    try {
      return await resolve();
    } catch (err) {
      if (!(err instanceof OutputError)) throw err;
      unknown.push(new OutputError(path, err.message, { hint: err.hint, cause: err }));
      return undefined;
    }
  };
  for (const spec of manifest.outputs) {
    await checkTargetDirectory(spec.path);
    const uid = await resolveOrCollect(() => resolveUser(spec.owner, env), spec.path);
    const gid = await resolveOrCollect(() => resolveGroup(spec.group, env), spec.path);
    ids.push({ uid, gid });
  }
  if (unknown.length === 1) throw unknown[0];
  if (unknown.length) {
    throw new ToolError(
      'output_failed',
      ExitCode.output,
      `${unknown.length} owners or groups do not exist:\n${unknown.map((e) => `  ${e.message}`).join('\n')}`,
      {
        hint: unknown[0]?.hint,
      },
    );
  }
  return ids;
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
    throw new OutputError(
      path,
      `directory ${dir} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); refusing to write secrets there`,
      {
        hint: `chmod go-w ${dir}, or write to a directory only its owner can write`,
      },
    );
  }
  // An ancestor that others may write to (without the sticky bit that /tmp
  // has) lets them rename our directory away and put a symlink to a place of
  // their choosing in its stead, between this check and the rename: the
  // secret would land elsewhere. Check every ancestor of the path as given
  // and of its real path (release symlinks such as /var/www/current).
  // test/reliability/fs-attacks.test.ts attacks this.
  const unsafe = await unsafeAncestor(dir);
  if (unsafe) {
    throw new OutputError(
      path,
      `${unsafe.dir}, an ancestor of ${dir}, is writable by ${unsafe.mode & 0o002 ? 'others' : 'its group'} (mode ${(unsafe.mode & 0o7777).toString(8).padStart(4, '0')}) without the sticky bit; refusing to write secrets below it`,
      {
        hint: `chmod go-w ${unsafe.dir} (or chmod +t, as for /tmp), or write to a directory whose ancestors only their owners can write`,
      },
    );
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
