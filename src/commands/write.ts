/** `write`: the main job. */
import { ExitCode } from '../errors.js';
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
    { outputs: results.length, changed, api_calls: stats.calls, retries: stats.retries, ms },
    `done: ${plural(results.length, 'output')}, ${changed} changed, ${plural(totalCalls(stats), 'API call')}, ${(ms / 1000).toFixed(2)} s`,
  );
  return ExitCode.ok;
}

function outputFields(r: OutputResult): Record<string, unknown> {
  return { path: r.path, format: r.format, keys: r.keys, mode: modeString(r.mode), uid: r.uid, gid: r.gid, changed: r.changed, reasons: r.reasons };
}

function outputLine(r: OutputResult): string {
  const owner = r.uid === undefined && r.gid === undefined ? '' : ` owner ${r.uid ?? '-'}:${r.gid ?? '-'}`;
  const why = r.changed && r.reasons[0] !== 'new' ? ` [${r.reasons.join(', ')}]` : '';
  return `${r.changed ? 'wrote    ' : 'unchanged'} ${r.path} (${r.format}, ${plural(r.keys, 'key')}, mode ${modeString(r.mode)}${owner})${why}`;
}
