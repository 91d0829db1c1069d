/**
 * Manifest v1: read, interpolate `${VAR}`, validate, and resolve into the
 * plain structures the pipeline needs. Every problem is collected with file
 * and line before anything fails, so one run shows the user all there is to fix.
 *
 * The manifest is walked as a YAML syntax tree (JSON is parsed the same way)
 * because only the tree knows line numbers. Which keys exist, their types,
 * allowed values and the problems reported about them are declared once in
 * manifest-schema.ts; this reader adds what needs names, the environment or
 * other outputs.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument, isMap, isNode, isPair, isScalar, isSeq, isAlias, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { lineOfNode } from './yaml-lines.js';
import { ManifestError, type ManifestProblem } from './errors.js';
import { fileDecodings, formatNames, formatNamesOfKind, getFormat, type FileDecoding, type FormatKind, type FormatName } from './formats/index.js';
import { chosenKeys, type JsonExpansion } from './expand.js';
import { judgeUntrustedKey, untrustedKeyFamily } from './trust/keys.js';
import { checkListablePath, checkParameterName, checkPath, isArnName, joinPrefix, parseParameterArn, splitSelector } from './names.js';
import { own } from './records.js';
import {
  manifestSchema,
  mismatchOf,
  NON_EMPTY_STRING,
  TRUE_OR_FALSE,
  outputSchema,
  pathEntrySchema,
  ruleFor,
  textFits,
  valueEntrySchema,
  type Fields,
  type ObjectShape,
  type Rule,
  type TextShape,
} from './manifest-schema.js';

/** A value taken from one named parameter. */
export interface ValueSpec {
  key: string;
  /** Full parameter name, selector included (`/app/cert:3`). */
  parameter: string;
  optional: boolean;
  /** Used when `optional` and the parameter does not exist. */
  default: string | undefined;
  /** Expand the value's JSON object into keys (expand.ts); `key` then only names the group. */
  json?: JsonExpansion;
  /** With `json: "*"`: keys in a refused family (src/trust/keys.ts) the expansion may produce anyway. */
  allowKeys?: string[];
  line: number;
}

/** Every parameter below a path becomes a key (see keyForPathParameter). */
export interface PathSpec {
  path: string;
  recursive: boolean;
  /** A path that matches nothing is an error unless optional. */
  optional: boolean;
  /** Keys in a refused family (src/trust/keys.ts) this path may produce anyway: `allow_keys: [PATH]`. */
  allowKeys: string[];
  /** When given, the only keys this path may produce (`keys: [DB_HOST, DB_PORT]`), after `keyPrefix`. */
  keys: string[] | undefined;
  /** Put before every key from this path (`key_prefix: APP_`); the gate judges the prefixed key. */
  keyPrefix: string | undefined;
  line: number;
}

export interface OutputSpec {
  /** Absolute path of the file to write. */
  path: string;
  format: FormatName;
  /** Permission bits, e.g. 0o600. */
  mode: number;
  owner: string | undefined;
  group: string | undefined;
  /** Absolute path of the template (format `template` only). */
  template: string | undefined;
  values: ValueSpec[];
  paths: PathSpec[];
  /** Shell command run against the new temp file before the swap (`$1` is its path). */
  verify: string | undefined;
  /** Shell command run after the output changed. */
  onChange: string | undefined;
  /** Format `file` only: decode the value before writing it. */
  decode: FileDecoding | undefined;
  /**
   * The author's explicit yes to a SecureString value in a file others can
   * read (mode with o+r). Without it such an output is refused.
   * @default false
   */
  worldReadableSecrets: boolean;
  /** Line of the output in the manifest, for messages. */
  line: number;
}

export interface Manifest {
  /** Absolute path of the manifest file. */
  file: string;
  /** The first of `regions:` when that is given. */
  region: string | undefined;
  /** `regions:` after the first: read from the next when a region is unavailable (regions.ts). */
  fallbackRegions: string[];
  prefix: string | undefined;
  outputs: OutputSpec[];
}

/** Manifests are small; a bigger file is a mistake (or an attack on the parser). */
const MAX_MANIFEST_BYTES = 1024 * 1024;
const DEFAULT_MODE = 0o600;

export type Env = Readonly<Record<string, string | undefined>>;

/** Read and validate a manifest file. Throws ManifestError with every problem. */
export function loadManifest(file: string, env: Env): Manifest {
  const absolute = resolvePath(file);
  let bytes: Buffer;
  try {
    const st = statSync(absolute);
    if (!st.isFile()) throw new ManifestError([{ file, line: 0, message: 'not a regular file' }]);
    if (st.size > MAX_MANIFEST_BYTES) {
      throw new ManifestError([{ file, line: 0, message: `too large (${st.size} bytes; the limit is ${MAX_MANIFEST_BYTES})` }]);
    }
    bytes = readFileSync(absolute);
  } catch (err) {
    if (err instanceof ManifestError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ManifestError([{ file, line: 0, message: code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})` }], {
      hint: 'pass the manifest with -m FILE (default: materialize.yaml)',
      cause: err,
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (err) {
    // Point at the line, so a Latin-1 `é` pasted into a path is easy to find.
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
    throw new ManifestError(
      [{ file, line, message: `not valid UTF-8 (byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')} at offset ${at}); save the file as UTF-8` }],
      { cause: err },
    );
  }
  return parseManifest(text, file, env, dirname(absolute));
}

/**
 * Parse manifest text; `baseDir` anchors relative output and template paths.
 * The steps: read with positions, check the top-level fields, each output
 * (its values and paths, names resolved against the prefix), then the
 * checks across outputs. Every step adds to one list of problems.
 */
export function parseManifest(text: string, file: string, env: Env, baseDir: string): Manifest {
  const { reader, root } = readWithPositions(text, file, env);
  const top = reader.fields(root, '', manifestSchema);
  checkVersion(reader, root, top.get('version'));
  const [region, ...fallbackRegions] = readRegions(reader, top.get('region'), top.get('regions'));
  const names = readPrefix(reader, top.get('prefix'));
  const outputs = readOutputs(reader, root, top.get('outputs'), { ...names, region, baseDir });
  checkAcrossOutputs(reader, outputs);
  if (reader.problems.length) throw new ManifestError(reader.problems);
  return { file: resolvePath(file), region, fallbackRegions: fallbackRegions.filter((r) => r !== undefined), prefix: names.prefix, outputs };
}

type AnyPair = Pair<unknown, unknown>;

/** The parsed document with its line numbers, the environment, and every problem found so far. */
class ManifestReader {
  readonly problems: ManifestProblem[] = [];
  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
    private readonly env: Env,
  ) {}

  lineOf(node: { range?: [number, number, number] | null } | null | undefined): number {
    return lineOfNode(this.lines, node);
  }

  problem(node: unknown, at: string, message: string): void {
    const n = isNode(node) ? node : isPair(node) ? node.key : undefined;
    this.problems.push({ file: this.file, line: this.lineOf(n as Node | undefined), at: at || undefined, message });
  }

  /** A non-empty string field, with `${VAR}` filled in from the environment. */
  str(node: unknown, at: string): string | undefined {
    if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number') || node.value === '') {
      this.problem(node, at, NON_EMPTY_STRING);
      return undefined;
    }
    return this.interpolate(asWritten(node), node, at);
  }

  interpolate(text: string, node: unknown, at: string): string | undefined {
    let failed = false;
    const result = interpolate(text, this.env, (msg) => {
      failed = true;
      this.problem(node, at, msg);
    });
    return failed ? undefined : result;
  }

  bool(node: unknown, at: string): boolean | undefined {
    if (!isScalar(node) || typeof node.value !== 'boolean') {
      this.problem(node, at, TRUE_OR_FALSE);
      return undefined;
    }
    return node.value;
  }

  /** The pairs of a mapping by key; a key the schema does not declare is a problem. */
  fields<F extends Fields>(map: unknown, at: string, shape: ObjectShape<F>): Map<keyof F & string, AnyPair> {
    const out = new Map<keyof F & string, AnyPair>();
    if (!isMap(map)) return out;
    const allowed = Object.keys(shape.fields);
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined || !isDeclared(shape, key)) {
        this.problem(pair, at, `unknown key ${JSON.stringify(key ?? '?')} (expected one of: ${allowed.join(', ')})`);
        continue;
      }
      out.set(key, pair);
    }
    return out;
  }
}

function isDeclared<F extends Fields>(shape: ObjectShape<F>, key: string): key is keyof F & string {
  return Object.hasOwn(shape.fields, key);
}

/** The message of a rule between keys of one mapping, as declared in the schema. */
function ruleMessage(shape: ObjectShape, rule: Rule['rule'], key: string): string {
  return ruleFor(shape, rule, key).message;
}

/** Parse the YAML/JSON text; syntax errors, aliases and a non-mapping root end the parse here. */
function readWithPositions(text: string, file: string, env: Env): { reader: ManifestReader; root: YAMLMap } {
  const tooDeep = findDeepNesting(text);
  if (tooDeep !== undefined) {
    throw new ManifestError([{ file, line: tooDeep, message: `nested more than ${MAX_NESTING} levels deep; a manifest needs about 5` }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, merge: false });
  const reader = new ManifestReader(file, lines, env);
  for (const e of doc.errors) reader.problems.push({ file, line: lines.linePos(e.pos[0]).line, message: e.message.split('\n')[0] ?? e.message });
  if (reader.problems.length) throw new ManifestError(reader.problems);
  // Anchors and aliases are refused rather than resolved: a manifest has no
  // need for them and resolving them invites alias bombs.
  findAliases(reader, doc.contents, '');
  if (reader.problems.length) throw new ManifestError(reader.problems);
  const root = doc.contents;
  if (!isMap(root)) {
    // An empty document has no node to point at: line 1 is where it should start.
    throw new ManifestError([{ file, line: reader.lineOf(root) || 1, message: 'expected a mapping with `version: 1` and `outputs:`' }]);
  }
  return { reader, root };
}

function findAliases(reader: ManifestReader, node: unknown, at: string): void {
  if (isAlias(node)) {
    reader.problem(node, at, 'YAML aliases (*name) are not supported in manifests; write the value out');
  } else if (isMap(node)) {
    for (const pair of node.items) {
      findAliases(reader, pair.key, at);
      findAliases(reader, pair.value, `${at}${at ? '.' : ''}${isScalar(pair.key) ? String(pair.key.value) : '?'}`);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => findAliases(reader, item, `${at}[${i}]`));
  }
}

function checkVersion(reader: ManifestReader, root: YAMLMap, version: AnyPair | undefined): void {
  const { shape, missing } = manifestSchema.fields.version;
  if (!version) reader.problem(root, '', missing);
  else if (!isScalar(version.value) || version.value.value !== shape.value) reader.problem(version, 'version', shape.expected);
}

function readRegion(reader: ManifestReader, pair: AnyPair | undefined): string | undefined {
  const region = pair ? reader.str(pair.value, 'region') : undefined;
  const shape = manifestSchema.fields.region.shape;
  if (region !== undefined && !textFits(shape, region)) reader.problem(pair, 'region', mismatchOf(shape, region));
  return region;
}

/** `region: R`, or `regions: [R1, R2, ...]`: the first read first, the others when it is unavailable. */
function readRegions(reader: ManifestReader, regionPair: AnyPair | undefined, regionsPair: AnyPair | undefined): Array<string | undefined> {
  if (!regionsPair) return [readRegion(reader, regionPair)];
  if (regionPair) reader.problem(regionsPair, 'regions', ruleMessage(manifestSchema, 'excludes', 'regions'));
  const list = manifestSchema.fields.regions.shape;
  if (!isSeq(regionsPair.value) || regionsPair.value.items.length === 0) {
    reader.problem(regionsPair, 'regions', list.expected);
    return [undefined];
  }
  const listed = regionsPair.value.items.map((item, i) => {
    const r = reader.str(item, `regions[${i}]`);
    if (r !== undefined && !textFits(list.items, r)) reader.problem(item, `regions[${i}]`, mismatchOf(list.items, r));
    return r;
  });
  if (new Set(listed).size !== listed.length) reader.problem(regionsPair, 'regions', 'a region is listed twice');
  return listed;
}

/** How relative names are completed: the prefix, or none; a broken prefix is reported once, not again for every relative name. */
interface NameScope {
  prefix: string | undefined;
  prefixBroken: boolean;
  /** The region the manifest reads from, when it says: a parameter ARN must be in it. */
  region?: string | undefined;
}

interface OutputScope extends NameScope {
  baseDir: string;
}

function readPrefix(reader: ManifestReader, pair: AnyPair | undefined): NameScope {
  let prefix = pair ? reader.str(pair.value, 'prefix') : undefined;
  if (prefix !== undefined) {
    prefix = prefix.replace(/\/+$/, '');
    const err = checkPath(prefix);
    if (err) {
      reader.problem(pair, 'prefix', err);
      prefix = undefined;
    }
  }
  return { prefix, prefixBroken: pair !== undefined && prefix === undefined };
}

function readOutputs(reader: ManifestReader, root: YAMLMap, pair: AnyPair | undefined, scope: OutputScope): OutputSpec[] {
  const outputs: OutputSpec[] = [];
  const { shape, missing } = manifestSchema.fields.outputs;
  if (!pair) reader.problem(root, '', missing);
  else if (!isSeq(pair.value) || pair.value.items.length === 0) reader.problem(pair, 'outputs', shape.expected);
  else {
    pair.value.items.forEach((node, i) => {
      const at = `outputs[${i}]`;
      if (!isMap(node)) return reader.problem(node, at, outputSchema.expected);
      const output = readOutput(reader, node, at, scope);
      if (output) outputs.push(output);
    });
  }
  return outputs;
}

function readOutput(reader: ManifestReader, node: YAMLMap, at: string, scope: OutputScope): OutputSpec | undefined {
  const f = reader.fields(node, at, outputSchema);
  const pathPair = f.get('path');
  const path = pathPair ? reader.str(pathPair.value, `${at}.path`) : (reader.problem(node, at, outputSchema.fields.path.missing), undefined);
  const format = readFormat(reader, node, f.get('format'), at);
  const mode = readMode(reader, f.get('mode'), at);
  const worldReadablePair = f.get('world_readable_secrets');
  const worldReadableSecrets = worldReadablePair ? (reader.bool(worldReadablePair.value, `${at}.world_readable_secrets`) ?? false) : false;
  const ownerPair = f.get('owner');
  const groupPair = f.get('group');
  const owner = ownerPair ? readId(reader, ownerPair, `${at}.owner`, outputSchema.fields.owner.shape) : undefined;
  const group = groupPair ? readId(reader, groupPair, `${at}.group`, outputSchema.fields.group.shape) : undefined;

  const templatePair = f.get('template');
  const templateRel = templatePair ? reader.str(templatePair.value, `${at}.template`) : undefined;
  const kind = format === undefined ? undefined : getFormat(format).kind;
  if (kind === 'template' && !templatePair) reader.problem(node, at, `format \`${format}\` needs \`template: path/to/file.tmpl\``);
  if (kind !== undefined && kind !== 'template' && templatePair) reader.problem(templatePair, `${at}.template`, `only used with ${formatsOfKind('template')}`);

  const valuesPair = f.get('values');
  const pathsPair = f.get('paths');
  const values = valuesPair ? readValues(reader, valuesPair, `${at}.values`, scope) : [];
  const paths = pathsPair ? readPaths(reader, pathsPair, `${at}.paths`, scope) : [];
  const file = readFileOutput(reader, node, f, format, at, scope);
  if (file.value) values.push(file.value);
  if (!valuesPair && !pathsPair && kind !== 'raw') reader.problem(node, at, 'an output needs `values`, `paths`, or both');

  const verifyPair = f.get('verify');
  const onChangePair = f.get('on_change');
  const verify = verifyPair ? reader.str(verifyPair.value, `${at}.verify`) : undefined;
  const onChange = onChangePair ? reader.str(onChangePair.value, `${at}.on_change`) : undefined;

  if (path === undefined || format === undefined) return undefined;
  const template = templateRel === undefined ? undefined : resolvePath(scope.baseDir, templateRel);
  return {
    path: resolvePath(scope.baseDir, path),
    format,
    mode,
    owner,
    group,
    template,
    values,
    paths,
    verify,
    onChange,
    worldReadableSecrets,
    decode: file.decode,
    line: reader.lineOf(node),
  };
}

/**
 * A raw format (`format: file`) takes one `parameter` (and `decode`) instead of
 * `values`/`paths`; its one entry is keyed by the parameter's name, which
 * plans and messages show.
 */
function readFileOutput(
  reader: ManifestReader,
  node: YAMLMap,
  f: Map<keyof typeof outputSchema.fields, AnyPair>,
  format: FormatName | undefined,
  at: string,
  scope: NameScope,
): { value?: ValueSpec; decode?: FileDecoding } {
  const parameterPair = f.get('parameter');
  const decodePair = f.get('decode');
  if (format === undefined || getFormat(format).kind !== 'raw') {
    for (const [pair, key] of [
      [parameterPair, 'parameter'],
      [decodePair, 'decode'],
    ] as const) {
      if (pair && format !== undefined)
        reader.problem(pair, `${at}.${key}`, `only used with ${formatsOfKind('raw')} (other formats take \`values\` or \`paths\`)`);
    }
    return {};
  }
  for (const key of ['values', 'paths'] as const) {
    const pair = f.get(key);
    if (pair) reader.problem(pair, `${at}.${key}`, `a \`${format}\` output holds exactly one parameter: give \`parameter: NAME\` instead`);
  }
  let decode: FileDecoding | undefined;
  if (decodePair) {
    const d = reader.str(decodePair.value, `${at}.decode`);
    if (d !== undefined && !(fileDecodings as readonly string[]).includes(d))
      reader.problem(decodePair, `${at}.decode`, `unknown decoding ${JSON.stringify(d)} (one of: ${fileDecodings.join(', ')})`);
    else decode = d as FileDecoding | undefined;
  }
  if (!parameterPair) return (reader.problem(node, at, `format \`${format}\` needs \`parameter: NAME\` (the one parameter the file holds)`), { decode });
  const raw = reader.str(parameterPair.value, `${at}.parameter`);
  const full = raw === undefined ? undefined : resolveName(reader, raw, parameterPair, `${at}.parameter`, scope);
  if (full === undefined) return { decode };
  return { value: { key: full, parameter: full, optional: false, default: undefined, line: reader.lineOf(parameterPair.key as Node) }, decode };
}

/** "`format: template`", or each format of the kind, for messages about keys only that kind takes. */
function formatsOfKind(kind: FormatKind): string {
  return formatNamesOfKind(kind)
    .map((name) => `\`format: ${name}\``)
    .join(' or ');
}

function readFormat(reader: ManifestReader, node: YAMLMap, pair: AnyPair | undefined, at: string): FormatName | undefined {
  const { shape, missing } = outputSchema.fields.format;
  if (!pair) {
    reader.problem(node, at, missing);
    return undefined;
  }
  const name = reader.str(pair.value, `${at}.format`);
  if (name !== undefined && !(formatNames as readonly string[]).includes(name)) {
    reader.problem(pair.value, `${at}.format`, mismatchOf(shape, name));
    return undefined;
  }
  return name as FormatName | undefined;
}

function readMode(reader: ManifestReader, pair: AnyPair | undefined, at: string): number {
  if (!pair) return DEFAULT_MODE;
  // Read the source text: YAML 1.2 reads a plain 0600 as decimal 600.
  const source = isScalar(pair.value) ? (pair.value.source ?? String(pair.value.value)) : '';
  const shape = outputSchema.fields.mode.shape;
  if (!textFits(shape, source)) {
    reader.problem(pair, `${at}.mode`, shape.expected);
    return DEFAULT_MODE;
  }
  const mode = parseInt(source, 8);
  // Anyone on the host could replace the secrets (or the config an app trusts): never.
  if (mode & 0o002)
    reader.problem(pair, `${at}.mode`, `mode ${source} lets every user on the host write the file; use "0600" or "0640" (no write bit for others)`);
  return mode;
}

function readId(reader: ManifestReader, pair: AnyPair, at: string, shape: TextShape): string | undefined {
  const v = reader.str(pair.value, at);
  if (v !== undefined && !textFits(shape, v)) reader.problem(pair, at, mismatchOf(shape, v));
  return v;
}

function readValues(reader: ManifestReader, pair: AnyPair, at: string, scope: NameScope): ValueSpec[] {
  if (!isMap(pair.value)) {
    reader.problem(pair, at, outputSchema.fields.values.shape.expected);
    return [];
  }
  return pair.value.items.flatMap((item) => readValue(reader, item, at, scope) ?? []);
}

function readValue(reader: ManifestReader, pair: AnyPair, at: string, scope: NameScope): ValueSpec | undefined {
  const key = isScalar(pair.key) ? asWritten(pair.key) : undefined;
  if (!key) return (reader.problem(pair, at, outputSchema.fields.values.shape.keyExpected), undefined);
  const here = `${at}.${key}`;
  let parameter: string | undefined;
  let optional = false;
  let dflt: string | undefined;
  let json: JsonExpansion | undefined;
  let allowKeys: string[] | undefined;
  if (isScalar(pair.value)) {
    parameter = reader.str(pair.value, here);
  } else if (isMap(pair.value)) {
    const entry = valueEntrySchema;
    const f = reader.fields(pair.value, here, entry);
    const j = f.get('json');
    if (j) {
      json = readJsonExpansion(reader, j, `${here}.json`);
      if (f.get('optional') || f.get('default')) reader.problem(j, `${here}.json`, ruleMessage(entry, 'excludes', 'json'));
    }
    const a = f.get('allow_keys');
    if (a && json?.kind !== 'all') reader.problem(a, `${here}.allow_keys`, ruleMessage(entry, 'onlyWith', 'allow_keys'));
    else if (a) allowKeys = readKeyList(reader, a, `${here}.allow_keys`, ANY_KEY);
    const p = f.get('parameter');
    if (!p) reader.problem(pair, here, entry.fields.parameter.missing);
    else parameter = reader.str(p.value, `${here}.parameter`);
    const o = f.get('optional');
    if (o) optional = reader.bool(o.value, `${here}.optional`) ?? false;
    const d = f.get('default');
    if (d) dflt = readDefault(reader, d, `${here}.default`, optional);
  } else {
    reader.problem(pair, here, valueEntrySchema.expected);
  }
  if (parameter === undefined) return undefined;
  const full = resolveName(reader, parameter, pair, here, scope);
  if (full === undefined) return undefined;
  return {
    key,
    parameter: full,
    optional,
    default: dflt,
    ...(json ? { json } : {}),
    ...(allowKeys ? { allowKeys } : {}),
    line: reader.lineOf(pair.key as Node),
  };
}

/** `json: { KEY: field.path, ... }` (chosen fields) or `json: "*"` (every field, keyed by the entry's key). */
function readJsonExpansion(reader: ManifestReader, pair: AnyPair, at: string): JsonExpansion | undefined {
  const shape = valueEntrySchema.fields.json.shape;
  const [all, byField] = shape.of;
  if (isScalar(pair.value) && typeof pair.value.value === 'string' && textFits(all, pair.value.value)) return { kind: 'all' };
  if (!isMap(pair.value) || pair.value.items.length === 0) {
    return (reader.problem(pair, at, shape.expected), undefined);
  }
  const chosen: Array<{ key: string; field: string }> = [];
  for (const item of pair.value.items) {
    const key = isScalar(item.key) ? asWritten(item.key) : undefined;
    const field = isScalar(item.value) && (typeof item.value.value === 'string' || typeof item.value.value === 'number') ? asWritten(item.value) : undefined;
    if (!key) reader.problem(item, at, byField.keyExpected);
    else if (!field || !textFits(byField.values, field)) reader.problem(item, `${at}.${key}`, byField.values.expected);
    else chosen.push({ key, field });
  }
  return { kind: 'fields', fields: chosen };
}

/** A default may legitimately be empty; anything else must be a string. */
function readDefault(reader: ManifestReader, pair: AnyPair, at: string, optional: boolean): string | undefined {
  let value: string | undefined;
  if (!isScalar(pair.value) || (pair.value.value !== null && typeof pair.value.value === 'object'))
    reader.problem(pair, at, valueEntrySchema.fields.default.shape.expected);
  else value = reader.interpolate(pair.value.value === null ? '' : asWritten(pair.value), pair, at);
  if (!optional) reader.problem(pair, at, ruleMessage(valueEntrySchema, 'onlyWith', 'default'));
  return value;
}

function readPaths(reader: ManifestReader, pair: AnyPair, at: string, scope: NameScope): PathSpec[] {
  if (!isSeq(pair.value)) {
    reader.problem(pair, at, outputSchema.fields.paths.shape.expected);
    return [];
  }
  return pair.value.items.flatMap((item, j) => readPathEntry(reader, item, `${at}[${j}]`, scope) ?? []);
}

function readPathEntry(reader: ManifestReader, node: unknown, at: string, { prefix, prefixBroken }: NameScope): PathSpec | undefined {
  let raw: string | undefined;
  let recursive = false;
  let optional = false;
  let allowKeys: string[] = [];
  let keys: string[] | undefined;
  let keyPrefix: string | undefined;
  if (isScalar(node)) raw = reader.str(node, at);
  else if (isMap(node)) {
    const entry = pathEntrySchema;
    const f = reader.fields(node, at, entry);
    const p = f.get('path');
    if (!p) reader.problem(node, at, entry.fields.path.missing);
    else raw = reader.str(p.value, `${at}.path`);
    const r = f.get('recursive');
    if (r) recursive = reader.bool(r.value, `${at}.recursive`) ?? false;
    const o = f.get('optional');
    if (o) optional = reader.bool(o.value, `${at}.optional`) ?? false;
    const a = f.get('allow_keys');
    if (a) allowKeys = readKeyList(reader, a, `${at}.allow_keys`, PATH_KEY);
    const k = f.get('keys');
    if (k) keys = readKeyList(reader, k, `${at}.keys`, PATH_KEY);
    const kp = f.get('key_prefix');
    if (kp) keyPrefix = readKeyPrefix(reader, kp, `${at}.key_prefix`);
    checkKeyPolicy(reader, node, at, { allowKeys, keys, keyPrefix });
  } else reader.problem(node, at, pathEntrySchema.expected);
  if (raw === undefined) return undefined;
  let path = raw.startsWith('/') ? raw : prefix !== undefined ? joinPrefix(prefix, raw) : undefined;
  if (path === undefined && prefixBroken) return undefined;
  if (path === undefined) return (reader.problem(node, at, `a relative path (${JSON.stringify(raw)}) needs a top-level \`prefix\``), undefined);
  path = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const err = checkListablePath(path);
  if (err) return (reader.problem(node, at, err), undefined);
  return { path, recursive, optional, allowKeys, keys, keyPrefix, line: reader.lineOf(node as Node) };
}

/** What a key list may hold, as the schema declares it: path keys are upper case (A-Z, 0-9, _); a json "*" key keeps its fields' case and dots. */
interface KeyShape {
  test: RegExp;
  problem: string;
}
const keyShape = (item: TextShape): KeyShape => ({ test: new RegExp(item.pattern ?? '', 'u'), problem: item.expected });
const PATH_KEY: KeyShape = keyShape(pathEntrySchema.fields.keys.shape.items);
const ANY_KEY: KeyShape = keyShape(valueEntrySchema.fields.allow_keys.shape.items);

/** `allow_keys: [PATH, NODE_OPTIONS]` or `keys: [DB_HOST]`: final keys, as they appear in the output. */
function readKeyList(reader: ManifestReader, pair: AnyPair, at: string, shape: KeyShape): string[] {
  if (!isSeq(pair.value)) return (reader.problem(pair, at, pathEntrySchema.fields.keys.shape.expected), []);
  const keys: string[] = [];
  for (const item of pair.value.items) {
    if (!isScalar(item) || typeof item.value !== 'string' || !shape.test.test(item.value)) {
      reader.problem(item, at, `${JSON.stringify(isScalar(item) ? item.value : '?')} ${shape.problem}`);
    } else keys.push(item.value);
  }
  return keys;
}

/** `key_prefix: APP_`: upper case like the keys it starts, and not itself in a refused family (every key would be refused). */
function readKeyPrefix(reader: ManifestReader, pair: AnyPair, at: string): string | undefined {
  const prefix = reader.str(pair.value, at);
  if (prefix === undefined) return undefined;
  const shape = pathEntrySchema.fields.key_prefix.shape;
  if (!textFits(shape, prefix)) return (reader.problem(pair, at, mismatchOf(shape, prefix)), undefined);
  const family = untrustedKeyFamily(`${prefix}X`);
  if (family !== undefined && untrustedKeyFamily(`${prefix}XYZZY`) !== undefined) {
    return (
      reader.problem(pair, at, `key_prefix ${prefix} puts every key from this path in the refused family "${family}"; choose a neutral prefix such as APP_`),
      undefined
    );
  }
  return prefix;
}

/**
 * Offline checks of one entry's opt-ins (src/trust/keys.ts decides at run
 * time): with a prefix, listed keys carry it; a key listed in `keys:` that
 * the gate would refuse needs `allow_keys` too, said now rather than at the
 * first deploy.
 */
function checkKeyPolicy(
  reader: ManifestReader,
  node: unknown,
  at: string,
  policy: { allowKeys: string[]; keys: string[] | undefined; keyPrefix: string | undefined },
): void {
  const { allowKeys, keys, keyPrefix } = policy;
  for (const [list, name] of [
    [keys ?? [], 'keys'],
    [allowKeys, 'allow_keys'],
  ] as const) {
    for (const key of list) {
      if (keyPrefix !== undefined && !key.startsWith(keyPrefix))
        reader.problem(node, `${at}.${name}`, `${key} never comes from this path: every key from it starts with its key_prefix ${keyPrefix}`);
    }
  }
  for (const key of keys ?? []) {
    const verdict = judgeUntrustedKey(key, { allowKeys });
    if (!verdict.allowed)
      reader.problem(
        node,
        `${at}.keys`,
        `${key} is in the refused family "${verdict.family}": list it in \`allow_keys: [${key}]\` too if this path must set it`,
      );
  }
}

function resolveName(reader: ManifestReader, raw: string, node: AnyPair, at: string, { prefix, prefixBroken, region }: NameScope): string | undefined {
  const { name, selector } = splitSelector(raw);
  let full: string;
  if (name.startsWith('/') || isArnName(name)) full = name;
  else if (prefixBroken) return undefined;
  else if (prefix !== undefined) full = joinPrefix(prefix, name);
  else if (!name.includes('/'))
    full = name; // a single-level name, valid in SSM
  else return (reader.problem(node, at, `${JSON.stringify(raw)} has no leading slash and the manifest has no \`prefix\``), undefined);
  const err = checkParameterName(full, selector);
  if (err) return (reader.problem(node, at, err), undefined);
  // SSM serves a shared parameter only in its own region: the call's.
  const arnRegion = parseParameterArn(full)?.region;
  if (arnRegion !== undefined && region !== undefined && arnRegion !== region) {
    return (
      reader.problem(
        node,
        at,
        `${JSON.stringify(raw)} is in region ${arnRegion} but the manifest reads from ${region}; Parameter Store serves a parameter only in its own region`,
      ),
      undefined
    );
  }
  return selector === undefined ? full : `${full}:${selector}`;
}

/**
 * Two outputs at one path, a key twice in one output, and `values` keys the
 * format refuses. Key names are known offline: `validate` should catch
 * `1BAD:` or `~:` in a dotenv output, not the first deploy. (Keys from
 * `paths` are only known after the fetch; resolveOutputs checks those.)
 */
function checkAcrossOutputs(reader: ManifestReader, outputs: OutputSpec[]): void {
  const { file } = reader;
  // Paths are compared as the files they land on: a symlinked directory
  // alias would otherwise let two outputs fight over one file.
  const seen = new Map<string, { line: number; path: string }>();
  for (const o of outputs) {
    const real = realOutputPath(o.path);
    const first = seen.get(real);
    if (first !== undefined) {
      const alias = first.path === o.path ? '' : ` (${first.path}: the same file through a symbolic link)`;
      reader.problems.push({ file, line: o.line, message: `output path ${o.path} is also written by the output on line ${first.line}${alias}` });
    } else seen.set(real, { line: o.line, path: o.path });
    // The keys each entry defines, as far as they are known offline (a json "*" expansion's are not).
    const defined = o.values.flatMap((v) => (chosenKeys(v.json) ?? (v.json ? [] : [v.key])).map((key) => ({ key, line: v.line })));
    const keys = new Map<string, number>();
    for (const { key, line } of defined) {
      if (keys.has(key)) reader.problems.push({ file, line, message: `key ${key} is defined twice in this output` });
      keys.set(key, line);
    }
    // A json "*" entry's key starts every key it expands to, so it must be a valid name too.
    const named = [...defined, ...o.values.filter((v) => v.json?.kind === 'all').map((v) => ({ key: v.key, line: v.line }))];
    const bad = new Set(getFormat(o.format).invalidKeys(named.map((d) => d.key)));
    for (const { key, line } of named) {
      if (bad.has(key)) reader.problems.push({ file, line, message: `key ${JSON.stringify(key)} is not a valid name for format ${o.format}` });
    }
  }
}

/** The file an output lands on: the real path of its directory plus its name (the file itself may not exist yet). */
function realOutputPath(path: string): string {
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch {
    return path; // a missing directory is reported when writing
  }
}

/**
 * A scalar as the user wrote it. YAML 1.2 reads plain `TRUE`, `NULL`, `017`,
 * `0x1F` or `1.10` as booleans, nulls and numbers, and String() of those is
 * `true`, `null`, `17`, `31`, `1.1`: a key `TRUE:` would silently become
 * `true`, a default `1.10` would become `1.1`. Keys, names and defaults are
 * text, so take the source text for anything that is not already a string.
 */
function asWritten(node: Scalar): string {
  if (typeof node.value === 'string') return node.value;
  return node.source ?? String(node.value);
}

/** Deeper than any real manifest (which nests about 5 levels), far below what the parser survives. */
const MAX_NESTING = 64;

/**
 * The YAML parser composes nested collections recursively. A few hundred
 * levels exhaust the stack, and near the limit V8 may abort the whole process
 * instead of throwing (1,000 unclosed `{"a":` end node with "RegExpCompiler
 * Allocation failed"; test/reliability/hostile.test.ts), which no try/catch
 * can turn into exit 2. So measure nesting before parsing, with
 * a linear scan that over-estimates it (brackets inside quotes count too),
 * and return the first line that goes too deep.
 */
export function findDeepNesting(text: string): number | undefined {
  const indents: number[] = [];
  let flow = 0;
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    const body = line.replace(/^ +/, '');
    if (body.trim() === '' || body.startsWith('#')) continue;
    const indent = line.length - body.length;
    if (flow === 0) {
      while (indents.length && (indents[indents.length - 1] ?? 0) >= indent) indents.pop();
      indents.push(indent);
    }
    // `- - - x` and `? ? x` nest on a single line.
    const compact = /^(?:[-?:][ \t]+)*/.exec(body)?.[0].replace(/[^-?:]/g, '').length ?? 0;
    let deepest = flow;
    for (let i = 0; i < body.length; i++) {
      const c = body.charCodeAt(i);
      if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++flow);
      else if ((c === 0x5d || c === 0x7d) && flow > 0) flow--;
    }
    if (indents.length + compact + deepest > MAX_NESTING) return lineNo;
  }
  return undefined;
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0) return i;
    try {
      decoder.decode(bytes.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return bytes.length;
}

/**
 * Replace `${VAR}` with the environment's value. An unset (or empty) variable
 * is an error, never an empty string: `/myapp/${STAGE}/db` must not silently
 * become `/myapp//db`. `$${` writes a literal `${`.
 */
export function interpolate(text: string, env: Env, onError: (message: string) => void): string {
  return text.replace(/\$(\$?)\{([^}]*)\}/g, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      onError(`invalid variable reference \${${name}}`);
      return whole;
    }
    const value = own(env, name);
    if (value === undefined || value === '') {
      onError(`environment variable ${name} is not set`);
      return whole;
    }
    return value;
  });
}
