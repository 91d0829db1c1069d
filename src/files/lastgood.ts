/**
 * Last-known-good, opt-in and loud (`write --keep-last-good MAX_AGE`): when
 * the failure decision (src/trust/failures.ts) says so, that is when every
 * failure of the run is an outage (a missing or denied parameter never
 * qualifies), outputs whose last successful fetch is younger
 * than MAX_AGE are kept as they are, each with a warning line and a JSON
 * `stale` event, and the run exits 0. Without an existing, young enough
 * output for every output of the manifest, the run fails as before.
 *
 * The time of the last successful fetch is recorded next to each output in
 * its `fetched` sidecar (sidecars.ts: a timestamp, never a value), written
 * only by runs that opted in, in the same transaction as the outputs.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { StoreUnavailableError, UsageError, type ToolError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { writeAll, type WriteRequest } from './write.js';
import { own } from '../records.js';
import { fetchedSidecar } from './sidecars.js';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `24h`, `7d`, or plain seconds. */
export function parseMaxAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (own(UNITS, m[2] || 's') ?? 1_000) : NaN;
  if (!(ms > 0)) throw new UsageError(`--keep-last-good ${JSON.stringify(text)}: expected an age such as 90s, 30m, 24h or 7d`);
  return ms;
}

interface FetchedMarker {
  fetched_at: string;
  /** Set while the output is kept although the store was unavailable; cleared by the next good fetch. */
  stale_since?: string;
}

function markerRequest(outputPath: string, marker: FetchedMarker): WriteRequest {
  return { path: fetchedSidecar(outputPath), content: JSON.stringify(marker) + '\n', mode: 0o600, uid: undefined, gid: undefined };
}

async function writeMarker(outputPath: string, marker: FetchedMarker): Promise<void> {
  await writeAll([{ request: markerRequest(outputPath, marker) }]);
}

/** For the run's transaction: every output's content is fresh as of `now`. */
export function fetchedMarkers(manifest: Manifest, now: Date): WriteRequest[] {
  return manifest.outputs.map((o) => markerRequest(o.path, { fetched_at: now.toISOString() }));
}

/** Mark kept outputs stale, so that `check` reports them until a good fetch. */
export async function recordStale(kept: KeptOutput[], now: Date): Promise<void> {
  for (const k of kept) await writeMarker(k.path, { fetched_at: k.fetchedAt, stale_since: k.staleSince ?? now.toISOString() });
}

/** For `check`/`plan`: an output kept by --keep-last-good and not fetched since. */
export function staleSince(outputPath: string): { fetchedAt: string; staleSince: string } | undefined {
  const m = readMarker(outputPath);
  return m?.stale_since ? { fetchedAt: m.fetched_at, staleSince: m.stale_since } : undefined;
}

export interface KeptOutput {
  path: string;
  fetchedAt: string;
  ageMs: number;
  staleSince: string | undefined;
}

/**
 * Decide whether every output may be kept. Returns them all, or throws the
 * original unavailability error with a hint naming each output that cannot
 * be kept (absent, never fetched with --keep-last-good, or too old).
 */
export function outputsToKeep(manifest: Manifest, maxAgeMs: number, now: Date, cause: ToolError): KeptOutput[] {
  const kept: KeptOutput[] = [];
  const refused: string[] = [];
  for (const o of manifest.outputs) {
    const marker = readMarker(o.path);
    const fetchedAt = marker ? new Date(marker.fetched_at) : undefined;
    if (!exists(o.path)) refused.push(`${o.path} does not exist`);
    else if (fetchedAt === undefined) refused.push(`${o.path} has no record of a successful fetch (${basename(fetchedSidecar(o.path))})`);
    else if (now.getTime() - fetchedAt.getTime() > maxAgeMs)
      refused.push(`${o.path} was last fetched ${describeAge(now.getTime() - fetchedAt.getTime())} ago, more than --keep-last-good allows`);
    else kept.push({ path: o.path, fetchedAt: fetchedAt.toISOString(), ageMs: now.getTime() - fetchedAt.getTime(), staleSince: marker?.stale_since });
  }
  if (refused.length) {
    throw new StoreUnavailableError(`${cause.message}\nand the last good outputs cannot be kept:\n${refused.map((r) => `  ${r}`).join('\n')}`, {
      hint: cause.hint,
      cause,
    });
  }
  return kept;
}

function readMarker(outputPath: string): FetchedMarker | undefined {
  try {
    const m = JSON.parse(readFileSync(fetchedSidecar(outputPath), 'utf8')) as Partial<FetchedMarker>;
    if (typeof m.fetched_at !== 'string' || Number.isNaN(new Date(m.fetched_at).getTime())) return undefined;
    return { fetched_at: m.fetched_at, ...(typeof m.stale_since === 'string' ? { stale_since: m.stale_since } : {}) };
  } catch {
    return undefined;
  }
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function describeAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}
