/** `write`: the main job. */
import { ExitCode, ToolError } from '../errors.js';
import type { Logger } from '../log.js';
import { prepareTargets, writeOutputs, type OutputResult } from '../run.js';
import type { OutputSpec } from '../manifest.js';
import { fetchAndRender, modeString, plural, totalCalls, type ManifestArgs } from './common.js';

export async function writeCommand(args: ManifestArgs, env: NodeJS.ProcessEnv, log: Logger): Promise<number> {
  const started = Date.now();
  let ids = new Map<OutputSpec, { uid: number | undefined; gid: number | undefined }>();
  // Owners and directories are checked before any API call: fail fast and cheap.
  const { rendered, store } = await fetchAndRender(args, env, log, async (manifest) => {
    ids = await prepareTargets(manifest, env);
  });
  const results = await writeOutputs(rendered, ids, env);
  const ms = Date.now() - started;
  for (const r of results) log.result('output', outputFields(r), outputLine(r));
  const changed = results.filter((r) => r.changed).length;
  const calls = totalCalls(store);
  log.result(
    'done',
    { outputs: results.length, changed, api_calls: store.stats.calls, retries: store.stats.retries, ms },
    `done: ${plural(results.length, 'output')}, ${changed} changed, ${plural(calls, 'API call')}, ${(ms / 1000).toFixed(2)} s`,
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
