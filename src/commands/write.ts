/** `write`: the main job. */
import { resolve } from 'node:path';
import { ExitCode, ToolError } from '../errors.js';
import { KeepLastGood } from '../trust/failures.js';
import { modeString } from '../diff.js';
import { describeAge, fetchedMarkers, outputsToKeep, parseMaxAge, recordStale } from '../files/lastgood.js';
import { lockFrom, renderLock } from '../lockfile.js';
import { loadManifest } from '../manifest.js';
import { plural, runPipeline, totalCalls, type PipelineOptions } from '../pipeline.js';
import type { OutputResult } from '../pipeline.js';
import type { WriteRequest } from '../files/write.js';
import { checkTargetDirectory } from '../files/targets.js';

export interface WriteOptions {
  /** `--lock FILE`: after writing, record the version of every parameter used (lockfile.ts). */
  lock?: string | undefined;
  /** `--keep-last-good MAX_AGE`: when the store is unavailable, keep young outputs (lastgood.ts). */
  keepLastGood?: string | undefined;
}

export async function writeCommand(options: PipelineOptions, { lock, keepLastGood }: WriteOptions = {}): Promise<number> {
  const started = Date.now();
  const maxAgeMs = keepLastGood === undefined ? undefined : parseMaxAge(keepLastGood);
  const lockPath = lock === undefined ? undefined : resolve(lock);
  if (lockPath !== undefined) await checkTargetDirectory(lockPath);
  // The lock and the last-good markers are committed with the outputs, or
  // nothing is: a lock describes a deployment that happened, and a retry
  // after any failure must find the whole work still to do.
  const companions: PipelineOptions['companions'] = ({ manifest, plan, fetched }) => {
    const files: WriteRequest[] = maxAgeMs === undefined ? [] : fetchedMarkers(manifest, new Date(started));
    if (lockPath !== undefined) files.push({ path: lockPath, content: renderLock(lockFrom(plan, fetched)), mode: 0o644, uid: undefined, gid: undefined });
    return files;
  };
  let run;
  try {
    run = await runPipeline('write', { ...options, keepLastGood: maxAgeMs !== undefined, companions });
  } catch (err) {
    // The failure decision (trust/failures.ts) chose it: every failure was an outage, never a missing or denied parameter.
    if (maxAgeMs === undefined || !(err instanceof KeepLastGood)) throw err;
    const kept = outputsToKeep(loadManifest(options.manifest, options.env), maxAgeMs, new Date(), err.unavailable);
    await recordStale(kept, new Date());
    for (const k of kept) {
      options.log.degraded(
        'stale',
        { path: k.path, fetched_at: k.fetchedAt, age_s: Math.round(k.ageMs / 1000) },
        `Parameter Store unavailable; kept ${k.path} as last fetched ${describeAge(k.ageMs)} ago (${k.fetchedAt})`,
      );
    }
    return ExitCode.ok;
  }
  const { outcome: results, stats } = run;
  if (lockPath !== undefined) options.log.result('lock', { path: lockPath }, `locked    ${lockPath} (the version of every parameter used; no values)`);
  const ms = Date.now() - started;
  for (const r of results) options.log.result('output', outputFields(r), outputLine(r));
  const changed = results.filter((r) => r.changed).length;
  options.log.result(
    'done',
    { outputs: results.length, changed, api_calls: stats.calls, retries: stats.retries, throttled: stats.throttled, ms },
    `done: ${plural(results.length, 'output')}, ${changed} changed, ${plural(totalCalls(stats), 'API call')}, ${(ms / 1000).toFixed(2)} s`,
  );
  const hookFailure = failedHooksError(results);
  if (hookFailure) throw hookFailure;
  return ExitCode.ok;
}

/** A run whose outputs were written but some on_change hook failed ends in this error (exit 6); undefined when every hook ran. */
export function failedHooksError(results: readonly OutputResult[]): ToolError | undefined {
  const hookErrors = results.flatMap((r) => (r.hookError ? [r.hookError] : []));
  if (!hookErrors.length) return undefined;
  return new ToolError(
    'on_change_failed',
    ExitCode.output,
    `${plural(hookErrors.length, 'on_change hook')} failed; the new files are in place and each failed hook runs again on the next run:\n${hookErrors.map((e) => `  ${e.message}`).join('\n')}`,
    {
      hint: hookErrors.map((e) => e.hint).join('\n  '),
    },
  );
}

function outputFields(r: OutputResult): Record<string, unknown> {
  return {
    path: r.path,
    format: r.format,
    keys: r.keys,
    mode: modeString(r.mode),
    uid: r.uid,
    gid: r.gid,
    owner: r.owner,
    group: r.group,
    changed: r.changed,
    reasons: r.reasons,
    ...(r.hook ? { on_change: r.hook } : {}),
  };
}

function outputLine(r: OutputResult): string {
  const owner = r.uid === undefined && r.gid === undefined ? '' : ` owner ${r.owner ?? '-'}:${r.group ?? '-'}`;
  const why = r.changed && r.reasons[0] !== 'new' ? ` [${r.reasons.join(', ')}]` : '';
  const hook = r.hook === 'failed' ? ' on_change FAILED (pending)' : r.hook === 'retried' ? ' on_change retried' : '';
  return `${r.changed ? 'wrote    ' : 'unchanged'} ${r.path} (${r.format}, ${plural(r.keys, 'key')}, mode ${modeString(r.mode)}${owner})${why}${hook}`;
}
