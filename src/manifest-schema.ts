/**
 * The manifest, declared once: every key at every level, its type, allowed
 * values, which keys go together, a one-line description and the problem the
 * reader reports. From this one declaration follow:
 *   - the reader's generic checks (src/manifest.ts: unknown keys, missing keys,
 *     types, enums, patterns), each problem still with file and line;
 *   - the JSON Schema for editors (src/manifest-schema-export.ts ->
 *     schema/materialize.schema.json);
 *   - the reference table in docs/manifest.md;
 *   - the hostile-manifest fuzz generator (test/reliability/manifest-arbitrary.ts).
 * test/unit/manifest-schema.test.ts fails when one of them lags.
 *
 * Checks that need the parameter store's naming rules, the environment or
 * other outputs (parameter names, prefixes, duplicate keys, the key gate)
 * stay as named checks in src/manifest.ts; the rules between keys of one
 * mapping are declared here, with the message the reader gives.
 */
import { fileDecodings, formatNames, formatNamesOfKind } from './formats/index.js';
import { REGION_PATTERN } from './regions.js';

/** Text. YAML numbers count as text written as their source (`owner: 33`). */
export interface TextShape {
  type: 'text';
  /** `${VAR}` is filled in from the environment before the enum and pattern are checked. */
  interpolated: boolean;
  /** YAML numbers are read as the text they are written as (an id `33`, a field `0`). */
  numbers: boolean;
  /** The empty string is allowed (only a `default` may be empty). */
  empty?: boolean;
  /** Any scalar is read as its text (`default: no` is the text "no"). */
  anyScalar?: boolean;
  enum?: readonly string[];
  /** A regular expression without flags, valid in JavaScript and in JSON Schema (ECMA-262). */
  pattern?: string;
  /** What the reader says when the value is not text. */
  expected: string;
  /** What the reader says when the text is not in `enum` or does not match `pattern`. */
  mismatch?: (text: string) => string;
  description?: string;
}

export interface BooleanShape {
  type: 'boolean';
  expected: string;
  description?: string;
}

/** A fixed value (`version: 1`). */
export interface ConstShape {
  type: 'const';
  value: number;
  expected: string;
  description?: string;
}

/** Permission bits written in octal, as a string or a plain YAML number read as its source text. */
export interface ModeShape {
  type: 'mode';
  pattern: string;
  expected: string;
  description?: string;
}

export interface ListShape {
  type: 'list';
  items: Shape;
  nonEmpty: boolean;
  unique?: boolean;
  expected: string;
  description?: string;
}

/** A mapping with a fixed set of keys. */
export interface ObjectShape<F extends Fields = Fields> {
  type: 'object';
  fields: F;
  /** Rules between the keys of this mapping that a type cannot say. */
  rules: readonly Rule[];
  expected: string;
  description?: string;
}

/** A mapping whose keys the author chooses (`values:` keys). */
export interface MapShape {
  type: 'map';
  /** What the keys are, for the docs. */
  keyName: string;
  /** What the reader says about an empty or missing key. */
  keyExpected: string;
  values: Shape;
  nonEmpty: boolean;
  expected: string;
  description?: string;
}

/** One of several shapes (a short form or a long one). */
export interface EitherShape {
  type: 'either';
  of: readonly Shape[];
  expected: string;
  description?: string;
}

export type Shape = TextShape | BooleanShape | ConstShape | ModeShape | ListShape | ObjectShape | MapShape | EitherShape;

export interface Field {
  shape: Shape;
  /** One line for the docs, the editor's hover and completion. */
  description: string;
  /** Set when the key is required: the problem reported when it is missing. */
  missing?: string;
  /** The value used when the key is absent, as a manifest would write it. */
  default?: string | boolean;
}

export type Fields = Readonly<Record<string, Field>>;

/** The value of a sibling key a rule depends on. */
export interface Condition {
  key: string;
  /** The condition holds when the key has one of these values (the formats of one kind, say). */
  values: ReadonlyArray<string | boolean>;
}

/**
 * Rules between keys of one mapping, with the reader's message.
 * - requires: `key` must be given when the condition holds;
 * - onlyWith: `keys` may only be given when the condition holds;
 * - notWith: `keys` must not be given when the condition holds;
 * - excludes: `key` and any of `others` must not be given together;
 * - anyOf: at least one of `keys` unless the condition holds.
 */
export type Rule =
  | { rule: 'requires'; key: string; when: Condition; message: string }
  | { rule: 'onlyWith'; keys: readonly string[]; when: Condition; message: string }
  | { rule: 'notWith'; keys: readonly string[]; when: Condition; message: string }
  | { rule: 'excludes'; key: string; others: readonly string[]; message: string }
  | { rule: 'anyOf'; keys: readonly string[]; unless: Condition; message: string };

/** What the reader says about a text key that holds no text, and a boolean key that holds no boolean. */
export const NON_EMPTY_STRING = 'expected a non-empty string';
export const TRUE_OR_FALSE = 'expected true or false';

const text = (extra: Partial<TextShape> = {}): TextShape => ({ type: 'text', interpolated: true, numbers: true, expected: NON_EMPTY_STRING, ...extra });
const bool = (): BooleanShape => ({ type: 'boolean', expected: TRUE_OR_FALSE });
const keyList = (pattern: string, problem: string, description: string): ListShape & { items: TextShape } => ({
  type: 'list',
  items: { type: 'text', interpolated: false, numbers: false, pattern, expected: problem, mismatch: (key) => `${JSON.stringify(key)} ${problem}`, description },
  nonEmpty: false,
  expected: 'expected a list of keys, e.g. [PATH]',
});

/** Keys a path produces: upper case A-Z, 0-9, _ (see keyForPathParameter). */
export const PATH_KEY_PATTERN = '^[A-Z0-9_]+$';
/** A key a json "*" expansion produces keeps its field's case and dots; it holds no control character. */
export const ANY_KEY_PATTERN = '^[^\\u0000-\\u001f]+$';
/** `key_prefix: APP_`. */
export const KEY_PREFIX_PATTERN = '^[A-Z][A-Z0-9_]*$';
/** A user or group: a name (`www-data`, `svc$`) or a numeric id. */
export const ID_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]*\\$?$|^[0-9]+$';
/** `json:` fields: a field name or a dotted path with no empty segment. */
export const JSON_FIELD_PATTERN = '^[^.]+(\\.[^.]+)*$';

const regionName = (): TextShape => text({ pattern: `^${REGION_PATTERN}$`, numbers: false, mismatch: (r) => `not an AWS region name: ${JSON.stringify(r)}` });
const PATH_KEY_PROBLEM = 'never matches a key from a path (those are upper case: A-Z, 0-9, _)';

const valueEntry = {
  type: 'object',
  expected: 'expected a parameter name or { parameter, optional, default }',
  description: 'the long form of a value',
  fields: {
    parameter: {
      shape: text(),
      description: 'The parameter name, relative to `prefix` unless it starts with `/` or is an ARN; `:3` or `:label` selects a version.',
      missing: 'missing `parameter`',
    },
    optional: { shape: bool(), description: 'A missing parameter is not an error: the key gets `default`, or is left out.', default: false },
    default: {
      shape: text({ anyScalar: true, empty: true, expected: 'expected a string' }),
      description: 'The value when an optional parameter does not exist (may be empty).',
    },
    json: {
      shape: {
        type: 'either',
        expected: 'expected `"*"` (every field) or a mapping of KEY: field (a dotted path for nested fields)',
        of: [
          {
            type: 'text',
            interpolated: false,
            numbers: false,
            enum: ['*'],
            expected: '"*"',
            description: "every field of the JSON object, keyed by this entry's key",
          },
          {
            type: 'map',
            keyName: 'KEY',
            keyExpected: 'expected a key name',
            nonEmpty: true,
            expected: 'a mapping of KEY: field',
            values: {
              type: 'text',
              interpolated: false,
              numbers: true,
              pattern: JSON_FIELD_PATTERN,
              expected: 'expected a field name, or a dotted path such as conn.port',
              mismatch: () => 'expected a field name, or a dotted path such as conn.port',
            },
          },
        ],
      },
      description: 'The value is a JSON object: `"*"` makes a key of every field, `{ KEY: field.path }` picks fields.',
    },
    allow_keys: {
      shape: keyList(ANY_KEY_PATTERN, 'is not a key name', 'a key the expansion may produce although its family is refused'),
      description: 'With `json: "*"`: keys in a refused family (loader options, proxies, ...) the expansion may produce anyway.',
    },
  },
  rules: [
    {
      rule: 'excludes',
      key: 'json',
      others: ['optional', 'default'],
      message: 'a `json` expansion needs its parameter: `optional` and `default` are not supported with it',
    },
    {
      rule: 'onlyWith',
      keys: ['allow_keys'],
      when: { key: 'json', values: ['*'] },
      message: 'only used with `json: "*"` (keys you name yourself need no opt-in)',
    },
    { rule: 'onlyWith', keys: ['default'], when: { key: 'optional', values: [true] }, message: 'a default is only used with `optional: true`' },
  ],
} as const satisfies ObjectShape;

const pathEntry = {
  type: 'object',
  expected: 'expected a path or { path, recursive }',
  description: 'the long form of a path',
  fields: {
    path: { shape: text(), description: 'The path whose parameters become keys, relative to `prefix` unless it starts with `/`.', missing: 'missing `path`' },
    recursive: { shape: bool(), description: 'Include parameters in every level below the path, not only the first.', default: false },
    optional: { shape: bool(), description: 'A path that matches no parameter is not an error.', default: false },
    allow_keys: {
      shape: keyList(PATH_KEY_PATTERN, PATH_KEY_PROBLEM, 'a key this path may produce although its family is refused'),
      description: 'Keys in a refused family (`NODE_OPTIONS`, `PATH`, ...) this path may produce anyway.',
    },
    keys: {
      shape: keyList(PATH_KEY_PATTERN, PATH_KEY_PROBLEM, 'a key this path may produce'),
      description: 'The only keys this path may produce (after `key_prefix`); any other is refused.',
    },
    key_prefix: {
      shape: text({
        pattern: KEY_PREFIX_PATTERN,
        numbers: false,
        mismatch: (p) => `${JSON.stringify(p)} is not a key prefix (upper case A-Z, 0-9, _, starting with a letter, e.g. APP_)`,
      }),
      description: 'Put before every key from this path (`APP_`); the key gate judges the prefixed key.',
    },
  },
  rules: [],
} as const satisfies ObjectShape;

const output = {
  type: 'object',
  expected: 'expected a mapping with path, format and values or paths',
  description: 'one file to write',
  fields: {
    path: { shape: text(), description: "The file to write; relative to the manifest's directory unless absolute.", missing: 'missing `path`' },
    format: {
      shape: text({ enum: formatNames, mismatch: (f) => `unknown format ${JSON.stringify(f)} (one of: ${formatNames.join(', ')})` }),
      description: 'How the file is written, for which consumer (docs/formats.md).',
      missing: `missing \`format\` (one of: ${formatNames.join(', ')})`,
    },
    mode: {
      shape: { type: 'mode', pattern: '^0?[0-7]{3}$', expected: 'expected an octal mode such as "0600" or "0640"' },
      description: 'Permission bits in octal, quoted; never writable by others.',
      default: '0600',
    },
    owner: {
      shape: text({ pattern: ID_PATTERN, mismatch: () => 'expected a user/group name or a numeric id' }),
      description: "The file's owner: a user name or numeric id (needs root).",
    },
    group: {
      shape: text({ pattern: ID_PATTERN, mismatch: () => 'expected a user/group name or a numeric id' }),
      description: "The file's group: a group name or numeric id.",
    },
    template: { shape: text(), description: "With `format: template`: the template file, relative to the manifest's directory." },
    values: {
      shape: {
        type: 'map',
        keyName: 'KEY',
        keyExpected: 'expected a key name',
        nonEmpty: false,
        values: { type: 'either', of: [text(), valueEntry], expected: 'expected a parameter name or { parameter, optional, default }' },
        expected: 'expected a mapping of KEY: parameter-name',
      },
      description: 'Keys you name, each from one parameter: `KEY: name` or `KEY: { parameter, optional, default, json }`.',
    },
    paths: {
      shape: {
        type: 'list',
        nonEmpty: false,
        items: { type: 'either', of: [text(), pathEntry], expected: 'expected a path or { path, recursive }' },
        expected: 'expected a list of { path: /prefix, recursive: true }',
      },
      description: "Paths whose every parameter becomes a key named after it (the parameter's writer chooses the key).",
    },
    parameter: { shape: text(), description: 'With `format: file`: the one parameter the file holds.' },
    decode: {
      shape: text({ enum: fileDecodings, mismatch: (d) => `unknown decoding ${JSON.stringify(d)} (one of: ${fileDecodings.join(', ')})` }),
      description: 'With `format: file`: decode the value before writing it.',
    },
    verify: { shape: text(), description: 'A shell command run against the new file before it replaces the old one (`$1` is its path).' },
    on_change: { shape: text(), description: 'A shell command run after the file changed (e.g. `systemctl reload php-fpm`).' },
    world_readable_secrets: { shape: bool(), description: 'Yes to a SecureString value in a file others can read (a mode with o+r).', default: false },
  },
  rules: [
    {
      rule: 'requires',
      key: 'template',
      when: { key: 'format', values: formatNamesOfKind('template') },
      message: 'format `template` needs `template: path/to/file.tmpl`',
    },
    { rule: 'onlyWith', keys: ['template'], when: { key: 'format', values: formatNamesOfKind('template') }, message: 'only used with `format: template`' },
    {
      rule: 'anyOf',
      keys: ['values', 'paths'],
      unless: { key: 'format', values: formatNamesOfKind('raw') },
      message: 'an output needs `values`, `paths`, or both',
    },
    {
      rule: 'onlyWith',
      keys: ['parameter', 'decode'],
      when: { key: 'format', values: formatNamesOfKind('raw') },
      message: 'only used with `format: file` (other formats take `values` or `paths`)',
    },
    {
      rule: 'notWith',
      keys: ['values', 'paths'],
      when: { key: 'format', values: formatNamesOfKind('raw') },
      message: 'a `file` output holds exactly one parameter: give `parameter: NAME` instead',
    },
    {
      rule: 'requires',
      key: 'parameter',
      when: { key: 'format', values: formatNamesOfKind('raw') },
      message: 'format `file` needs `parameter: NAME` (the one parameter the file holds)',
    },
  ],
} as const satisfies ObjectShape;

/** The whole manifest. */
export const manifestSchema = {
  type: 'object',
  expected: 'expected a mapping with `version: 1` and `outputs:`',
  description: 'an ssm-materialize manifest',
  fields: {
    version: {
      shape: { type: 'const', value: 1, expected: 'only `version: 1` is supported' },
      description: 'The manifest format version: 1.',
      missing: 'missing `version: 1`',
    },
    region: { shape: regionName(), description: "The AWS region to read from; else `--region`, `AWS_REGION`, the profile or the instance's region." },
    regions: {
      shape: {
        type: 'list',
        items: regionName(),
        nonEmpty: true,
        unique: true,
        expected: 'expected a list of regions, the first read first: [us-east-1, us-west-2]',
      },
      description: 'Regions in order: read from the first, and from the next when one is unavailable.',
    },
    prefix: { shape: text(), description: 'Names and paths without a leading `/` are relative to this path.' },
    outputs: {
      shape: { type: 'list', items: output, nonEmpty: true, expected: 'expected a non-empty list of outputs' },
      description: 'The files to write.',
      missing: 'missing `outputs:` (a list of files to write)',
    },
  },
  rules: [{ rule: 'excludes', key: 'regions', others: ['region'], message: 'give `region` or `regions`, not both' }],
} as const satisfies ObjectShape;

export const outputSchema = output;
export const valueEntrySchema = valueEntry;
export const pathEntrySchema = pathEntry;

/** The rule of `shape` about `key` of this kind; the reader takes its message from here. */
export function ruleFor(shape: ObjectShape, rule: Rule['rule'], key: string): Rule {
  const found = shape.rules.find((r) => r.rule === rule && ('key' in r ? r.key === key : r.keys.includes(key)));
  if (!found) throw new Error(`internal: no ${rule} rule for ${key}`);
  return found;
}

/** A key's place in the manifest, as the docs show it: `outputs[].values.KEY.json`. */
export interface KeyPath {
  path: string;
  field: Field;
  parent: ObjectShape;
}

/** Every key of every mapping with a fixed set of keys, in declaration order. */
export function keyPaths(shape: Shape = manifestSchema, at = ''): KeyPath[] {
  switch (shape.type) {
    case 'object':
      return Object.entries(shape.fields).flatMap(([key, field]) => {
        const path = at ? `${at}.${key}` : key;
        return [{ path, field, parent: shape }, ...keyPaths(field.shape, path)];
      });
    case 'list':
      return keyPaths(shape.items, `${at}[]`);
    case 'map':
      return keyPaths(shape.values, `${at}.${shape.keyName}`);
    case 'either':
      return shape.of.flatMap((s) => keyPaths(s, at));
    default:
      return [];
  }
}

/** Whether text (after `${VAR}` is filled in) is one the shape allows: in its enum, matching its pattern. */
export function textFits(shape: TextShape | ModeShape, value: string): boolean {
  if ('enum' in shape && shape.enum !== undefined && !shape.enum.includes(value)) return false;
  return shape.pattern === undefined || new RegExp(shape.pattern, 'u').test(value);
}

/** The problem for text a shape does not allow. */
export function mismatchOf(shape: TextShape, value: string): string {
  return shape.mismatch?.(value) ?? shape.expected;
}
