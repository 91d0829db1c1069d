/**
 * The steps of the pipeline, each a function of its inputs; src/pipeline.ts
 * runs them in order:
 *
 *   what to fetch -> fetch -> values per output -> render -> write (write.ts)
 *
 * Nothing touches disk until every parameter is fetched and every output is
 * rendered and verified by its consumer's parser; nothing becomes visible
 * until every output has staged.
 */
import { spawn } from 'node:child_process';
import { ManifestError, MissingParametersError, OutputError, ReservedKeyError, type RefusedKey, StoreCallsFailed, ToolError, ExitCode, UnrepresentableValueError } from './errors.js';
import { decideFailures, failureKind, failuresOf, type Failure } from './trust/failures.js';
import { getFormat, renderFileBytes } from './formats/index.js';
import { readTemplate } from './template-files.js';
import type { Entries, RenderContext } from './formats/types.js';
import type { Manifest, OutputSpec } from './manifest.js';
import { keyForPathParameter } from './names.js';
import { chosenKeys, expandJson, InvalidJsonValueError } from './expand.js';
import { shellQuote } from './formats/shell.js';
import { judgeUntrustedKey, type KeyPolicy } from './trust/keys.js';
import type { ParameterStore, StoredParameter } from './store.js';
import {
  checkTargetDirectory,
  clearHookPending,
  isHookPending,
  markHookPending,
  resolveGroup,
  resolveUser,
  writeAll,
  type ChangeReason,
  type OutputWrite,
  type WriteOutcome,
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
  /**
   * Names and paths (`path\0recursive`) whose call failed: nothing is known
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
    const key = `${p.path}\0${p.recursive}`;
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

/** One output with its final keys and values, in output order. */
export interface ResolvedOutput {
  spec: OutputSpec;
  entries: Array<[string, string]>;
  /** A `file` output whose parameter the store answered as bytes (a binary secret): exactly these. */
  bytes?: Buffer;
}

/**
 * Assign fetched values to keys. Every missing required parameter and every
 * key collision across all outputs is reported at once.
 */
export function resolveOutputs(manifest: Manifest, fetched: Fetched): ResolvedOutput[] {
  const problems = new ResolutionProblems();
  const resolved = manifest.outputs.map((spec) => resolveOutput(spec, fetched, problems));
  problems.throwIfAny(manifest.file);
  return resolved;
}

/** What resolving the outputs found wrong, collected across every output, thrown in a fixed order. */
class ResolutionProblems {
  readonly missing = new Set<string>();
  readonly missingFields: string[] = [];
  readonly invalidJson = new Set<string>();
  readonly reserved: RefusedKey[] = [];
  // Collisions and bad key names point at the manifest line that produced
  // the key (the `values` entry or the `paths` entry), so they read file:line.
  readonly collisions: Array<{ line: number; message: string }> = [];
  readonly badKeys: Array<{ line: number; message: string }> = [];
  readonly exposedSecrets: string[] = [];
  /** Parameters the store answered as bytes, used where only text fits. */
  readonly binary: string[] = [];

  throwIfAny(manifestFile: string): void {
    if (this.missing.size) throw new MissingParametersError([...this.missing]);
    if (this.binary.length) {
      throw new ToolError('binary_value', ExitCode.output, `the store answered these as bytes (binary secrets), which only a \`format: file\` output can hold:\n${this.binary.map((m) => `  ${m}`).join('\n')}`, {
        hint: 'write each to its own output with `format: file` (and no `decode`), or store the secret as a SecretString',
        details: { parameters: this.binary },
      });
    }
    if (this.missingFields.length) {
      throw new MissingParametersError(this.missingFields, {
        hint: 'add the fields to the JSON object in the parameter (or secret), or fix the field names under `json:` in the manifest',
      });
    }
    if (this.invalidJson.size) {
      const [first] = this.invalidJson;
      if (this.invalidJson.size === 1 && first !== undefined) throw new InvalidJsonValueError(first);
      throw new ToolError('invalid_json', ExitCode.output, `these values are not JSON objects, so their fields cannot be expanded:\n${[...this.invalidJson].map((n) => `  ${n}`).join('\n')}`, {
        hint: 'store a JSON object in each, or read them without `json:`',
      });
    }
    if (this.reserved.length) throw new ReservedKeyError(manifestFile, this.reserved);
    if (this.collisions.length) {
      throw new ManifestError(
        this.collisions.map(({ line, message }) => ({ file: manifestFile, line, message })),
        { hint: 'rename one of the parameters, or list it under `values` with its own key and narrow the path' },
      );
    }
    if (this.badKeys.length) {
      throw new ManifestError(
        this.badKeys.map(({ line, message }) => ({ file: manifestFile, line, message })),
        { hint: 'flat formats take environment-variable names (letters, digits and _, not starting with a digit): rename the key or the parameter, or use json/yaml' },
      );
    }
    if (this.exposedSecrets.length) {
      throw new ToolError('world_readable_secret', ExitCode.output, `refusing to put secrets in world-readable files:\n${this.exposedSecrets.map((m) => `  ${m}`).join('\n')}`, {
        hint: 'drop the read bit for others (mode "0600" or "0640" with a group), or set `world_readable_secrets: true` on the output if every user on the host may read them',
      });
    }
  }
}

/** One output's keys as they are assigned: where each came from, and which hold secrets. */
class OutputKeys {
  readonly entries: Array<[string, string]> = [];
  readonly source = new Map<string, string>();
  readonly lineOfKey = new Map<string, number>();
  readonly secretKeys: string[] = [];

  constructor(
    private readonly spec: OutputSpec,
    private readonly problems: ResolutionProblems,
  ) {}

  /** A key the manifest names under `values` (checked offline). */
  addNamed(key: string, value: string | undefined, from: string, line: number, secret: boolean): void {
    if (secret) this.secretKeys.push(key);
    if (value !== undefined) this.entries.push([key, value]);
    this.source.set(key, from);
    this.lineOfKey.set(key, line);
  }

  /**
   * A key the store named (from `paths:` or json "*"), or one expanded from
   * chosen fields (`entry` undefined: the author named it): the gate
   * (src/trust/keys.ts) judges a writer's key; a collision when taken.
   */
  addFromStore(key: string, value: string, from: string, line: number, entry: UntrustedEntry | undefined, secret: boolean): void {
    const verdict = entry ? judgeUntrustedKey(key, entry.policy) : { allowed: true as const };
    if (!verdict.allowed) {
      this.problems.reserved.push({ output: this.spec.path, key, parameter: from, line, family: verdict.family, optIn: verdict.optIn, entry: entry!.kind });
      return;
    }
    const earlier = this.source.get(key);
    if (earlier !== undefined) {
      this.problems.collisions.push({ line, message: `${this.spec.path}: key ${key} comes from both ${earlier} and ${from}` });
      return;
    }
    this.addNamed(key, value, from, line, secret);
  }
}

/** The manifest entry whose writer chose a key, with what it lets them choose. */
interface UntrustedEntry {
  kind: RefusedKey['entry'];
  policy: KeyPolicy;
}

function resolveOutput(spec: OutputSpec, fetched: Fetched, problems: ResolutionProblems): ResolvedOutput {
  const keys = new OutputKeys(spec, problems);
  let bytes: Buffer | undefined;
  for (const v of spec.values) {
    if (v.json) continue;
    const p = fetched.byName.get(v.parameter);
    // Bytes become a file's content as they are, and nothing else: never text, never a decoded value.
    if (p?.binary && spec.format === 'file' && spec.decode === undefined) bytes = p.binary;
    else if (p?.binary) problems.binary.push(`${p.name} (${spec.path}, format ${spec.format}${spec.decode ? `, decode: ${spec.decode}` : ''})`);
    if (!p && !v.optional && !fetched.unanswered?.names.has(v.parameter)) problems.missing.add(v.parameter);
    keys.addNamed(v.key, p ? p.value : v.optional ? (v.default ?? '') : undefined, v.parameter, v.line, p?.type === 'SecureString');
  }
  // After the named keys, so that an expanded key that repeats one is a collision.
  for (const v of spec.values) if (v.json) expandValue(v, spec, fetched, keys, problems);
  for (const path of spec.paths) {
    const list = fetched.byPath.get(`${path.path}\0${path.recursive}`) ?? [];
    // A store answers an unknown path with an empty list, not an error:
    // "expected something, got nothing" is ours to catch.
    if (list.length === 0 && !path.optional && !fetched.unanswered?.paths.has(`${path.path}\0${path.recursive}`)) problems.missing.add(`${path.path}/${path.recursive ? '**' : '*'} (no parameters under this path)`);
    for (const p of [...list].sort((a, b) => a.name.localeCompare(b.name))) {
      if (p.binary) {
        problems.binary.push(`${p.name} (${spec.path}, under ${path.path})`);
        continue;
      }
      const key = (path.keyPrefix ?? '') + keyForPathParameter(path.path, p.name);
      const entry: UntrustedEntry = { kind: 'path', policy: { allowKeys: path.allowKeys, keys: path.keys } };
      keys.addFromStore(key, p.value, p.name, path.line || spec.line, entry, p.type === 'SecureString');
    }
  }
  // The store says which values are secrets; a file every user can read must not hold one by accident.
  if (spec.mode & 0o004 && keys.secretKeys.length && !spec.worldReadableSecrets) {
    problems.exposedSecrets.push(`${spec.path} (mode ${spec.mode.toString(8).padStart(4, '0')}) would receive SecureString values: ${keys.secretKeys.join(', ')}`);
  }
  // `values` keys (and chosen json keys) were checked offline by parseManifest; keys from `paths` and json "*" are only known now.
  const valueKeys = new Set(spec.values.flatMap((v) => chosenKeys(v.json) ?? (v.json ? [] : [v.key])));
  const storeKeys = keys.entries.map(([k]) => k).filter((k) => !valueKeys.has(k));
  for (const key of getFormat(spec.format).invalidKeys(storeKeys)) {
    problems.badKeys.push({ line: keys.lineOfKey.get(key) || spec.line, message: `${spec.path}: key ${JSON.stringify(key)} (from ${keys.source.get(key)}) is not a valid name for format ${spec.format}` });
  }
  return bytes ? { spec, entries: keys.entries, bytes } : { spec, entries: keys.entries };
}

/** A `json:` value split into keys: its missing fields and a value that is no JSON object are problems, reported with the others. */
function expandValue(v: OutputSpec['values'][number], spec: OutputSpec, fetched: Fetched, keys: OutputKeys, problems: ResolutionProblems): void {
  const p = fetched.byName.get(v.parameter);
  if (!p) {
    if (!fetched.unanswered?.names.has(v.parameter)) problems.missing.add(v.parameter);
    return;
  }
  if (p.binary) {
    problems.binary.push(`${p.name} (${spec.path}, json:)`);
    return;
  }
  let expanded;
  try {
    expanded = expandJson(v.parameter, p.value, v.json!, v.key, getFormat(spec.format).nests);
  } catch (err) {
    if (!(err instanceof InvalidJsonValueError)) throw err;
    problems.invalidJson.add(v.parameter);
    return;
  }
  for (const field of expanded.missingFields) problems.missingFields.push(`${v.parameter}: field ${JSON.stringify(field)}`);
  // Under "*" the value's writer names the keys, as under paths: the same gate judges them.
  const entry: UntrustedEntry | undefined = v.json!.kind === 'all' ? { kind: 'json', policy: { allowKeys: v.allowKeys ?? [] } } : undefined;
  for (const [key, value] of expanded.entries) keys.addFromStore(key, value, v.parameter, v.line || spec.line, entry, p.type === 'SecureString');
}

export interface RenderedOutput {
  spec: OutputSpec;
  /** Text for every format; bytes for `file`, which may hold binary (decode: base64). */
  content: string | Buffer;
  keys: string[];
}

/** Render every output in memory; every unrepresentable key in every output is reported at once. */
export function renderOutputs(resolved: ResolvedOutput[]): RenderedOutput[] {
  const failures: Array<{ path: string; error: UnrepresentableValueError }> = [];
  const rendered: RenderedOutput[] = [];
  for (const { spec, entries, bytes } of resolved) {
    try {
      const content = renderOne(spec, entries, bytes);
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
      details: { outputs: failures.map((f) => ({ path: f.path, format: f.error.format, keys: f.error.keys })) },
    });
  }
  return rendered;
}

/**
 * One output's content from its entries (key names were checked by
 * parseManifest for `values` and resolveOutputs for `paths`). Throws
 * UnrepresentableValueError naming the keys a format cannot write.
 */
export function renderOne(spec: OutputSpec, entries: Entries, bytes?: Buffer): string | Buffer {
  const ctx: RenderContext = { outputPath: spec.path };
  if (spec.template) ctx.template = { path: spec.template, text: readTemplate(spec.template) };
  return spec.format === 'file' ? (bytes ?? renderFileBytes(entries, spec.decode)) : getFormat(spec.format).render(entries, ctx);
}

/** The numeric owner and group of one output; undefined = as the process creates files. */
export interface TargetIds {
  uid: number | undefined;
  gid: number | undefined;
}

/**
 * Resolve owners and check directories before any API call: fail fast and
 * cheap. Every unknown user and group of every output is reported at once.
 * One entry per output, in manifest order.
 */
export async function prepareTargets(manifest: Manifest, env: NodeJS.ProcessEnv = process.env): Promise<TargetIds[]> {
  const ids: TargetIds[] = [];
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
    ids.push({ uid, gid });
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
 * Write every rendered output in one transaction (write.ts: all or none,
 * each `verify` run on its staged file), then run `on_change` for each
 * output that changed. `targets[i]` belongs to `rendered[i]`. `companions`
 * (the lock, markers) join the same transaction, committed after the outputs.
 */
export async function writeOutputs(rendered: RenderedOutput[], targets: TargetIds[], env: NodeJS.ProcessEnv, companions: readonly WriteRequest[] = []): Promise<OutputResult[]> {
  const writes: OutputWrite[] = rendered.map((out, i) => {
    const { uid, gid } = targets[i] ?? { uid: undefined, gid: undefined };
    const verify = out.spec.verify;
    return {
      request: { path: out.spec.path, content: out.content, mode: out.spec.mode, uid, gid },
      verify: verify ? (tempPath: string, staged: readonly string[]) => runHook('verify', verify, out.spec.path, tempPath, { ...env, ...stagedPathsEnv(rendered, staged) }) : undefined,
    };
  });
  const hooks: Array<{ index: number; retry: boolean }> = [];
  const outcomes = await writeAll([...writes, ...companions.map((request) => ({ request }))], (staged) => markPendingHooks(rendered, staged, hooks));
  const results = outcomes.slice(0, rendered.length).map(({ request, changed, reasons }, i): OutputResult => {
    const out = rendered[i] as RenderedOutput;
    return { path: request.path, format: out.spec.format, keys: out.keys.length, mode: request.mode, uid: request.uid, gid: request.gid, owner: out.spec.owner, group: out.spec.group, changed, reasons };
  });
  // Every hook runs, whatever happened to the others; a failed one stays pending.
  for (const { index, retry } of hooks) {
    const spec = (rendered[index] as RenderedOutput).spec;
    const result = results[index] as OutputResult;
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
 * Where each output's next content is during verify (`staged[i]`: its temp
 * file when it changed, else the output itself), in three families that no
 * file name can make overlap: `SSM_MATERIALIZE_STAGED_COUNT`,
 * `SSM_MATERIALIZE_STAGED_<n>` for the n-th output of the manifest (from 0),
 * and `SSM_MATERIALIZE_STAGED_FILE_<NAME>` by the file name (upper-cased,
 * other characters as `_`: `tls.crt` -> `TLS_CRT`) when no other output's
 * file name gives the same NAME. The earlier `SSM_MATERIALIZE_STAGED_<NAME>`
 * is still set where it cannot be taken for another family's variable (an
 * output named `count` or `1` would have overwritten them). Paths come from
 * the manifest and our temp names, never from a value.
 */
export function stagedPathsEnv(rendered: readonly RenderedOutput[], staged: readonly string[]): Record<string, string> {
  const env = new Map<string, string>([['SSM_MATERIALIZE_STAGED_COUNT', String(rendered.length)]]);
  const byName = new Map<string, string[]>();
  rendered.forEach((out, i) => {
    const path = staged[i] ?? out.spec.path;
    env.set(`SSM_MATERIALIZE_STAGED_${i}`, path);
    const name = stagedName(out.spec.path);
    byName.set(name, [...(byName.get(name) ?? []), path]);
  });
  for (const [name, paths] of byName) {
    if (paths.length !== 1 || paths[0] === undefined) continue;
    env.set(`SSM_MATERIALIZE_STAGED_FILE_${name}`, paths[0]);
    if (!/^(COUNT|\d+|FILE_.*)$/.test(name)) env.set(`SSM_MATERIALIZE_STAGED_${name}`, paths[0]);
  }
  return Object.fromEntries(env);
}

function stagedName(outputPath: string): string {
  return (outputPath.split('/').pop() ?? '').replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
}

/**
 * Between staging and commit: every output with an `on_change` that changed,
 * or whose hook failed in an earlier run, gets a pending marker before the
 * swap, so a run killed between the rename and the hook still leaves the hook
 * to the next run. Returns how to remove the markers this run created, should
 * the commit fail.
 */
async function markPendingHooks(rendered: RenderedOutput[], staged: readonly WriteOutcome[], hooks: Array<{ index: number; retry: boolean }>): Promise<() => Promise<void>> {
  const created: string[] = [];
  const undo = async (): Promise<void> => {
    await Promise.all(created.map(clearHookPending));
  };
  try {
    for (const [index, out] of rendered.entries()) {
      if (!out.spec.onChange) continue;
      const changed = staged[index]?.changed ?? false;
      if (!changed && !(await isHookPending(out.spec.path))) continue;
      hooks.push({ index, retry: !changed });
      if (await markHookPending(out.spec.path)) created.push(out.spec.path);
    }
  } catch (err) {
    await undo();
    throw err;
  }
  return undo;
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
