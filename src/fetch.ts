/**
 * What to fetch, and fetching it: the manifest's names and paths,
 * deduplicated across outputs, asked of the store in as few calls as it
 * batches them into. Whether a failed call stops the run is not decided here
 * (trust/failures.ts), only collected.
 */
import { StoreCallsFailed } from './errors.js';
import { decideFailures, failureKind, failuresOf, type Failure } from './trust/failures.js';
import type { Manifest } from './manifest.js';
import type { ParameterStore, StoredParameter } from './store.js';

/** What the manifest asks the store for, deduplicated across outputs. */
export interface FetchPlan {
  names: string[];
  paths: Array<{ path: string; recursive: boolean }>;
}

/** How a listed path is keyed in `Fetched.byPath` (and `unanswered.paths`): the same path listed flat and recursively are two lists. */
export function pathKey(p: { path: string; recursive: boolean }): string {
  return `${p.path}\0${p.recursive}`;
}

export function planFetch(manifest: Manifest): FetchPlan {
  const names = new Set<string>();
  const paths = new Map<string, { path: string; recursive: boolean }>();
  for (const output of manifest.outputs) {
    for (const v of output.values) names.add(v.parameter);
    for (const p of output.paths) paths.set(pathKey(p), { path: p.path, recursive: p.recursive });
  }
  return { names: [...names], paths: [...paths.values()] };
}

export interface Fetched {
  byName: Map<string, StoredParameter>;
  missing: Set<string>;
  byPath: Map<string, StoredParameter[]>;
  /**
   * Names and paths (`pathKey`) whose call failed: nothing is known
   * about them, not even whether they exist, so they are never reported
   * missing. Only set on a fetch with failures (fetchSettled).
   */
  unanswered?: { names: Set<string>; paths: Set<string> };
}

/** Fetch everything, or stop: failures go through the one decision (trust/failures.ts), which stops here. */
export async function fetchAll(store: ParameterStore, plan: FetchPlan, region?: string): Promise<Fetched> {
  const { fetched, failures } = await fetchSettled(store, plan, region);
  const decision = decideFailures(failures, { nextRegion: undefined, keepLastGood: false });
  if (decision.action === 'stop') throw decision.error;
  return fetched;
}

/**
 * Every call of the fetch runs to its end, whatever another one met: what
 * did answer (names missing included) and every failure, for the failure
 * decision, which must see the whole set.
 */
export async function fetchSettled(store: ParameterStore, plan: FetchPlan, region: string | undefined): Promise<{ fetched: Fetched; failures: Failure[] }> {
  const [got, ...lists] = await Promise.allSettled([
    plan.names.length ? store.get(plan.names) : Promise.resolve({ found: new Map<string, StoredParameter>(), missing: [] }),
    ...plan.paths.map((p) => store.list(p.path, p.recursive)),
  ]);
  const failures: Failure[] = [];
  const unanswered = { names: new Set<string>(), paths: new Set<string>() };
  const fetched: Fetched = { byName: new Map(), missing: new Set(), byPath: new Map() };
  if (got?.status === 'fulfilled') {
    fetched.byName = got.value.found;
    fetched.missing = new Set(got.value.missing);
  } else if (got) {
    for (const name of plan.names) unanswered.names.add(name);
    if (got.reason instanceof StoreCallsFailed) {
      // Answered missing by a call that worked: a fact, whatever the others met.
      fetched.missing = new Set(got.reason.missing);
      for (const name of got.reason.missing) unanswered.names.delete(name);
      failures.push(...got.reason.errors.map((error) => ({ kind: failureKind(error), region, error })));
    } else failures.push(...failuresOf(got.reason, region));
  }
  plan.paths.forEach((p, i) => {
    const key = pathKey(p);
    const list = lists[i];
    if (list?.status === 'fulfilled') fetched.byPath.set(key, list.value);
    else if (list) {
      unanswered.paths.add(key);
      failures.push(...failuresOf(list.reason, region));
    }
  });
  if (failures.length) fetched.unanswered = unanswered;
  return { fetched, failures };
}
