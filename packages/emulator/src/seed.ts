/**
 * The seed: a YAML or JSON file (or the same object in code) that declares
 * region, account, credentials and their access rules, roles for STS
 * AssumeRole and the instance profile, KMS keys, parameters with their history and labels, and
 * faults. Every problem is reported at
 * once, with file and line, as a SeedError (exit 2).
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { EmulatorError, formatProblem, type EmulatorErrorOptions, type SeedProblem } from './errors.js';

/** The seed file is invalid; every problem found is reported at once, with file and line (exit 2). */
export class SeedError extends EmulatorError {
  readonly problems: SeedProblem[];
  constructor(problems: SeedProblem[], options: EmulatorErrorOptions = {}) {
    const head = problems.length === 1 ? 'invalid seed file' : `invalid seed file (${problems.length} problems)`;
    super('invalid_seed', [head, ...problems.map((p) => '  ' + formatProblem(p))].join('\n'), { ...options, details: { problems } });
    this.problems = problems;
  }
}
import { checkFault } from './faults.js';
import { DEFAULT_KEY_ALIAS, Kms } from './kms.js';
import { SsmError } from './ssm-error.js';
import { characters, checkLabel, checkReadName, checkWriteName, MAX_VALUE } from './validate.js';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_REGION,
  DEMO_CREDENTIAL,
  type AccessRule,
  type Faults,
  type Seed,
  type SeedCredential,
  type SeedKmsKey,
  type SeedParameter,
  type SeedRole,
} from './types.js';
import { SECRET_NAME } from './secrets.js';
import { nullRecord } from './records.js';

/** A seed with every default filled in and every field checked. */
export interface ResolvedSeed {
  region: string;
  account: string;
  signature: 'verify' | 'any';
  credentials: SeedCredential[];
  roles: SeedRole[];
  instance_role: string | undefined;
  kms_keys: SeedKmsKey[];
  parameters: ResolvedParameter[];
  secrets: Array<{ name: string; value: string; binary?: true }>;
  faults: Partial<Faults>;
}

export interface ResolvedParameter {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  /** Oldest first. */
  versions: string[];
  key_id?: string;
  /** label -> version number. */
  labels: Record<string, number>;
  description?: string;
  tier: 'Standard' | 'Advanced';
}

type Path = (string | number)[];

/** Collects problems; `at` locates a path in the source document (line 0 when unknown). */
class Problems {
  readonly list: SeedProblem[] = [];
  constructor(
    private readonly file: string,
    private readonly locate: (path: Path) => number,
  ) {}
  add(path: Path, message: string): void {
    this.list.push({ file: this.file, line: this.locate(path), at: pathText(path), message });
  }
}

const pathText = (path: Path): string => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

const TOP_KEYS = ['region', 'account', 'signature', 'credentials', 'roles', 'instance_role', 'kms_keys', 'parameters', 'secrets', 'faults'];
const PARAMETER_KEYS = ['name', 'type', 'value', 'versions', 'key_id', 'labels', 'description', 'tier'];
const CREDENTIAL_KEYS = ['access_key_id', 'secret_access_key', 'allow'];
const RULE_KEYS = ['parameters', 'actions', 'kms_keys'];
const KEY_KEYS = ['id', 'aliases'];
const ROLE_KEYS = ['arn', 'trusted', 'allow', 'max_session_duration'];

function unknownKeys(problems: Problems, path: Path, obj: Record<string, unknown>, known: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) problems.add([...path, key], `unknown key (expected one of: ${known.join(', ')})`);
  }
}

/** Check and complete a seed. `file` and `locate` only improve the messages. */
export function resolveSeed(input: unknown, file = '<seed>', locate: (path: Path) => number = () => 0): ResolvedSeed {
  const problems = new Problems(file, locate);
  const seed: Record<string, unknown> = input === undefined || input === null ? {} : isObject(input) ? input : {};
  if (input !== undefined && input !== null && !isObject(input))
    problems.add([], 'the seed must be a mapping (region, account, credentials, roles, kms_keys, parameters, faults)');
  unknownKeys(problems, [], seed, TOP_KEYS);

  const str = (path: Path, v: unknown, fallback: string): string => {
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || v === '') {
      problems.add(path, 'must be a non-empty string');
      return fallback;
    }
    return v;
  };
  const region = str(['region'], seed.region, DEFAULT_REGION);
  const account = str(['account'], typeof seed.account === 'number' ? String(seed.account) : seed.account, DEFAULT_ACCOUNT);
  if (!/^\d{12}$/.test(account)) problems.add(['account'], 'must be 12 digits (quote it in YAML: "123456789012")');
  const signature = seed.signature ?? 'verify';
  if (signature !== 'verify' && signature !== 'any') problems.add(['signature'], 'must be verify or any');

  const credentials = resolveCredentials(problems, seed.credentials);
  const roles = resolveRoles(problems, seed.roles, account, credentials);
  const instance_role = seed.instance_role;
  if (instance_role !== undefined && (typeof instance_role !== 'string' || !roles.some((r) => r.arn === instance_role))) {
    problems.add(['instance_role'], 'must be the arn of one of the roles under roles');
  }
  const kms_keys = resolveKeys(problems, seed.kms_keys);
  const parameters = resolveParameters(problems, seed.parameters, new Kms(region, account, kms_keys));
  const secrets = resolveSecrets(problems, seed.secrets);

  const faults: Partial<Faults> = {};
  if (seed.faults !== undefined) {
    if (!isObject(seed.faults)) problems.add(['faults'], 'must be a mapping');
    else {
      for (const [k, v] of Object.entries(seed.faults)) {
        const problem = checkFault(k, v);
        if (problem) problems.add(['faults', k], problem);
        else faults[k as keyof Faults] = v as number;
      }
    }
  }
  if (problems.list.length > 0) throw new SeedError(problems.list);
  return {
    region,
    account,
    signature: signature as 'verify' | 'any',
    credentials,
    roles,
    instance_role: instance_role as string | undefined,
    kms_keys,
    parameters,
    secrets,
    faults,
  };
}

function resolveCredentials(problems: Problems, v: unknown): SeedCredential[] {
  if (v === undefined) return [DEMO_CREDENTIAL];
  if (!Array.isArray(v)) {
    problems.add(['credentials'], 'must be a list of {access_key_id, secret_access_key, allow?}');
    return [];
  }
  const seen = new Set<string>();
  return v.flatMap((c: unknown, i): SeedCredential[] => {
    const path = ['credentials', i];
    if (!isObject(c)) {
      problems.add(path, 'must be a mapping with access_key_id and secret_access_key');
      return [];
    }
    unknownKeys(problems, path, c, CREDENTIAL_KEYS);
    const id = c.access_key_id;
    const secret = c.secret_access_key;
    if (typeof id !== 'string' || id === '') problems.add([...path, 'access_key_id'], 'must be a non-empty string');
    else if (seen.has(id)) problems.add([...path, 'access_key_id'], `duplicate access key ${id}`);
    else seen.add(id);
    if (typeof secret !== 'string' || secret === '') problems.add([...path, 'secret_access_key'], 'must be a non-empty string');
    const allow = resolveRules(problems, path, c.allow);
    if (typeof id !== 'string' || typeof secret !== 'string') return [];
    return [{ access_key_id: id, secret_access_key: secret, ...(allow ? { allow } : {}) }];
  });
}

/** An `allow`: one rule or a list of rules. undefined = full access. */
function resolveRules(problems: Problems, path: Path, v: unknown): AccessRule[] | undefined {
  if (v === undefined) return undefined;
  const rules = Array.isArray(v) ? v : [v];
  return rules.map((r: unknown, j) => {
    const rpath = Array.isArray(v) ? [...path, 'allow', j] : [...path, 'allow'];
    if (!isObject(r)) {
      problems.add(rpath, 'must be a mapping with parameters, actions and/or kms_keys');
      return {};
    }
    unknownKeys(problems, rpath, r, RULE_KEYS);
    const rule: AccessRule = {};
    for (const k of RULE_KEYS as (keyof AccessRule)[]) {
      if (r[k] === undefined) continue;
      if (!isStringArray(r[k])) problems.add([...rpath, k], 'must be a list of strings (wildcards * and ?)');
      else rule[k] = r[k];
    }
    return rule;
  });
}

/** IAM role ARN: optional path, name of 1..64 `[\w+=,.@-]`. */
export const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/;

function resolveRoles(problems: Problems, v: unknown, account: string, credentials: SeedCredential[]): SeedRole[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    problems.add(['roles'], 'must be a list of {arn, trusted, allow?, max_session_duration?}');
    return [];
  }
  const arns = new Set(v.flatMap((r: unknown) => (isObject(r) && typeof r.arn === 'string' ? [r.arn] : [])));
  const keys = new Set(credentials.map((c) => c.access_key_id));
  const seen = new Set<string>();
  return v.flatMap((r: unknown, i): SeedRole[] => {
    const path = ['roles', i];
    if (!isObject(r)) {
      problems.add(path, 'must be a mapping with arn and trusted');
      return [];
    }
    unknownKeys(problems, path, r, ROLE_KEYS);
    const before = problems.list.length;
    const arn = r.arn;
    const m = typeof arn === 'string' ? ROLE_ARN.exec(arn) : null;
    if (typeof arn !== 'string' || !m) problems.add([...path, 'arn'], `must be a role ARN like arn:aws:iam::${account}:role/deploy`);
    else if (m[1] !== account) problems.add([...path, 'arn'], `must be in the seed's account ${account}`);
    else if (seen.has(arn)) problems.add([...path, 'arn'], `duplicate role ${arn}`);
    else seen.add(arn);
    const trusted = r.trusted ?? [];
    if (!isStringArray(trusted)) problems.add([...path, 'trusted'], 'must be a list of access key ids (from credentials) or role ARNs');
    else {
      for (const t of trusted) {
        if (!keys.has(t) && !arns.has(t)) problems.add([...path, 'trusted'], `${t} is neither an access key id under credentials nor a role ARN under roles`);
      }
    }
    const max = r.max_session_duration ?? 3600;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 3600 || max > 43200)
      problems.add([...path, 'max_session_duration'], 'must be a whole number of seconds from 3600 to 43200');
    const allow = resolveRules(problems, path, r.allow);
    if (problems.list.length > before || typeof arn !== 'string' || !isStringArray(trusted) || typeof max !== 'number') return [];
    return [{ arn, trusted, max_session_duration: max, ...(allow ? { allow } : {}) }];
  });
}

function resolveKeys(problems: Problems, v: unknown): SeedKmsKey[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    problems.add(['kms_keys'], 'must be a list of {id, aliases}');
    return [];
  }
  return v.flatMap((k: unknown, i): SeedKmsKey[] => {
    const path = ['kms_keys', i];
    if (!isObject(k)) {
      problems.add(path, 'must be a mapping with id and aliases');
      return [];
    }
    unknownKeys(problems, path, k, KEY_KEYS);
    if (typeof k.id !== 'string' || !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(k.id)) {
      problems.add([...path, 'id'], 'must be a key id like 1234abcd-12ab-34cd-56ef-1234567890ab');
      return [];
    }
    const aliases = k.aliases ?? [];
    if (!isStringArray(aliases) || aliases.some((a) => !/^alias\/[a-zA-Z0-9/_-]+$/.test(a) || a.startsWith('alias/aws/'))) {
      problems.add([...path, 'aliases'], 'must be a list like [alias/MyApplicationKey] (alias/aws/ is reserved)');
      return [{ id: k.id }];
    }
    return [{ id: k.id, aliases }];
  });
}

/** Each seed parameter checked field by field, all problems collected; a flat list of checks, one function. */
function resolveParameters(problems: Problems, v: unknown, kms: Kms): ResolvedParameter[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    problems.add(['parameters'], 'must be a list of {name, type, value | versions, ...}');
    return [];
  }
  const seen = new Set<string>();
  return v.flatMap((p: unknown, i): ResolvedParameter[] => {
    const path = ['parameters', i];
    if (!isObject(p)) {
      problems.add(path, 'must be a mapping with name, type and value (or versions)');
      return [];
    }
    unknownKeys(problems, path, p, PARAMETER_KEYS);
    const before = problems.list.length;
    const name = p.name;
    if (typeof name !== 'string') problems.add([...path, 'name'], 'must be a string');
    else {
      // Seeds may hold AWS's public parameters (/aws/service/...), which nobody may write.
      const problem = checkReadName(name) ?? (name.startsWith('/aws/') ? undefined : checkWriteName(name));
      if (problem) problems.add([...path, 'name'], `invalid parameter name: ${problem.message}`);
      const key = name.replace(/^\//, '');
      if (seen.has(key)) problems.add([...path, 'name'], `duplicate parameter ${name}`);
      seen.add(key);
    }
    const type = p.type ?? 'String';
    if (type !== 'String' && type !== 'StringList' && type !== 'SecureString') problems.add([...path, 'type'], 'must be String, StringList or SecureString');
    const tier = p.tier ?? 'Standard';
    if (tier !== 'Standard' && tier !== 'Advanced') problems.add([...path, 'tier'], 'must be Standard or Advanced');

    const asValue = (x: unknown, at: Path): string | undefined => {
      // A StringList may be written as a YAML list; AWS stores it comma-joined.
      if (type === 'StringList' && isStringArray(x)) x = x.join(',');
      if (typeof x !== 'string') {
        problems.add(at, type === 'StringList' ? 'must be a string or a list of strings' : 'must be a string (quote numbers and booleans)');
        return undefined;
      }
      if (x === '') problems.add(at, 'must not be empty (Parameter Store rejects empty values)');
      else if (characters(x) > MAX_VALUE[tier === 'Advanced' ? 'Advanced' : 'Standard'])
        problems.add(at, `longer than the ${tier} tier allows (${MAX_VALUE[tier === 'Advanced' ? 'Advanced' : 'Standard']} characters)`);
      return x;
    };
    let versions: string[] = [];
    if ((p.value === undefined) === (p.versions === undefined)) problems.add(path, 'give exactly one of value or versions');
    else if (p.value !== undefined) versions = [asValue(p.value, [...path, 'value']) ?? ''];
    else if (!Array.isArray(p.versions) || p.versions.length === 0 || p.versions.length > 100)
      problems.add([...path, 'versions'], 'must be a list of 1 to 100 values, oldest first');
    else versions = p.versions.map((x: unknown, j) => asValue(x, [...path, 'versions', j]) ?? '');

    if (p.key_id !== undefined) {
      if (type !== 'SecureString') problems.add([...path, 'key_id'], 'only a SecureString has a key_id');
      else if (typeof p.key_id !== 'string' || kms.resolve(p.key_id) instanceof SsmError) {
        problems.add([...path, 'key_id'], `unknown KMS key (declare it under kms_keys, or use ${DEFAULT_KEY_ALIAS})`);
      }
    }

    const labels = nullRecord<number>();
    if (p.labels !== undefined) {
      const entries: [string, unknown][] = isStringArray(p.labels)
        ? p.labels.map((l) => [l, versions.length])
        : isObject(p.labels)
          ? Object.entries(p.labels)
          : [];
      if (!isStringArray(p.labels) && !isObject(p.labels))
        problems.add([...path, 'labels'], 'must be a list of labels (on the latest version) or a map label: version');
      for (const [label, version] of entries) {
        const bad = checkLabel(label);
        if (bad) problems.add([...path, 'labels'], `invalid label ${JSON.stringify(label)}: ${bad}`);
        if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > versions.length) {
          problems.add([...path, 'labels', label], `must be a version between 1 and ${versions.length}`);
        } else labels[label] = version;
      }
      const perVersion = new Map<number, number>();
      for (const version of Object.values(labels)) perVersion.set(version, (perVersion.get(version) ?? 0) + 1);
      if ([...perVersion.values()].some((n) => n > 10)) problems.add([...path, 'labels'], 'a version can have at most 10 labels');
    }
    if (p.description !== undefined && typeof p.description !== 'string') problems.add([...path, 'description'], 'must be a string');
    if (problems.list.length > before || typeof name !== 'string') return [];
    return [
      {
        name,
        type: type as ResolvedParameter['type'],
        versions,
        ...(typeof p.key_id === 'string' ? { key_id: p.key_id } : {}),
        labels,
        ...(typeof p.description === 'string' ? { description: p.description } : {}),
        tier: tier as ResolvedParameter['tier'],
      },
    ];
  });
}

function resolveSecrets(problems: Problems, v: unknown): ResolvedSeed['secrets'] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    problems.add(['secrets'], 'must be a list of {name, value}');
    return [];
  }
  const seen = new Set<string>();
  return v.flatMap((s: unknown, i): ResolvedSeed['secrets'] => {
    const path = ['secrets', i];
    if (!isObject(s)) {
      problems.add(path, 'must be a mapping with name and value');
      return [];
    }
    unknownKeys(problems, path, s, ['name', 'value', 'binary']);
    const before = problems.list.length;
    if (typeof s.name !== 'string' || !SECRET_NAME.test(s.name))
      problems.add([...path, 'name'], 'must be a secret name: 1 to 512 of letters, digits and / _ + = . @ -');
    else if (seen.has(s.name)) problems.add([...path, 'name'], `duplicate secret ${s.name}`);
    else seen.add(s.name);
    if (s.binary !== undefined) {
      const canonical = typeof s.binary === 'string' && s.binary !== '' && Buffer.from(s.binary, 'base64').toString('base64') === s.binary;
      if (s.value !== undefined) problems.add(path, 'give `value` (SecretString) or `binary` (SecretBinary, base64), not both');
      else if (!canonical) problems.add([...path, 'binary'], "must be the secret's bytes as padded base64");
      if (problems.list.length > before || typeof s.name !== 'string' || typeof s.binary !== 'string') return [];
      return [{ name: s.name, value: s.binary, binary: true as const }];
    }
    // A JSON secret is written in YAML as a mapping more often than as a string: accept both.
    const value = isObject(s.value) ? JSON.stringify(s.value) : s.value;
    if (typeof value !== 'string' || value === '') problems.add([...path, 'value'], 'must be a non-empty string (or a mapping, stored as its JSON)');
    else if (value.length > 65536) problems.add([...path, 'value'], 'longer than Secrets Manager allows (65536)');
    if (problems.list.length > before || typeof s.name !== 'string' || typeof value !== 'string') return [];
    return [{ name: s.name, value }];
  });
}

/** Read and check a seed file (YAML or JSON). Throws SeedError naming file and line. */
export function loadSeedFile(path: string): Seed {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SeedError([{ file: path, line: 0, message: `cannot read the seed file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }], { cause: err });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new SeedError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file: path, line: pos.line, column: pos.col, message: `YAML: ${e.message.split('\n')[0] ?? e.message}` };
      }),
    );
  }
  const seed = doc.toJS() as unknown;
  resolveSeed(seed, path, (p) => lineOf(doc, lineCounter, p));
  return seed as Seed;
}

/** The line of the deepest node on `path` that exists in the document. */
function lineOf(doc: Document, lines: LineCounter, path: Path): number {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return 0;
}

export type { SeedParameter };
