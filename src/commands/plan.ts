/**
 * `plan` and `check`: fetch and render, write nothing, and say per output
 * which keys would be added, removed or changed (src/diff.ts). Only key
 * names appear, never a value.
 */
import { ExitCode } from '../errors.js';
import type { OutputDiff } from '../diff.js';
import { plural, runPipeline, type PipelineOptions } from '../pipeline.js';
import { budgetOptions, callBudget, describeBudget, type BudgetOptions } from '../budget.js';

/** `plan`'s call-budget options (see budget.ts). */
export interface BudgetArgs {
  fleet: number;
  tps: number;
  every?: string;
  'hook-timeout': number;
  timeout: number;
}

export async function planCommand(options: PipelineOptions, mode: 'plan' | 'check', budgetArgs?: BudgetArgs): Promise<number> {
  // Bad budget numbers are usage errors found before any call.
  const budget: BudgetOptions | undefined = budgetArgs?.fleet !== undefined ? budgetOptions(budgetArgs) : undefined;
  const { outcome: diffs, stats } = await runPipeline('diff', options);
  for (const d of diffs) options.log.result('plan_output', { ...d }, describe(d));
  const pending = diffs.filter((d) => d.status !== 'unchanged' || d.hookPending).length;
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
  }
  return mode === 'check' && pending > 0 ? ExitCode.changed : ExitCode.ok;
}

export function describe(d: OutputDiff): string {
  if (d.status === 'unchanged' && d.hookPending) return `! ${d.path} (${d.format}): up to date, ${d.unchanged} keys; its on_change failed earlier and runs again on the next write`;
  if (d.status === 'unchanged') return `= ${d.path} (${d.format}): up to date, ${d.unchanged} keys`;
  if (d.status === 'new') return [`+ ${d.path} (${d.format}): new file, mode ${d.mode.to}, ${d.added.length} keys`, ...d.added.map((k) => `    + ${k}`)].join('\n');
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
