/**
 * One run, every step in order, on the store it is given:
 *
 *   load manifest -> check templates -> prepare targets -> plan the fetch
 *   -> fetch -> resolve keys -> render -> write | diff | hand the values over
 *
 * `write` ends in one all-or-nothing transaction (write.ts) plus the
 * hooks (hooks.ts); `plan`/`check` end in a diff per output and touch
 * nothing; `exec` takes the rendered outputs and needs no target on disk.
 * The CLI chooses the ending and prints; tests run the same function on an
 * in-memory store.
 */
import type { Logger } from './log.js';
import { loadManifest, parseManifest, type Manifest } from './manifest.js';
import { fetchSettled, planFetch, type Fetched, type FetchPlan } from './fetch.js';
import { resolveOutputs, type ResolvedOutput } from './resolve.js';
import { renderOutputs, type RenderedOutput } from './render.js';
import { prepareTargets, type TargetIds } from './files/targets.js';
import { OnChangeHooks, verifyHook } from './files/hooks.js';
import type { OutputError } from './errors.js';
import { checkTemplates } from './template-files.js';
import { decideFailures, failuresOf, KeepLastGood, type Failure } from './trust/failures.js';
import { fetchLocked, readLock, type LockFile } from './lockfile.js';
import { diffOutput, type OutputDiff } from './diff.js';
import type { CallStats, OpenedStore, StoreOpener } from './store.js';
import { regionsToTry } from './regions.js';
import { writeAll, type ChangeReason, type OutputWrite, type WriteRequest } from './files/write.js';

export interface PipelineOptions {
  /** Path of the manifest file. */
  manifest: string;
  /**
   * The manifest's text, when it comes from the caller rather than from the
   * file `manifest` (the library's `manifestText`): `manifest` then only names
   * it in messages, and `baseDir` anchors its relative paths.
   */
  manifestText?: { text: string; baseDir: string } | undefined;
  /** For `${VAR}` in the manifest and for hooks. */
  env: NodeJS.ProcessEnv;
  log: Logger;
  openStore: StoreOpener;
  /** `--region`: read from this region rather than the manifest's. */
  region?: string | undefined;
  /** `--fallback-region`: regions to read from, in order, when one is unavailable (else the manifest's `regions:`). */
  fallbackRegions?: string[] | undefined;
  /** `--locked FILE`: fetch exactly the versions this lock file records (lockfile.ts). */
  locked?: string | undefined;
  /** `write --keep-last-good`: an outage on every failing call may end in KeepLastGood (trust/failures.ts). */
  keepLastGood?: boolean | undefined;
  /**
   * `write` only: files that describe this run (the `--lock` file, the
   * last-good markers), staged and committed in the same transaction as the
   * outputs, so that none of them exists without the others.
   */
  companions?: ((run: { manifest: Manifest; plan: FetchPlan; fetched: Fetched }) => WriteRequest[]) | undefined;
}

/**
 * How the run ends: write the outputs, compare them with what is on disk, or
 * only resolve the values (exec: no file is written, so no file format may
 * refuse a value).
 */
export type Ending = 'write' | 'diff' | 'resolve';

export interface PipelineRun<T> {
  manifest: Manifest;
  stats: CallStats;
  outcome: T;
  /** What was asked for and what came back (names, versions; for `--lock`). */
  plan: FetchPlan;
  fetched: Fetched;
  /** The region every parameter came from (a fallback after an outage; the profile's or the instance's when they chose); undefined for a store without regions. */
  region: string | undefined;
}

export function runPipeline(ending: 'write', options: PipelineOptions): Promise<PipelineRun<OutputResult[]>>;
export function runPipeline(ending: 'diff', options: PipelineOptions): Promise<PipelineRun<OutputDiff[]>>;
export function runPipeline(ending: 'resolve', options: PipelineOptions): Promise<PipelineRun<ResolvedOutput[]>>;
export async function runPipeline(ending: Ending, options: PipelineOptions): Promise<PipelineRun<unknown>> {
  const { log, env } = options;
  const manifest = options.manifestText
    ? parseManifest(options.manifestText.text, options.manifest, env, options.manifestText.baseDir)
    : loadManifest(options.manifest, env);
  log.progress(
    'start',
    { manifest: manifest.file, outputs: manifest.outputs.length },
    `manifest ${manifest.file}: ${plural(manifest.outputs.length, 'output')}`,
  );
  checkTemplates(manifest);
  // Owners and directories are checked before any API call: fail fast and cheap.
  const targets = ending === 'resolve' ? [] : await prepareTargets(manifest, env);
  const { resolved, ...run } = await fetchAndResolve(manifest, options);
  switch (ending) {
    case 'write':
      return { manifest, ...run, outcome: await writeOutputs(renderOutputs(resolved), targets, env, options.companions?.({ manifest, ...run }) ?? []) };
    case 'diff':
      return { manifest, ...run, outcome: await diffOutputs(renderOutputs(resolved), targets) };
    case 'resolve':
      return { manifest, ...run, outcome: resolved };
  }
}

/**
 * Fetch everything the manifest names and assign the values to each output's
 * keys; each store is closed afterwards. Every parameter of a run comes from one
 * region. Whether a failed fetch stops the run, moves it to the next region
 * or keeps the last good outputs is decided in one place over every failure
 * of that region's fetch (trust/failures.ts): only an outage on every failing
 * call moves on; a missing or denied parameter always stops.
 */
async function fetchAndResolve(
  manifest: Manifest,
  options: PipelineOptions,
): Promise<{ resolved: ResolvedOutput[]; stats: CallStats; plan: FetchPlan; fetched: Fetched; region: string | undefined }> {
  const { openStore, log } = options;
  const lock = options.locked === undefined ? undefined : { file: options.locked, lock: readLock(options.locked) };
  const plan = planFetch(manifest);
  const regions = regionsToTry(manifest, options.region, options.fallbackRegions);
  for (const [i, region] of regions.entries()) {
    const store = await openStore(region);
    try {
      log.progress(
        'fetch_start',
        { names: plan.names.length, paths: plan.paths.length, region },
        `fetching ${plan.names.length} names and ${plan.paths.length} paths`,
      );
      const { fetched, failures } = lock ? await fetchLockedSettled(store, plan, lock, region) : await fetchSettled(store, plan, region);
      let resolved: ResolvedOutput[] | undefined;
      // Also on a partial fetch: what did answer may already say "missing" (a deleted parameter, an absent JSON field).
      if (fetched) {
        try {
          resolved = resolveOutputs(manifest, fetched);
        } catch (err) {
          failures.push(...failuresOf(err, region));
        }
      }
      const decision = decideFailures(failures, { nextRegion: regions[i + 1], keepLastGood: options.keepLastGood ?? false });
      switch (decision.action) {
        case 'stop':
          throw decision.error;
        case 'keep-last-good':
          throw new KeepLastGood(decision.cause);
        case 'fallback':
          log.degraded(
            'region_fallback',
            { from: region ?? 'default', to: decision.to, reason: decision.cause.message },
            `Parameter Store in ${region ?? 'the default region'} is unavailable; reading every parameter from ${decision.to} instead`,
          );
          continue;
        case 'proceed':
          break;
      }
      const readFrom = (await regionResolved(store)) ?? region;
      log.progress(
        'fetched',
        { names: fetched!.byName.size, calls: store.stats.calls, retries: store.stats.retries, throttled: store.stats.throttled, region: readFrom },
        `fetched ${fetched!.byName.size} names in ${totalCalls(store.stats)} calls (${store.stats.retries} retries, ${store.stats.throttled} throttled)`,
      );
      return { resolved: resolved!, stats: store.stats, plan, fetched: fetched!, region: readFrom };
    } finally {
      store.close();
    }
  }
  throw new Error('internal: no region to read from');
}

/**
 * The region the store's calls went to, as the SDK resolved it. A run that
 * made no call never needed one: asking then could wait on instance metadata.
 */
async function regionResolved(store: OpenedStore): Promise<string | undefined> {
  if (totalCalls(store.stats) === 0) return undefined;
  return store.region?.().catch(() => undefined);
}

/** `--locked`: the pinned versions, with its failures (a lock that does not fit is one) for the same decision. */
async function fetchLockedSettled(
  store: OpenedStore,
  plan: FetchPlan,
  lock: { file: string; lock: LockFile },
  region: string | undefined,
): Promise<{ fetched: Fetched | undefined; failures: Failure[] }> {
  try {
    return { fetched: await fetchLocked(store, plan, lock.lock, lock.file), failures: [] };
  } catch (err) {
    return { fetched: undefined, failures: failuresOf(err, region) };
  }
}

export interface OutputResult {
  path: string;
  format: string;
  keys: number;
  mode: number;
  uid: number | undefined;
  gid: number | undefined;
  /** The owner and group as the manifest gives them (names or ids), for the summary. */
  owner: string | undefined;
  group: string | undefined;
  changed: boolean;
  reasons: ChangeReason[];
  /** `retried`: the file did not change, but an earlier run's on_change had failed. */
  hook?: 'ran' | 'retried' | 'failed';
  /** Why the on_change hook failed (it stays pending for the next run). */
  hookError?: OutputError;
}

/**
 * Write every rendered output in one transaction (write.ts: all or none,
 * each `verify` run on its staged file), then run `on_change` for each
 * output that changed (hooks.ts). `targets[i]` belongs to `rendered[i]`.
 * `companions` (the lock, markers) join the same transaction, committed
 * after the outputs.
 */
async function writeOutputs(
  rendered: RenderedOutput[],
  targets: TargetIds[],
  env: NodeJS.ProcessEnv,
  companions: readonly WriteRequest[],
): Promise<OutputResult[]> {
  const specs = rendered.map((out) => out.spec);
  const writes: OutputWrite[] = rendered.map((out, i) => {
    const { uid, gid } = targets[i] ?? { uid: undefined, gid: undefined };
    return { request: { path: out.spec.path, content: out.content, mode: out.spec.mode, uid, gid }, verify: verifyHook(specs, i, env) };
  });
  const onChange = new OnChangeHooks(specs, env);
  const outcomes = await writeAll([...writes, ...companions.map((request) => ({ request }))], onChange.markPending);
  const hooks = await onChange.run();
  return outcomes.slice(0, rendered.length).map(({ request, changed, reasons }, i): OutputResult => {
    const out = rendered[i] as RenderedOutput;
    const result: OutputResult = {
      path: request.path,
      format: out.spec.format,
      keys: out.keys.length,
      mode: request.mode,
      uid: request.uid,
      gid: request.gid,
      owner: out.spec.owner,
      group: out.spec.group,
      changed,
      reasons,
    };
    const hook = hooks.get(i);
    if (hook) result.hook = hook.hook;
    if (hook?.error) result.hookError = hook.error;
    return result;
  });
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
