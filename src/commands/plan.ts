/**
 * `plan` and `check`: fetch and render, write nothing, and say per output
 * which keys would be added, removed or changed. Only key names appear, never
 * a value or a hash of one (a hash of a short secret is as good as the secret).
 */
import { ExitCode } from '../errors.js';
import { getFormat } from '../formats/index.js';
import type { Logger } from '../log.js';
import { prepareTargets, type RenderedOutput } from '../run.js';
import { inspectTarget, isHookPending, type ChangeReason } from '../write.js';
import { fetchAndRender, modeString, type ManifestArgs } from './common.js';
import { statSync } from 'node:fs';

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
  reasons: ChangeReason[];
  mode: { from: string | undefined; to: string };
  /** An earlier run's on_change failed; `write` will run it again. */
  hookPending: boolean;
}

export async function planCommand(args: ManifestArgs, env: NodeJS.ProcessEnv, log: Logger, mode: 'plan' | 'check'): Promise<number> {
  let ids: Awaited<ReturnType<typeof prepareTargets>> = new Map();
  const { rendered } = await fetchAndRender(args, env, log, async (manifest) => {
    ids = await prepareTargets(manifest, env);
  });
  const diffs: OutputDiff[] = [];
  for (const out of rendered) {
    const id = ids.get(out.spec) ?? { uid: undefined, gid: undefined };
    diffs.push(await diffOutput(out, id.uid, id.gid));
  }
  for (const d of diffs) log.result('plan_output', { ...d }, describe(d));
  const pending = diffs.filter((d) => d.status !== 'unchanged' || d.hookPending).length;
  log.result(
    mode === 'check' ? 'check' : 'plan',
    { outputs: diffs.length, would_change: pending },
    pending === 0 ? `up to date: ${diffs.length} output${diffs.length === 1 ? '' : 's'}` : `${pending} of ${diffs.length} output${diffs.length === 1 ? '' : 's'} would change`,
  );
  return mode === 'check' && pending > 0 ? ExitCode.changed : ExitCode.ok;
}

export async function diffOutput(out: RenderedOutput, uid: number | undefined, gid: number | undefined): Promise<OutputDiff> {
  const inspection = await inspectTarget({ path: out.spec.path, content: out.content, mode: out.spec.mode, uid, gid });
  const format = getFormat(out.spec.format);
  const ctx = { outputPath: out.spec.path };
  const next = format.parse(out.content, ctx) ?? {};
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
    hookPending: out.spec.onChange !== undefined && (await isHookPending(out.spec.path)),
  };
  if (inspection.current === undefined) {
    // A template has no key/value form to parse back; its keys are the rendered ones.
    diff.added = out.spec.format === 'template' ? out.keys : Object.keys(next);
    return diff;
  }
  const current = format.parse(inspection.current, ctx);
  if (current === undefined || out.spec.format === 'template') {
    diff.opaque = inspection.reasons.includes('content');
    return diff;
  }
  for (const key of Object.keys(next)) {
    if (!Object.hasOwn(current, key)) diff.added.push(key);
    else if (current[key] !== next[key]) diff.changed.push(key);
    else diff.unchanged++;
  }
  diff.removed = Object.keys(current).filter((k) => !Object.hasOwn(next, k));
  return diff;
}

function currentMode(path: string): string | undefined {
  try {
    return modeString(statSync(path).mode & 0o7777);
  } catch {
    return undefined;
  }
}

function describe(d: OutputDiff): string {
  if (d.status === 'unchanged' && d.hookPending) return `! ${d.path} (${d.format}): up to date, ${d.unchanged} keys; its on_change failed earlier and runs again on the next write`;
  if (d.status === 'unchanged') return `= ${d.path} (${d.format}): up to date, ${d.unchanged} keys`;
  if (d.status === 'new') return [`+ ${d.path} (${d.format}): new file, mode ${d.mode.to}, ${d.added.length} keys`, ...d.added.map((k) => `    + ${k}`)].join('\n');
  const parts = [`${d.added.length} added`, `${d.removed.length} removed`, `${d.changed.length} changed`, `${d.unchanged} unchanged`];
  const extra: string[] = [];
  if (d.opaque) extra.push('content differs (not comparable key by key)');
  if (d.reasons.includes('mode')) extra.push(`mode ${d.mode.from} -> ${d.mode.to}`);
  if (d.reasons.includes('owner')) extra.push('owner/group changes');
  return [
    `~ ${d.path} (${d.format}): ${parts.join(', ')}${extra.length ? `; ${extra.join('; ')}` : ''}`,
    ...d.added.map((k) => `    + ${k}`),
    ...d.removed.map((k) => `    - ${k}`),
    ...d.changed.map((k) => `    ~ ${k}`),
  ].join('\n');
}
