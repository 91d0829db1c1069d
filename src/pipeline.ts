/**
 * One run, every step in order, on the store it is given:
 *
 *   load manifest -> check templates -> prepare targets -> plan the fetch
 *   -> fetch -> resolve keys -> render -> write | diff | hand the values over
 *
 * `write` ends in one all-or-nothing transaction (write.ts) plus the
 * `on_change` hooks; `plan`/`check` end in a diff per output and touch
 * nothing; `exec` takes the rendered outputs and needs no target on disk.
 * The CLI chooses the ending and prints; tests run the same function on an
 * in-memory store.
 */
import type { Logger } from './log.js';
import { loadManifest, type Manifest } from './manifest.js';
import { checkTemplates, fetchAll, planFetch, prepareTargets, renderOutputs, resolveOutputs, writeOutputs, type OutputResult, type RenderedOutput, type TargetIds } from './run.js';
import { diffOutput, type OutputDiff } from './diff.js';
import type { CallStats, OpenStore } from './store.js';

export interface PipelineOptions {
  /** Path of the manifest file. */
  manifest: string;
  /** For `${VAR}` in the manifest and for hooks. */
  env: NodeJS.ProcessEnv;
  log: Logger;
  openStore: OpenStore;
}

/** How the run ends: write the outputs, compare them with what is on disk, or just render them (exec). */
export type Ending = 'write' | 'diff' | 'render';

export interface PipelineRun<T> {
  manifest: Manifest;
  stats: CallStats;
  outcome: T;
}

export function runPipeline(ending: 'write', options: PipelineOptions): Promise<PipelineRun<OutputResult[]>>;
export function runPipeline(ending: 'diff', options: PipelineOptions): Promise<PipelineRun<OutputDiff[]>>;
export function runPipeline(ending: 'render', options: PipelineOptions): Promise<PipelineRun<RenderedOutput[]>>;
export async function runPipeline(ending: Ending, options: PipelineOptions): Promise<PipelineRun<unknown>> {
  const { log, env } = options;
  const manifest = loadManifest(options.manifest, env);
  log.progress('start', { manifest: manifest.file, outputs: manifest.outputs.length }, `manifest ${manifest.file}: ${plural(manifest.outputs.length, 'output')}`);
  checkTemplates(manifest);
  // Owners and directories are checked before any API call: fail fast and cheap.
  const targets = ending === 'render' ? [] : await prepareTargets(manifest, env);
  const { rendered, stats } = await fetchAndRender(manifest, options);
  switch (ending) {
    case 'write':
      return { manifest, stats, outcome: await writeOutputs(rendered, targets, env) };
    case 'diff':
      return { manifest, stats, outcome: await diffOutputs(rendered, targets) };
    case 'render':
      return { manifest, stats, outcome: rendered };
  }
}

/** Fetch everything the manifest names and render every output in memory; the store is closed afterwards. */
async function fetchAndRender(manifest: Manifest, { openStore, log }: PipelineOptions): Promise<{ rendered: RenderedOutput[]; stats: CallStats }> {
  const store = await openStore(manifest.region);
  try {
    const plan = planFetch(manifest);
    log.progress('fetch_start', { names: plan.names.length, paths: plan.paths.length }, `fetching ${plan.names.length} names and ${plan.paths.length} paths`);
    const fetched = await fetchAll(store, plan);
    log.progress(
      'fetched',
      { names: fetched.byName.size, calls: store.stats.calls, retries: store.stats.retries, throttled: store.stats.throttled },
      `fetched ${fetched.byName.size} names in ${totalCalls(store.stats)} calls (${store.stats.retries} retries, ${store.stats.throttled} throttled)`,
    );
    return { rendered: renderOutputs(resolveOutputs(manifest, fetched)), stats: store.stats };
  } finally {
    store.close();
  }
}

/** `targets[i]` belongs to `rendered[i]` (both in manifest order). */
async function diffOutputs(rendered: RenderedOutput[], targets: TargetIds[]): Promise<OutputDiff[]> {
  const diffs: OutputDiff[] = [];
  for (const [i, out] of rendered.entries()) diffs.push(await diffOutput(out, targets[i]?.uid, targets[i]?.gid));
  return diffs;
}

export function totalCalls(stats: CallStats): number {
  return Object.values(stats.calls).reduce((a, b) => a + b, 0);
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
