/**
 * Lock files: the version of every parameter a run used, so that a rollback
 * of the code can re-materialize the configuration that code was deployed
 * with, not today's values.
 *
 *   write --lock FILE     record, after a successful write, each name and the
 *                         version it got (never a value: fit to keep with the
 *                         deployment's logs or artifacts)
 *   write --locked FILE   fetch exactly those versions (`name:version`), for
 *                         names and for every parameter a path listed then
 *   plan --locked FILE    also list which parameters have moved on since
 *
 * Secrets Manager references have no Parameter Store version (AWS answers 0):
 * they are recorded as `null` and read as they are now.
 *
 * A lock is data, not authority: it may pin a version of what the manifest
 * reads, never add a name (checkLockWithinManifest). Its records have no
 * prototype, so a name such as `constructor` is only ever a name.
 */
import { readFileSync } from 'node:fs';
import { ExitCode, MissingParametersError, ToolError, UsageError } from './errors.js';
import { baseName } from './names.js';
import { nullRecord, own } from './records.js';
import { pathKey, type Fetched, type FetchPlan } from './fetch.js';
import type { ParameterStore, StoredParameter } from './store.js';

export interface LockFile {
  lock_version: 1;
  /** Requested name (selector included) -> the version it got; null: no version to pin (a secret). */
  parameters: Record<string, number | null>;
  /** Optional names that did not exist when the lock was made: still absent when locked. */
  absent: string[];
  /** Every parameter each path listed, with its version. */
  paths: Array<{ path: string; recursive: boolean; parameters: Record<string, number> }>;
}

/** The lock for what a run fetched. */
export function lockFrom(plan: FetchPlan, fetched: Fetched): LockFile {
  const parameters = nullRecord<number | null>();
  const absent: string[] = [];
  for (const name of plan.names) {
    const p = fetched.byName.get(name);
    if (p) parameters[name] = p.version > 0 ? p.version : null;
    else absent.push(name);
  }
  const paths = plan.paths.map((p) => ({
    path: p.path,
    recursive: p.recursive,
    parameters: Object.fromEntries((fetched.byPath.get(pathKey(p)) ?? []).map((q) => [q.name, q.version])),
  }));
  return { lock_version: 1, parameters, absent, paths };
}

export function renderLock(lock: LockFile): string {
  return JSON.stringify(lock, null, 2) + '\n';
}

export function readLock(file: string): LockFile {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--locked ${file}: cannot read it as a lock file (${(err as NodeJS.ErrnoException).code ?? 'not JSON'})`, {
      hint: 'pass a file written by `write --lock FILE`',
      cause: err,
    });
  }
  const d = data as Partial<LockFile>;
  const versionOk = (v: unknown) => v === null || (Number.isInteger(v) && (v as number) >= 1);
  const valid =
    d &&
    d.lock_version === 1 &&
    typeof d.parameters === 'object' &&
    d.parameters !== null &&
    Object.values(d.parameters).every(versionOk) &&
    Array.isArray(d.absent) &&
    d.absent.every((n) => typeof n === 'string') &&
    Array.isArray(d.paths) &&
    d.paths.every(
      (p) =>
        typeof p?.path === 'string' &&
        typeof p.recursive === 'boolean' &&
        typeof p.parameters === 'object' &&
        p.parameters !== null &&
        Object.values(p.parameters).every((v) => Number.isInteger(v) && v >= 1),
    );
  if (!valid) throw new UsageError(`--locked ${file}: not a lock file of this version (lock_version 1)`, { hint: 'write it again with `write --lock FILE`' });
  const lock = d as LockFile;
  // Copied into records without a prototype: JSON.parse keeps `__proto__` as an own key, and lookups must see only the file's own names.
  return {
    lock_version: 1,
    parameters: Object.assign(nullRecord<number | null>(), lock.parameters),
    absent: lock.absent,
    paths: lock.paths.map((p) => ({ path: p.path, recursive: p.recursive, parameters: Object.assign(nullRecord<number>(), p.parameters) })),
  };
}

/** Whether a path listing (`GetParametersByPath`) of `path` can return `name`. */
export function isListedBy(path: { path: string; recursive: boolean }, name: string): boolean {
  const base = path.path === '/' ? '/' : `${path.path}/`;
  // Below `/`, a name without a leading slash is at the top level too.
  const rest = name.startsWith(base) ? name.slice(base.length) : path.path === '/' && !name.startsWith('/') ? name : undefined;
  if (!rest) return false;
  return path.recursive || !rest.includes('/');
}

/**
 * Every name the lock holds must be one the manifest reads: a listed name,
 * or a name its path listing could return (respecting `recursive`).
 * Otherwise one added line in a lock would pull another service's secret
 * into this output. Exit 2, naming the lock file and each name.
 */
export function checkLockWithinManifest(plan: FetchPlan, lock: LockFile, file: string): void {
  const names = new Set(plan.names);
  const foreign: string[] = [];
  for (const name of [...Object.keys(lock.parameters), ...lock.absent]) if (!names.has(name)) foreign.push(`${name} (the manifest does not read this name)`);
  for (const locked of lock.paths) {
    const read = plan.paths.some((p) => p.path === locked.path && p.recursive === locked.recursive);
    if (!read) foreign.push(`${locked.path}${locked.recursive ? ' (recursive)' : ''} (the manifest does not list this path)`);
    for (const name of Object.keys(locked.parameters)) {
      if (!isListedBy(locked, name)) foreign.push(`${name} (not ${locked.recursive ? 'below' : 'directly below'} ${locked.path})`);
    }
  }
  if (foreign.length) {
    throw new ToolError(
      'lock_not_in_manifest',
      ExitCode.usage,
      `${file} names ${foreign.length} parameter${foreign.length === 1 ? '' : 's'} or path${foreign.length === 1 ? '' : 's'} the manifest does not read:\n${foreign.map((n) => `  ${n}`).join('\n')}`,
      {
        hint: "a lock may only pin versions of what the manifest reads: check who changed the lock file, or write a new one with `write --lock FILE` from this deployment's manifest",
      },
    );
  }
}

/** `name:version` for a requested name (its own selector replaced). */
function pinned(name: string, version: number): string {
  return `${baseName(name)}:${version}`;
}

/**
 * Fetch exactly the locked versions. Every name and path the manifest asks
 * for must be in the lock; a locked version that no longer exists (AWS keeps
 * 100) is exit 3, naming `name:version`.
 */
export async function fetchLocked(store: ParameterStore, plan: FetchPlan, lock: LockFile, file: string): Promise<Fetched> {
  checkLockWithinManifest(plan, lock, file);
  const notLocked: string[] = [];
  // What we ask the store for -> the requested names it answers (`cert:stable` and `cert:2` may both be `cert:2`).
  const request = new Map<string, string[]>();
  for (const name of plan.names) {
    if (lock.absent.includes(name)) continue;
    const version = own(lock.parameters, name);
    if (version === undefined) notLocked.push(name);
    else {
      const asked = version === null ? name : pinned(name, version);
      request.set(asked, [...(request.get(asked) ?? []), name]);
    }
  }
  const pathMembers = new Map<string, Array<{ name: string; asked: string }>>();
  for (const p of plan.paths) {
    const locked = lock.paths.find((l) => l.path === p.path && l.recursive === p.recursive);
    if (!locked) {
      notLocked.push(`${p.path}${p.recursive ? ' (recursive)' : ''}`);
      continue;
    }
    const members = Object.entries(locked.parameters).map(([name, version]) => ({ name, asked: pinned(name, version) }));
    pathMembers.set(pathKey(p), members);
  }
  if (notLocked.length) {
    throw new ToolError(
      'not_locked',
      ExitCode.usage,
      `${file} has no version for ${notLocked.length} name${notLocked.length === 1 ? '' : 's'} the manifest reads:\n${notLocked.map((n) => `  ${n}`).join('\n')}`,
      {
        hint: 'the manifest changed since the lock was written: deploy the manifest the lock belongs to, or write a new lock with `write --lock FILE`',
      },
    );
  }
  const asked = [...new Set([...request.keys(), ...[...pathMembers.values()].flat().map((m) => m.asked)])];
  const got = asked.length ? await store.get(asked) : { found: new Map<string, StoredParameter>(), missing: [] };
  const gone = asked.filter((a) => !got.found.has(a) && /:\d+$/.test(a));
  if (gone.length) {
    throw new MissingParametersError(gone, {
      hint: `these locked versions no longer exist (Parameter Store keeps the last 100 versions, and a deleted parameter loses all): materialize without --locked, and write a new lock with --lock`,
    });
  }
  const byName = new Map<string, StoredParameter>();
  for (const [a, names] of request) {
    const p = got.found.get(a);
    if (p) for (const name of names) byName.set(name, { ...p, name });
  }
  const byPath = new Map<string, StoredParameter[]>();
  for (const [key, members] of pathMembers) {
    byPath.set(
      key,
      members.flatMap((m) => {
        const p = got.found.get(m.asked);
        return p ? [{ ...p, name: m.name }] : [];
      }),
    );
  }
  return { byName, missing: new Set([...plan.names.filter((n) => !byName.has(n))]), byPath };
}

/** For `plan --locked`: the parameters whose latest version is not the locked one. */
export function lockDrift(lock: LockFile, latest: LockFile): Array<{ name: string; locked: number | null; latest: number | null | undefined }> {
  const drift: Array<{ name: string; locked: number | null; latest: number | null | undefined }> = [];
  for (const [name, version] of Object.entries(lock.parameters)) {
    const now = own(latest.parameters, name);
    if (version !== null && now !== version) drift.push({ name, locked: version, latest: now });
  }
  for (const l of lock.paths) {
    const now = latest.paths.find((p) => p.path === l.path && p.recursive === l.recursive)?.parameters ?? {};
    for (const [name, version] of Object.entries(l.parameters)) if (own(now, name) !== version) drift.push({ name, locked: version, latest: own(now, name) });
    for (const [name, version] of Object.entries(now)) if (!Object.hasOwn(l.parameters, name)) drift.push({ name, locked: null, latest: version });
  }
  return drift;
}
