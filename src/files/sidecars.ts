/**
 * The files this tool keeps next to an output, all named by one scheme:
 * hidden, the output's own name first, then our mark, then what the file is.
 *
 *   .<name>.ssm-materialize.<namespace>.<pid>.<random>.tmp  a staged or backup copy (staging.ts)
 *   .<name>.ssm-materialize.pending                         an on_change hook still to run (hooks.ts)
 *   .<name>.ssm-materialize.fetched                         the last good fetch (lastgood.ts)
 *
 * One scheme, so that a listing of an output directory shows which files are
 * ours and whose, and so that stale-file cleanup can never take a marker for
 * a temp file. None of these files ever holds a value, except a temp file,
 * which is the output's next (or previous) content, 0600 from creation.
 */
import { basename, dirname, join } from 'node:path';

const MARK = '.ssm-materialize.';
const TEMP_SUFFIX = '.tmp';

function sidecar(outputPath: string, what: string): string {
  return join(dirname(outputPath), `.${basename(outputPath)}${MARK}${what}`);
}

/** Who made a temp file: a pid only means something in the pid namespace (and boot) it was taken in. */
export interface TempOwner {
  namespace: string;
  pid: number;
  /** Random hex, so that the name cannot be predicted and planted first. */
  random: string;
}

/** A temp (staged or backup) file of `outputPath`. */
export function tempSidecar(outputPath: string, owner: TempOwner): string {
  return sidecar(outputPath, `${owner.namespace}.${owner.pid}.${owner.random}${TEMP_SUFFIX}`);
}

/**
 * For a directory entry next to `outputPath`: what follows our mark when the
 * entry is one of its temp files (`<namespace>.<pid>.<random>.tmp`, or
 * `<pid>.<random>.tmp` from releases before namespaces were recorded);
 * undefined for anything else, markers included.
 */
export function tempSidecarRest(outputPath: string, entry: string): string | undefined {
  const prefix = `.${basename(outputPath)}${MARK}`;
  return entry.startsWith(prefix) && entry.endsWith(TEMP_SUFFIX) ? entry.slice(prefix.length) : undefined;
}

/** The marker of an on_change hook that has not succeeded yet (hooks.ts). */
export function pendingHookSidecar(outputPath: string): string {
  return sidecar(outputPath, 'pending');
}

/** The time of the output's last good fetch, for `--keep-last-good` (lastgood.ts). */
export function fetchedSidecar(outputPath: string): string {
  return sidecar(outputPath, 'fetched');
}
