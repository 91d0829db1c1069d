/**
 * `plan` and `check`: fetch and render, write nothing, and say per output
 * which keys would be added, removed or changed (src/diff.ts). Only key
 * names appear, never a value.
 */
import { ExitCode } from '../errors.js';
import type { OutputDiff } from '../diff.js';
import { plural, runPipeline, type PipelineOptions } from '../pipeline.js';

export async function planCommand(options: PipelineOptions, mode: 'plan' | 'check'): Promise<number> {
  const { outcome: diffs } = await runPipeline('diff', options);
  for (const d of diffs) options.log.result('plan_output', { ...d }, describe(d));
  const pending = diffs.filter((d) => d.status !== 'unchanged' || d.hookPending).length;
  options.log.result(
    mode === 'check' ? 'check' : 'plan',
    { outputs: diffs.length, would_change: pending },
    pending === 0 ? `up to date: ${plural(diffs.length, 'output')}` : `${pending} of ${plural(diffs.length, 'output')} would change`,
  );
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
