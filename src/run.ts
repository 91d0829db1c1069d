/**
 * The pipeline, top to bottom:
 *
 *   manifest -> what to fetch -> fetch -> values per output -> render -> stage -> commit
 *
 * Nothing touches disk until every parameter is fetched and every output is
 * rendered and verified by its consumer's parser; nothing becomes visible
 * until every output has staged.
 */
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { ManifestError, MissingParametersError, OutputError, ToolError, ExitCode, UnrepresentableValueError, type ManifestProblem } from './errors.js';
import { getFormat, templateKeys } from './formats/index.js';
import type { Entries, RenderContext } from './formats/types.js';
import type { Manifest, OutputSpec } from './manifest.js';
import { keyForPathParameter } from './names.js';
import { shellQuote } from './formats/shell.js';
import type { ParameterStore, StoredParameter } from './store.js';
import {
  checkTargetDirectory,
  clearHookPending,
  commit,
  discard,
  dropBackup,
  keepOld,
  restore,
  inspectTarget,
  isHookPending,
  markHookPending,
  removeStaleTempFiles,
  resolveGroup,
  resolveUser,
  stage,
  type ChangeReason,
  type KeptTarget,
  type StagedFile,
  type WriteRequest,
} from './write.js';

/** What the manifest asks the store for, deduplicated across outputs. */
export interface FetchPlan {
  names: string[];
  paths: Array<{ path: string; recursive: boolean }>;
}

export function planFetch(manifest: Manifest): FetchPlan {
  const names = new Set<string>();
  const paths = new Map<string, { path: string; recursive: boolean }>();
  for (const output of manifest.outputs) {
    for (const v of output.values) names.add(v.parameter);
    for (const p of output.paths) paths.set(`${p.path}\0${p.recursive}`, { path: p.path, recursive: p.recursive });
  }
  return { names: [...names], paths: [...paths.values()] };
}

export interface Fetched {
  byName: Map<string, StoredParameter>;
  missing: Set<string>;
  byPath: Map<string, StoredParameter[]>;
}

export async function fetchAll(store: ParameterStore, plan: FetchPlan): Promise<Fetched> {
  const [got, lists] = await Promise.all([
    plan.names.length ? store.get(plan.names) : Promise.resolve({ found: new Map<string, StoredParameter>(), missing: [] }),
    Promise.all(plan.paths.map((p) => store.list(p.path, p.recursive))),
  ]);
  const byPath = new Map<string, StoredParameter[]>();
  plan.paths.forEach((p, i) => byPath.set(`${p.path}\0${p.recursive}`, lists[i] ?? []));
  return { byName: got.found, missing: new Set(got.missing), byPath };
}

/** One output with its final keys and values, in output order. */
export interface ResolvedOutput {
  spec: OutputSpec;
  entries: Array<[string, string]>;
}

/**
 * Assign fetched values to keys. Every missing required parameter and every
 * key collision across all outputs is reported at once.
 */
export function resolveOutputs(manifest: Manifest, fetched: Fetched): ResolvedOutput[] {
  const missing = new Set<string>();
  // Collisions and bad key names point at the manifest line that produced
  // the key (the `values` entry or the `paths` entry), so they read file:line.
  const collisions: Array<{ line: number; message: string }> = [];
  const badKeys: Array<{ line: number; message: string }> = [];
  const exposedSecrets: string[] = [];
  const resolved = manifest.outputs.map((spec) => {
    const entries: Array<[string, string]> = [];
    const source = new Map<string, string>();
    const lineOfKey = new Map<string, number>();
    const secretKeys: string[] = [];
    for (const v of spec.values) {
      const p = fetched.byName.get(v.parameter);
      if (p?.type === 'SecureString') secretKeys.push(v.key);
      if (p) entries.push([v.key, p.value]);
      else if (v.optional) entries.push([v.key, v.default ?? '']);
      else missing.add(v.parameter);
      source.set(v.key, v.parameter);
      lineOfKey.set(v.key, v.line);
    }
    for (const path of spec.paths) {
      const list = fetched.byPath.get(`${path.path}\0${path.recursive}`) ?? [];
      // A store answers an unknown path with an empty list, not an error:
      // "expected something, got nothing" is ours to catch.
      if (list.length === 0 && !path.optional) missing.add(`${path.path}/${path.recursive ? '**' : '*'} (no parameters under this path)`);
      for (const p of [...list].sort((a, b) => a.name.localeCompare(b.name))) {
        const key = keyForPathParameter(path.path, p.name);
        const earlier = source.get(key);
        if (earlier !== undefined) {
          collisions.push({ line: path.line || spec.line, message: `${spec.path}: key ${key} comes from both ${earlier} and ${p.name}` });
          continue;
        }
        source.set(key, p.name);
        lineOfKey.set(key, path.line || spec.line);
        entries.push([key, p.value]);
        if (p.type === 'SecureString') secretKeys.push(key);
      }
    }
    // The store says which values are secrets; a file every user can read must not hold one by accident.
    if (spec.mode & 0o004 && secretKeys.length && !spec.worldReadableSecrets) {
      exposedSecrets.push(`${spec.path} (mode ${spec.mode.toString(8).padStart(4, '0')}) would receive SecureString values: ${secretKeys.join(', ')}`);
    }
    for (const key of getFormat(spec.format).invalidKeys(entries.map(([k]) => k))) {
      badKeys.push({ line: lineOfKey.get(key) || spec.line, message: `${spec.path}: key ${JSON.stringify(key)} (from ${source.get(key)}) is not a valid name for format ${spec.format}` });
    }
    return { spec, entries };
  });
  if (missing.size) throw new MissingParametersError([...missing]);
  if (collisions.length) {
    throw new ManifestError(
      collisions.map(({ line, message }) => ({ file: manifest.file, line, message })),
      { hint: 'rename one of the parameters, or list it under `values` with its own key and narrow the path' },
    );
  }
  if (badKeys.length) {
    throw new ManifestError(
      badKeys.map(({ line, message }) => ({ file: manifest.file, line, message })),
      { hint: 'flat formats take environment-variable names (letters, digits and _, not starting with a digit): rename the key or the parameter, or use json/yaml' },
    );
  }
  if (exposedSecrets.length) {
    throw new ToolError('world_readable_secret', ExitCode.output, `refusing to put secrets in world-readable files:\n${exposedSecrets.map((m) => `  ${m}`).join('\n')}`, {
      hint: 'drop the read bit for others (mode "0600" or "0640" with a group), or set `world_readable_secrets: true` on the output if every user on the host may read them',
    });
  }
  return resolved;
}

export interface RenderedOutput {
  spec: OutputSpec;
  content: string;
  keys: string[];
}

/** Render every output in memory; every unrepresentable key in every output is reported at once. */
export function renderOutputs(resolved: ResolvedOutput[]): RenderedOutput[] {
  const failures: Array<{ path: string; error: UnrepresentableValueError }> = [];
  const rendered: RenderedOutput[] = [];
  for (const { spec, entries } of resolved) {
    const format = getFormat(spec.format);
    const badKeys = format.invalidKeys(entries.map(([key]) => key));
    if (badKeys.length) {
      throw new ManifestError(
        badKeys.map((k) => ({ file: spec.path, line: 0, message: `key ${JSON.stringify(k)} is not a valid name for format ${spec.format}` })),
        { hint: format.nests ? undefined : 'flat formats take environment-variable names: letters, digits and _, not starting with a digit' },
      );
    }
    const ctx: RenderContext = { outputPath: spec.path };
    if (spec.template) ctx.template = { path: spec.template, text: readTemplate(spec.template) };
    try {
      const content = format.render(entries as Entries, ctx);
      rendered.push({ spec, content, keys: entries.map(([k]) => k) });
    } catch (err) {
      if (err instanceof UnrepresentableValueError) failures.push({ path: spec.path, error: err });
      else throw err;
    }
  }
  if (failures.length) {
    // One error for all outputs, each line naming the file, format and keys.
    throw new ToolError('unrepresentable_value', ExitCode.output, failures.map((f) => `${f.path}: ${f.error.message}`).join('\n'), {
      hint: failures[0]?.error.hint,
      cause: failures[0]?.error,
    });
  }
  return rendered;
}

function readTemplate(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ManifestError([{ file: path, line: 0, message: `cannot read template (${(err as NodeJS.ErrnoException).code ?? String(err)})` }], { cause: err });
  }
}

/**
 * Offline check of template outputs: the template parses, and every
 * placeholder names a key the output defines. (With `paths`, keys are only
 * known after the fetch; the renderer catches those.)
 */
export function checkTemplates(manifest: Manifest): void {
  const problems: ManifestProblem[] = [];
  for (const spec of manifest.outputs) {
    if (!spec.template) continue;
    const text = readTemplate(spec.template);
    let used: string[];
    try {
      used = templateKeys(text, spec.template);
    } catch (err) {
      if (err instanceof ManifestError) problems.push(...err.problems);
      else throw err;
      continue;
    }
    if (spec.paths.length) continue;
    const defined = new Set(spec.values.map((v) => v.key));
    for (const key of used.filter((k) => !defined.has(k))) {
      problems.push({ file: manifest.file, line: spec.line, message: `template ${spec.template} uses {{ ${key} }}, which this output does not define under \`values\`` });
    }
  }
  if (problems.length) throw new ManifestError(problems);
}

/**
 * Resolve owners and check directories before any API call: fail fast and
 * cheap. Every unknown user and group of every output is reported at once.
 */
export async function prepareTargets(manifest: Manifest, env: NodeJS.ProcessEnv = process.env): Promise<Map<OutputSpec, { uid: number | undefined; gid: number | undefined }>> {
  const ids = new Map<OutputSpec, { uid: number | undefined; gid: number | undefined }>();
  const unknown: OutputError[] = [];
  const resolveOrCollect = async (resolve: () => Promise<number | undefined>, path: string): Promise<number | undefined> => {
    try {
      return await resolve();
    } catch (err) {
      if (!(err instanceof OutputError)) throw err;
      unknown.push(new OutputError(path, err.message, { hint: err.hint, cause: err }));
      return undefined;
    }
  };
  for (const spec of manifest.outputs) {
    await checkTargetDirectory(spec.path);
    const uid = await resolveOrCollect(() => resolveUser(spec.owner, env), spec.path);
    const gid = await resolveOrCollect(() => resolveGroup(spec.group, env), spec.path);
    ids.set(spec, { uid, gid });
  }
  if (unknown.length === 1) throw unknown[0];
  if (unknown.length) {
    throw new ToolError('output_failed', ExitCode.output, `${unknown.length} owners or groups do not exist:\n${unknown.map((e) => `  ${e.message}`).join('\n')}`, {
      hint: unknown[0]?.hint,
    });
  }
  return ids;
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
 * Stage every changed output (temp file + verify), then commit them all.
 * Any failure before the commits discards every temp file: no output changes.
 */
export async function writeOutputs(
  rendered: RenderedOutput[],
  ids: Map<OutputSpec, { uid: number | undefined; gid: number | undefined }>,
  env: NodeJS.ProcessEnv,
): Promise<OutputResult[]> {
  const results: OutputResult[] = [];
  const staged: Array<{ file: StagedFile; out: RenderedOutput }> = [];
  const hooks: Array<{ spec: OutputSpec; result: OutputResult; retry: boolean }> = [];
  try {
    for (const out of rendered) {
      const id = ids.get(out.spec) ?? { uid: undefined, gid: undefined };
      const req: WriteRequest = { path: out.spec.path, content: out.content, mode: out.spec.mode, uid: id.uid, gid: id.gid };
      await removeStaleTempFiles(req.path);
      const inspection = await inspectTarget(req);
      const result: OutputResult = { path: req.path, format: out.spec.format, keys: out.keys.length, mode: req.mode, uid: id.uid, gid: id.gid, owner: out.spec.owner, group: out.spec.group, changed: inspection.changed, reasons: inspection.reasons };
      results.push(result);
      if (out.spec.onChange && (inspection.changed || (await isHookPending(req.path)))) hooks.push({ spec: out.spec, result, retry: !inspection.changed });
      if (!inspection.changed) continue;
      const file = await stage(req);
      staged.push({ file, out });
      if (out.spec.verify) await runHook('verify', out.spec.verify, out.spec.path, file.tempPath, env);
    }
  } catch (err) {
    await Promise.all(staged.map((s) => discard(s.file)));
    throw err;
  }
  // Marked pending before the swap: a run killed between the rename and the
  // hook still leaves the hook to the next run.
  const newMarkers: string[] = [];
  try {
    for (const h of hooks) if (await markHookPending(h.spec.path)) newMarkers.push(h.spec.path);
  } catch (err) {
    await Promise.all([...staged.map((s) => discard(s.file)), ...newMarkers.map(clearHookPending)]);
    throw err;
  }
  // A rename can still fail (EIO, a read-only remount, something put at the
  // path meanwhile). Then put back the outputs already replaced, newest
  // first, and leave no temp file behind: a failed run leaves every output
  // as it was (found by test/reliability/crash.test.ts, "a commit that fails midway").
  const replaced: KeptTarget[] = [];
  for (const [i, { file }] of staged.entries()) {
    const kept = await keepOld(file.request.path);
    try {
      await commit(file);
      replaced.push(kept);
    } catch (err) {
      if (file.renamed) replaced.push(kept);
      else await dropBackup(kept);
      await Promise.all(staged.slice(i + 1).map((s) => discard(s.file)));
      for (const k of replaced.reverse()) await restore(k);
      await Promise.all(newMarkers.map(clearHookPending));
      throw err;
    }
  }
  await Promise.all(replaced.map(dropBackup));
  // Every hook runs, whatever happened to the others; a failed one stays pending.
  for (const { spec, result, retry } of hooks) {
    try {
      await runHook('on_change', spec.onChange ?? '', spec.path, spec.path, env);
      await clearHookPending(spec.path);
      result.hook = retry ? 'retried' : 'ran';
    } catch (err) {
      if (!(err instanceof OutputError)) throw err;
      result.hook = 'failed';
      result.hookError = err;
    }
  }
  return results;
}

/**
 * Run a user command through `sh -c`, with the file as `$1` and in
 * SSM_MATERIALIZE_FILE. Values never go on its command line. Its output is
 * not shown: a verifier may echo the content it checks.
 */
export function runHook(kind: 'verify' | 'on_change', command: string, outputPath: string, file: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command, `ssm-materialize-${kind}`, file], {
      stdio: ['ignore', 'ignore', 'ignore'],
      env: { ...env, SSM_MATERIALIZE_FILE: file, SSM_MATERIALIZE_OUTPUT: outputPath },
    });
    child.on('error', (err) => reject(new OutputError(outputPath, `${kind} command could not start: ${err.message}`, { cause: err })));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
      // Single-quoted words, so that the line is valid shell when pasted, whatever the command holds.
      const hint = `run it by hand to see its output: SSM_MATERIALIZE_FILE=${shellQuote(outputPath)} sh -c ${shellQuote(command)} ssm-materialize-${kind} ${shellQuote(outputPath)}`;
      reject(
        new OutputError(
          outputPath,
          kind === 'verify' ? `verify command ${how}; the new content was not installed and the old file is unchanged` : `on_change command ${how} (the new file is in place)`,
          { hint },
        ),
      );
    });
  });
}
