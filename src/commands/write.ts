/** `write`: the main job. */
import { ExitCode, ToolError } from '../errors.js';
import { modeString } from '../diff.js';
import { plural, runPipeline, totalCalls, type PipelineOptions } from '../pipeline.js';
import type { OutputResult } from '../run.js';

export async function writeCommand(options: PipelineOptions): Promise<number> {
  const started = Date.now();
  const { outcome: results, stats } = await runPipeline('write', options);
  const ms = Date.now() - started;
  for (const r of results) options.log.result('output', outputFields(r), outputLine(r));
  const changed = results.filter((r) => r.changed).length;
  options.log.result(
    'done',
    { outputs: results.length, changed, api_calls: stats.calls, retries: stats.retries, throttled: stats.throttled, ms },
    `done: ${plural(results.length, 'output')}, ${changed} changed, ${plural(totalCalls(stats), 'API call')}, ${(ms / 1000).toFixed(2)} s`,
  );
  const hookErrors = results.flatMap((r) => (r.hookError ? [r.hookError] : []));
  if (hookErrors.length) {
    throw new ToolError('on_change_failed', ExitCode.output, `${plural(hookErrors.length, 'on_change hook')} failed; the new files are in place and each failed hook runs again on the next run:\n${hookErrors.map((e) => `  ${e.message}`).join('\n')}`, {
      hint: hookErrors.map((e) => e.hint).join('\n  '),
    });
  }
  return ExitCode.ok;
}

function outputFields(r: OutputResult): Record<string, unknown> {
  return { path: r.path, format: r.format, keys: r.keys, mode: modeString(r.mode), uid: r.uid, gid: r.gid, owner: r.owner, group: r.group, changed: r.changed, reasons: r.reasons, ...(r.hook ? { on_change: r.hook } : {}) };
}

function outputLine(r: OutputResult): string {
  const owner = r.uid === undefined && r.gid === undefined ? '' : ` owner ${r.owner ?? '-'}:${r.group ?? '-'}`;
  const why = r.changed && r.reasons[0] !== 'new' ? ` [${r.reasons.join(', ')}]` : '';
  const hook = r.hook === 'failed' ? ' on_change FAILED (pending)' : r.hook === 'retried' ? ' on_change retried' : '';
  return `${r.changed ? 'wrote    ' : 'unchanged'} ${r.path} (${r.format}, ${plural(r.keys, 'key')}, mode ${modeString(r.mode)}${owner})${why}${hook}`;
}
