/**
 * Values per output: each fetched value assigned to its output's keys, every
 * key a parameter writer chose (under `paths:`, json "*") judged by the gate
 * (src/trust/keys.ts), and everything that does not fit (missing, bytes where
 * text is needed, collisions, bad key names, secrets in a world-readable
 * file) reported at once, by name, never by value.
 */
import { ManifestError, MissingParametersError, ReservedKeyError, type RefusedKey, ToolError, ExitCode } from './errors.js';
import { getFormat } from './formats/index.js';
import type { Manifest, OutputSpec } from './manifest.js';
import { keyForPathParameter } from './names.js';
import { chosenKeys, expandJson, InvalidJsonValueError } from './expand.js';
import { judgeUntrustedKey, type KeyPolicy } from './trust/keys.js';
import { pathKey, type Fetched } from './fetch.js';

/** One output with its final keys and values, in output order. */
export interface ResolvedOutput {
  spec: OutputSpec;
  entries: Array<[string, string]>;
  /** A raw output (`file`) whose parameter the store answered as bytes (a binary secret): exactly these. */
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
      throw new ToolError(
        'binary_value',
        ExitCode.output,
        `the store answered these as bytes (binary secrets), which only a \`format: file\` output can hold:\n${this.binary.map((m) => `  ${m}`).join('\n')}`,
        {
          hint: 'write each to its own output with `format: file` (and no `decode`), or store the secret as a SecretString',
          details: { parameters: this.binary },
        },
      );
    }
    if (this.missingFields.length) {
      throw new MissingParametersError(this.missingFields, {
        hint: 'add the fields to the JSON object in the parameter (or secret), or fix the field names under `json:` in the manifest',
      });
    }
    if (this.invalidJson.size) {
      const [first] = this.invalidJson;
      if (this.invalidJson.size === 1 && first !== undefined) throw new InvalidJsonValueError(first);
      throw new ToolError(
        'invalid_json',
        ExitCode.output,
        `these values are not JSON objects, so their fields cannot be expanded:\n${[...this.invalidJson].map((n) => `  ${n}`).join('\n')}`,
        {
          hint: 'store a JSON object in each, or read them without `json:`',
        },
      );
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
        {
          hint: 'flat formats take environment-variable names (letters, digits and _, not starting with a digit): rename the key or the parameter, or use json/yaml',
        },
      );
    }
    if (this.exposedSecrets.length) {
      throw new ToolError(
        'world_readable_secret',
        ExitCode.output,
        `refusing to put secrets in world-readable files:\n${this.exposedSecrets.map((m) => `  ${m}`).join('\n')}`,
        {
          hint: 'drop the read bit for others (mode "0600" or "0640" with a group), or set `world_readable_secrets: true` on the output if every user on the host may read them',
        },
      );
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
    if (p?.binary && getFormat(spec.format).kind === 'raw' && spec.decode === undefined) bytes = p.binary;
    else if (p?.binary) problems.binary.push(`${p.name} (${spec.path}, format ${spec.format}${spec.decode ? `, decode: ${spec.decode}` : ''})`);
    if (!p && !v.optional && !fetched.unanswered?.names.has(v.parameter)) problems.missing.add(v.parameter);
    keys.addNamed(v.key, p ? p.value : v.optional ? (v.default ?? '') : undefined, v.parameter, v.line, p?.type === 'SecureString');
  }
  // After the named keys, so that an expanded key that repeats one is a collision.
  for (const v of spec.values) if (v.json) expandValue(v, spec, fetched, keys, problems);
  for (const path of spec.paths) {
    const list = fetched.byPath.get(pathKey(path)) ?? [];
    // A store answers an unknown path with an empty list, not an error:
    // "expected something, got nothing" is ours to catch.
    if (list.length === 0 && !path.optional && !fetched.unanswered?.paths.has(pathKey(path)))
      problems.missing.add(`${path.path}/${path.recursive ? '**' : '*'} (no parameters under this path)`);
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
    problems.exposedSecrets.push(
      `${spec.path} (mode ${spec.mode.toString(8).padStart(4, '0')}) would receive SecureString values: ${keys.secretKeys.join(', ')}`,
    );
  }
  // `values` keys (and chosen json keys) were checked offline by parseManifest; keys from `paths` and json "*" are only known now.
  const valueKeys = new Set(spec.values.flatMap((v) => chosenKeys(v.json) ?? (v.json ? [] : [v.key])));
  const storeKeys = keys.entries.map(([k]) => k).filter((k) => !valueKeys.has(k));
  for (const key of getFormat(spec.format).invalidKeys(storeKeys)) {
    problems.badKeys.push({
      line: keys.lineOfKey.get(key) || spec.line,
      message: `${spec.path}: key ${JSON.stringify(key)} (from ${keys.source.get(key)}) is not a valid name for format ${spec.format}`,
    });
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
