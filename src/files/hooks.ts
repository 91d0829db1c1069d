/**
 * The manifest's hooks, all of them here: `verify` runs on each staged file
 * before any output is replaced (with every output's staged path in its
 * environment); `on_change` runs after the commit for each output that
 * changed, and one that has not succeeded yet is remembered by a marker next
 * to its output (sidecars.ts), so the next run retries it. A hook runs
 * through `sh -c` with the file as `$1`; values never go on its command line,
 * and its output is not shown.
 */
import { spawn } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';
import { OutputError } from '../errors.js';
import { shellQuote } from '../formats/shell.js';
import type { OutputSpec } from '../manifest.js';
import { pendingHookSidecar } from './sidecars.js';
import { describeErrno, hintForErrno } from './staging.js';
import type { OutputWrite, WriteOutcome } from './write.js';

/** `verify` of output `index` as the writer runs it (write.ts): against its staged file, every output's staged path in the environment. */
export function verifyHook(outputs: readonly OutputSpec[], index: number, env: NodeJS.ProcessEnv): OutputWrite['verify'] {
  const spec = outputs[index];
  const verify = spec?.verify;
  if (!spec || !verify) return undefined;
  const paths = outputs.map((o) => o.path);
  return (tempPath, staged) => runHook('verify', verify, spec.path, tempPath, { ...env, ...stagedPathsEnv(paths, staged) });
}

/** How an output's on_change went in this run: `retried`: the file did not change, but an earlier run's on_change had failed. */
export interface OnChangeOutcome {
  hook: 'ran' | 'retried' | 'failed';
  /** Why it failed (it stays pending for the next run). */
  error?: OutputError;
}

/**
 * The on_change hooks of one write: which are due is known between staging
 * and commit (`markPending`, the writer's BeforeCommit step), and they run
 * after the commit (`run`).
 */
export class OnChangeHooks {
  private readonly due: Array<{ index: number; spec: OutputSpec; retry: boolean }> = [];

  constructor(
    private readonly outputs: readonly OutputSpec[],
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /**
   * Between staging and commit: every output with an `on_change` that changed,
   * or whose hook failed in an earlier run, gets a pending marker before the
   * swap, so a run killed between the rename and the hook still leaves the hook
   * to the next run. Returns how to remove the markers this run created, should
   * the commit fail.
   */
  readonly markPending = async (staged: readonly WriteOutcome[]): Promise<() => Promise<void>> => {
    const created: string[] = [];
    const undo = async (): Promise<void> => {
      await Promise.all(created.map(clearHookPending));
    };
    try {
      for (const [index, spec] of this.outputs.entries()) {
        if (!spec.onChange) continue;
        const changed = staged[index]?.changed ?? false;
        if (!changed && !(await isHookPending(spec.path))) continue;
        this.due.push({ index, spec, retry: !changed });
        if (await markHookPending(spec.path)) created.push(spec.path);
      }
    } catch (err) {
      await undo();
      throw err;
    }
    return undo;
  };

  /** After the commit: every due hook runs, whatever happened to the others; a failed one stays pending. By output index. */
  async run(): Promise<Map<number, OnChangeOutcome>> {
    const outcomes = new Map<number, OnChangeOutcome>();
    for (const { index, spec, retry } of this.due) {
      try {
        await runHook('on_change', spec.onChange ?? '', spec.path, spec.path, this.env);
        await clearHookPending(spec.path);
        outcomes.set(index, { hook: retry ? 'retried' : 'ran' });
      } catch (err) {
        if (!(err instanceof OutputError)) throw err;
        outcomes.set(index, { hook: 'failed', error: err });
      }
    }
    return outcomes;
  }
}

/** For plan/check: an earlier run's on_change for this output failed, and `write` will run it again. */
export async function onChangePending(spec: OutputSpec): Promise<boolean> {
  return spec.onChange !== undefined && (await isHookPending(spec.path));
}

/**
 * An on_change hook that has not succeeded yet is remembered next to its
 * output, so the next run retries it even when the file no longer changes
 * (a retried deployment must not go green with a service on the old secret).
 * The marker holds no value; it is created 0600, exclusive and no-follow.
 */
export async function isHookPending(path: string): Promise<boolean> {
  const st = await fs.lstat(pendingHookSidecar(path)).catch(() => undefined);
  return st?.isFile() ?? false;
}

/** Returns true when this call created the marker (false: it was already there). */
export async function markHookPending(path: string): Promise<boolean> {
  const marker = pendingHookSidecar(path);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(marker, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (await isHookPending(path))) return false;
    throw new OutputError(path, `cannot record the pending on_change hook at ${marker} ${describeErrno(err)}`, {
      hint: hintForErrno(err, dirname(path)),
      cause: err,
    });
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
  await fs.unlink(pendingHookSidecar(path)).catch(() => undefined);
}

/**
 * Where each output's next content is during verify (`staged[i]`: its temp
 * file when it changed, else the output itself), in three families that no
 * file name can make overlap: `SSM_MATERIALIZE_STAGED_COUNT`,
 * `SSM_MATERIALIZE_STAGED_<n>` for the n-th output of the manifest (from 0),
 * and `SSM_MATERIALIZE_STAGED_FILE_<NAME>` by the file name (upper-cased,
 * other characters as `_`: `tls.crt` -> `TLS_CRT`) when no other output's
 * file name gives the same NAME. The earlier `SSM_MATERIALIZE_STAGED_<NAME>`
 * is still set where it cannot be taken for another family's variable (an
 * output named `count` or `1` would have overwritten them). Paths come from
 * the manifest and our temp names, never from a value.
 */
export function stagedPathsEnv(outputPaths: readonly string[], staged: readonly string[]): Record<string, string> {
  const env = new Map<string, string>([['SSM_MATERIALIZE_STAGED_COUNT', String(outputPaths.length)]]);
  const byName = new Map<string, string[]>();
  outputPaths.forEach((outputPath, i) => {
    const path = staged[i] ?? outputPath;
    env.set(`SSM_MATERIALIZE_STAGED_${i}`, path);
    const name = stagedName(outputPath);
    byName.set(name, [...(byName.get(name) ?? []), path]);
  });
  for (const [name, paths] of byName) {
    if (paths.length !== 1 || paths[0] === undefined) continue;
    env.set(`SSM_MATERIALIZE_STAGED_FILE_${name}`, paths[0]);
    if (!/^(COUNT|\d+|FILE_.*)$/.test(name)) env.set(`SSM_MATERIALIZE_STAGED_${name}`, paths[0]);
  }
  return Object.fromEntries(env);
}

function stagedName(outputPath: string): string {
  return (outputPath.split('/').pop() ?? '').replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
}

/**
 * Run a user command through `sh -c`, with the file as `$1` and in
 * SSM_MATERIALIZE_FILE. Values never go on its command line. Its output is
 * not shown: a verifier may echo the content it checks.
 */
export function runHook(kind: 'verify' | 'on_change', command: string, outputPath: string, file: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command, `ssm-materialize-${kind}`, file], {
      stdio: ['ignore', 'ignore', 'ignore'],
      env: { ...env, SSM_MATERIALIZE_FILE: file, SSM_MATERIALIZE_OUTPUT: outputPath },
    });
    child.on('error', (err) => reject(new OutputError(outputPath, `${kind} command could not start: ${err.message}`, { cause: err })));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
      // Single-quoted words, so that the line is valid shell when pasted, whatever the command holds.
      const hint = `run it by hand to see its output: SSM_MATERIALIZE_FILE=${shellQuote(outputPath)} sh -c ${shellQuote(command)} ssm-materialize-${kind} ${shellQuote(outputPath)}`;
      reject(
        new OutputError(
          outputPath,
          kind === 'verify'
            ? `verify command ${how}; the new content was not installed and the old file is unchanged`
            : `on_change command ${how} (the new file is in place)`,
          { hint },
        ),
      );
    });
  });
}
