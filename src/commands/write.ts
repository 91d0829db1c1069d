/** `write`: the main job. */
import { ExitCode, StoreUnavailableError } from '../errors.js';
import { describeAge, keepLastGood, parseMaxAge, recordFetched, recordStale } from '../lastgood.js';
import type { Manifest } from '../manifest.js';
import type { Logger } from '../log.js';
import { prepareTargets, writeOutputs, type OutputResult } from '../run.js';
import type { OutputSpec } from '../manifest.js';
import { fetchAndRender, modeString, plural, totalCalls, type ManifestArgs } from './common.js';
import { resolve } from 'node:path';
import { lockFrom, renderLock } from '../lockfile.js';
import { checkTargetDirectory, commit, stage } from '../write.js';

export interface WriteArgs extends ManifestArgs {
  /** Record the version of every parameter used in this file (lockfile.ts). */
  lock?: string;
  /** When the store is unavailable, keep outputs fetched within this age (lastgood.ts). */
  'keep-last-good'?: string;
}

export async function writeCommand(args: WriteArgs, env: NodeJS.ProcessEnv, log: Logger): Promise<number> {
  const started = Date.now();
  let ids = new Map<OutputSpec, { uid: number | undefined; gid: number | undefined }>();
  const maxAgeMs = args['keep-last-good'] === undefined ? undefined : parseMaxAge(args['keep-last-good']);
  let loaded: Manifest | undefined;
  let fetchedRun;
  try {
    // Owners and directories are checked before any API call: fail fast and cheap.
    fetchedRun = await fetchAndRender(args, env, log, async (manifest) => {
      loaded = manifest;
      ids = await prepareTargets(manifest);
      if (args.lock !== undefined) await checkTargetDirectory(resolve(args.lock));
    });
  } catch (err) {
    // Only "the store is down" qualifies: never a missing or denied parameter.
    if (maxAgeMs === undefined || !loaded || !(err instanceof StoreUnavailableError)) throw err;
    const kept = keepLastGood(loaded, maxAgeMs, new Date(), err);
    await recordStale(kept, new Date());
    for (const k of kept) {
      log.warn('stale', { path: k.path, fetched_at: k.fetchedAt, age_s: Math.round(k.ageMs / 1000) }, `Parameter Store unavailable; kept ${k.path} as last fetched ${describeAge(k.ageMs)} ago (${k.fetchedAt})`);
    }
    return ExitCode.ok;
  }
  const { rendered, store, plan, fetched } = fetchedRun;
  const results = await writeOutputs(rendered, ids, env);
  if (maxAgeMs !== undefined && loaded) await recordFetched(loaded, new Date(started));
  if (args.lock !== undefined) {
    // Only after every output is in place: a lock describes a deployment that happened.
    const path = resolve(args.lock);
    await commit(await stage({ path, content: renderLock(lockFrom(plan, fetched)), mode: 0o644, uid: undefined, gid: undefined }));
    log.result('lock', { path }, `locked    ${path} (the version of every parameter used; no values)`);
  }
  const ms = Date.now() - started;
  for (const r of results) log.result('output', outputFields(r), outputLine(r));
  const changed = results.filter((r) => r.changed).length;
  const calls = totalCalls(store);
  log.result(
    'done',
    { outputs: results.length, changed, api_calls: store.stats.calls, retries: store.stats.retries, ms },
    `done: ${plural(results.length, 'output')}, ${changed} changed, ${plural(calls, 'API call')}, ${(ms / 1000).toFixed(2)} s`,
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
