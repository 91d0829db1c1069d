/**
 * What `plan` and `check` report per output: which keys would be added,
 * removed or changed, and mode/owner changes. Only key names, never a value
 * or a hash of one (a hash of a short secret is as good as the secret).
 */
import { statSync } from 'node:fs';
import { formatNamesOfKind, getFormat, type Format, type RenderContext } from './formats/index.js';
import type { RenderedOutput } from './render.js';
import { inspectTarget, type ChangeReason } from './files/write.js';
import { onChangePending } from './files/hooks.js';
import { own } from './records.js';

export interface OutputDiff {
  path: string;
  format: string;
  status: 'new' | 'changed' | 'unchanged';
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: number;
  /** Set when the current file cannot be compared key by key (template, or edited by hand). */
  opaque: boolean;
  /** The format that wrote the current file, when it is another one: every key is rewritten (all in `added`). */
  formatChangedFrom?: string;
  reasons: ChangeReason[];
  mode: { from: string | undefined; to: string };
  /** An earlier run's on_change failed; `write` will run it again. */
  hookPending: boolean;
}

export async function diffOutput(out: RenderedOutput, uid: number | undefined, gid: number | undefined): Promise<OutputDiff> {
  const inspection = await inspectTarget({ path: out.spec.path, content: out.content, mode: out.spec.mode, uid, gid });
  const format = getFormat(out.spec.format);
  const ctx = { outputPath: out.spec.path };
  // A raw output has no keys to compare: its one entry changes or not, by its bytes.
  const next = typeof out.content === 'string' ? (format.parse(out.content, ctx) ?? {}) : {};
  const diff: OutputDiff = {
    path: out.spec.path,
    format: out.spec.format,
    status: !inspection.changed ? 'unchanged' : inspection.current === undefined ? 'new' : 'changed',
    added: [],
    removed: [],
    changed: [],
    unchanged: 0,
    opaque: false,
    reasons: inspection.reasons,
    mode: { from: currentMode(out.spec.path), to: modeString(out.spec.mode) },
    hookPending: await onChangePending(out.spec),
  };
  if (format.kind === 'raw') {
    if (inspection.current === undefined) diff.added = out.keys;
    else if (inspection.reasons.includes('content')) diff.changed = out.keys;
    else diff.unchanged = out.keys.length;
    return diff;
  }
  if (inspection.current === undefined) {
    // A template has no key/value form to parse back; its keys are the rendered ones.
    diff.added = format.kind === 'template' ? out.keys : Object.keys(next);
    return diff;
  }
  if (format.kind === 'template') {
    diff.opaque = inspection.reasons.includes('content');
    return diff;
  }
  // Another format wrote this file: its reader's keys are not this reader's, so none are listed.
  const writer = keysWrittenBy(format, inspection.current, ctx) === undefined ? otherWriter(out.spec.format, inspection.current, ctx) : undefined;
  if (writer !== undefined) {
    Object.assign(diff, { formatChangedFrom: writer, added: Object.keys(next) });
    return diff;
  }
  // This format's file, possibly edited by hand: the keys its consumer reads in it.
  const current = format.parse(inspection.current, ctx);
  if (current === undefined) {
    diff.opaque = inspection.reasons.includes('content');
    return diff;
  }
  Object.assign(diff, compareKeys(current, next));
  return diff;
}

/**
 * The keys of the file on disk when `format` wrote it: read with its reader
 * and rendered back byte for byte. Another format's file read with this
 * reader can yield pieces of values as "keys" (a password inside a URL, a
 * line of a multi-line value), and key names are printed: a file that
 * another format would have written exactly is never read by this one.
 */
function keysWrittenBy(format: Format, text: string, ctx: RenderContext): Record<string, string> | undefined {
  const parsed = format.parse(text, ctx);
  if (parsed === undefined) return undefined;
  try {
    return format.render(Object.entries(parsed), ctx) === text ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Which other key/value format wrote this file, if one did (the manifest changed the output's format). */
function otherWriter(formatName: string, text: string, ctx: RenderContext): string | undefined {
  const candidates = formatNamesOfKind('keys').filter((name) => name !== formatName);
  return candidates.find((name) => keysWrittenBy(getFormat(name), text, ctx) !== undefined);
}

/** The key-by-key comparison of two parsed files. */
export function compareKeys(current: Record<string, string>, next: Record<string, string>): Pick<OutputDiff, 'added' | 'removed' | 'changed' | 'unchanged'> {
  const result = { added: [] as string[], removed: [] as string[], changed: [] as string[], unchanged: 0 };
  for (const key of Object.keys(next)) {
    if (!Object.hasOwn(current, key)) result.added.push(key);
    else if (own(current, key) !== own(next, key)) result.changed.push(key);
    else result.unchanged++;
  }
  result.removed = Object.keys(current).filter((k) => !Object.hasOwn(next, k));
  return result;
}

export function modeString(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

function currentMode(path: string): string | undefined {
  try {
    return modeString(statSync(path).mode & 0o7777);
  } catch {
    return undefined;
  }
}
