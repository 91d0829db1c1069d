/**
 * `plan` and `check`: fetch and render, write nothing, and say per output
 * which keys would be added, removed or changed (src/diff.ts). Only key
 * names appear, never a value.
 */
import { ExitCode } from '../errors.js';
import type { OutputDiff } from '../diff.js';
import { staleSince } from '../files/lastgood.js';
import { lockDrift, lockFrom, type LockFile } from '../lockfile.js';
import type { Logger } from '../log.js';
import { plural, runPipeline, type PipelineOptions, type PipelineRun } from '../pipeline.js';
import { fetchAll } from '../fetch.js';
import { budgetOptions, callBudget, describeBudget, describeRollout, rollout, rolloutOptions, type BudgetOptions, type RolloutOptions } from '../budget.js';

/** `plan`'s call-budget options (see budget.ts). */
export interface BudgetArgs {
  fleet: number;
  tps: number;
  every?: string;
  'hook-timeout': number;
  timeout: number;
  /** Rollout (fleet refresh through Run Command): quota share kept for the app, and a host's shortest run. */
  headroom: number;
  'run-seconds': number;
}

export async function planCommand(options: PipelineOptions, mode: 'plan' | 'check', budgetArgs?: BudgetArgs): Promise<number> {
  // Bad budget numbers are usage errors found before any call.
  const budget: BudgetOptions | undefined = budgetArgs?.fleet !== undefined ? budgetOptions(budgetArgs) : undefined;
  const rolloutArgs: RolloutOptions | undefined = budgetArgs?.fleet !== undefined ? rolloutOptions({ ...budgetArgs, hosts: budgetArgs.fleet }) : undefined;
  const run = await runPipeline('diff', options);
  const { outcome: diffs, stats } = run;
  if (options.locked !== undefined) await reportLockDrift(options, run);
  for (const d of diffs) options.log.result('plan_output', { ...d }, describe(d));
  // Outputs kept by `write --keep-last-good` while the store was down are stale until a good write.
  const stale = diffs.flatMap((d) => {
    const s = staleSince(d.path);
    return s ? [{ path: d.path, fetched_at: s.fetchedAt, stale_since: s.staleSince }] : [];
  });
  for (const s of stale)
    options.log.result('stale', s, `! ${s.path}: stale, kept by --keep-last-good since ${s.stale_since} (last fetched ${s.fetched_at}); run write`);
  const pending = diffs.filter((d) =>
    wouldChange(
      d,
      stale.some((s) => s.path === d.path),
    ),
  ).length;
  options.log.result(
    mode === 'check' ? 'check' : 'plan',
    { outputs: diffs.length, would_change: pending },
    pending === 0 ? `up to date: ${plural(diffs.length, 'output')}` : `${pending} of ${plural(diffs.length, 'output')} would change`,
  );
  if (budget) {
    // The calls this run made (retries aside) are the calls every run makes: pages of a path are only known by listing it.
    const counts = { GetParameters: stats.calls.GetParameters ?? 0, GetParametersByPath: stats.calls.GetParametersByPath ?? 0 };
    const b = callBudget(counts, budget);
    options.log.result('call_budget', { ...b }, describeBudget(b));
    // The same numbers `fleet` writes into the template's MaxConcurrency and MaxErrors.
    if (rolloutArgs) {
      const r = rollout(b.calls, rolloutArgs);
      options.log.result('rollout', { ...r }, describeRollout(r));
    }
  }
  return mode === 'check' && pending > 0 ? ExitCode.changed : ExitCode.ok;
}

/** Whether `write` has work for this output: a change, an on_change still pending, or a file kept stale by --keep-last-good. */
export function wouldChange(d: OutputDiff, stale: boolean): boolean {
  return d.status !== 'unchanged' || d.hookPending || stale;
}

/**
 * With --locked: which parameters have another latest version than the lock
 * pins. Versions only, from the region the run read from (after a fallback,
 * versions in the region that is down are neither reachable nor comparable).
 */
async function reportLockDrift(options: PipelineOptions, run: PipelineRun<unknown>): Promise<void> {
  const store = await options.openStore(run.region);
  let latest: LockFile;
  try {
    latest = lockFrom(run.plan, await fetchAll(store, run.plan, run.region));
  } finally {
    store.close();
  }
  const drift = lockDrift(lockFrom(run.plan, run.fetched), latest);
  const v = (n: number | null | undefined) => (n === undefined ? 'gone' : n === null ? 'none' : `version ${n}`);
  const log: Logger = options.log;
  for (const d of drift) log.result('lock_drift', { ...d }, `locked ${d.name}: ${v(d.locked)}, latest: ${v(d.latest)}`);
  log.result(
    'lock',
    { drifted: drift.length },
    drift.length ? `${plural(drift.length, 'parameter')} moved on since the lock` : 'the lock pins the latest version of every parameter',
  );
}

export function describe(d: OutputDiff): string {
  if (d.status === 'unchanged' && d.hookPending)
    return `! ${d.path} (${d.format}): up to date, ${d.unchanged} keys; its on_change failed earlier and runs again on the next write`;
  if (d.status === 'unchanged') return `= ${d.path} (${d.format}): up to date, ${d.unchanged} keys`;
  if (d.status === 'new')
    return [`+ ${d.path} (${d.format}): new file, mode ${d.mode.to}, ${d.added.length} keys`, ...d.added.map((k) => `    + ${k}`)].join('\n');
  // The old file's keys are not listed: read with this format's reader, they could be pieces of values.
  if (d.formatChangedFrom !== undefined)
    return `~ ${d.path} (${d.format}): format changed (was ${d.formatChangedFrom}): all ${plural(d.added.length, 'key')} rewritten`;
  const parts = [`${d.added.length} added`, `${d.removed.length} removed`, `${d.changed.length} changed`, `${d.unchanged} unchanged`];
  const extra: string[] = [];
  if (d.opaque) extra.push('content differs (not comparable key by key)');
  if (d.reasons.includes('mode')) extra.push(`mode ${d.mode.from} -> ${d.mode.to}`);
  if (d.reasons.includes('owner')) extra.push('owner/group changes');
  return [
    `~ ${d.path} (${d.format}): ${parts.join(', ')}${extra.length ? `; ${extra.join('; ')}` : ''}`,
    ...d.added.map((k) => `    + ${k}`),
    ...d.removed.map((k) => `    - ${k}`),
    ...d.changed.map((k) => `    ~ ${k}`),
  ].join('\n');
}
