/**
 * What follows from the declared manifest schema (src/manifest-schema.ts)
 * for readers other than the tool: the JSON Schema editors validate and
 * complete `materialize.yaml` with, and the reference table of docs/manifest.md.
 * Both are committed; `npm run schema` writes them and
 * test/unit/manifest-schema.test.ts fails when they differ from what this
 * module makes. The tool itself never loads this module.
 */
import { own } from './records.js';
import { keyPaths, manifestSchema, type Condition, type Field, type ObjectShape, type Rule, type Shape, type TextShape } from './manifest-schema.js';

/** The modeline's file inside an npm install, and in the published package. */
export const JSON_SCHEMA_FILE = 'schema/materialize.schema.json';

/**
 * A JSON Schema, draft-07: every yaml-language-server release reads it (2019-09 and
 * 2020-12 only from its 2.x), and so does every JSON Schema validator. `errorMessage`
 * is yaml-language-server's (and VS Code's) own keyword for the message it shows.
 */
export type JsonSchema = { [key: string]: JsonValue };
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** `${VAR}` somewhere in the text: the value is only known at run time, so an editor must not refuse it. */
const INTERPOLATED = '\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}';

export function toJsonSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'ssm-materialize manifest',
    description: 'materialize.yaml: which AWS SSM parameters to write into which local files (docs/manifest.md).',
    ...shapeSchema(manifestSchema),
  };
}

function fieldSchema(field: Field): JsonSchema {
  return {
    description: field.description,
    ...(field.default !== undefined ? { default: field.default } : {}),
    ...shapeSchema(field.shape),
  };
}

function shapeSchema(shape: Shape): JsonSchema {
  switch (shape.type) {
    case 'text':
      return textSchema(shape);
    case 'boolean':
      return { type: 'boolean' };
    case 'const':
      return { const: shape.value };
    case 'mode':
      // A plain YAML 0640 reaches an editor as the number 640; the reader takes its source text.
      return {
        anyOf: [
          { type: 'string', pattern: shape.pattern },
          { type: 'integer', minimum: 0, maximum: 777 },
        ],
      };
    case 'list':
      return {
        type: 'array',
        items: shapeSchema(shape.items),
        ...(shape.nonEmpty ? { minItems: 1 } : {}),
        ...(shape.unique ? { uniqueItems: true } : {}),
      };
    case 'map':
      return {
        type: 'object',
        propertyNames: { minLength: 1 },
        additionalProperties: shapeSchema(shape.values),
        ...(shape.nonEmpty ? { minProperties: 1 } : {}),
      };
    case 'either':
      return { anyOf: shape.of.map(shapeSchema) };
    case 'object':
      return objectSchema(shape);
  }
}

function textSchema(shape: TextShape): JsonSchema {
  const types: JsonValue = shape.anyScalar ? ['string', 'number', 'boolean', 'null'] : shape.numbers ? ['string', 'number'] : 'string';
  const plain: JsonSchema = { type: types, ...(shape.empty ? {} : { minLength: 1 }) };
  const literal: JsonSchema | undefined = shape.enum ? { enum: [...shape.enum] } : shape.pattern ? { type: 'string', pattern: shape.pattern } : undefined;
  if (literal === undefined) return plain;
  const branches = [literal];
  if (shape.interpolated) branches.push({ type: 'string', pattern: INTERPOLATED });
  // A number passes a string pattern unchecked in JSON Schema; the reader checks its source text.
  if (shape.numbers && !shape.enum) branches.push({ type: 'number' });
  return branches.length === 1 ? literal : { anyOf: branches };
}

function objectSchema(shape: ObjectShape): JsonSchema {
  const required = Object.entries(shape.fields)
    .filter(([, f]) => f.missing !== undefined)
    .map(([key]) => key);
  const rules = shape.rules.map((rule) => ruleSchema(shape, rule));
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(shape.fields).map(([key, field]) => [key, fieldSchema(field)])),
    ...(required.length ? { required } : {}),
    additionalProperties: false,
    ...(rules.length ? { allOf: rules } : {}),
  };
}

/** The condition surely holds (an editor may then refuse). */
function surely(c: Condition): JsonSchema {
  return { properties: { [c.key]: { enum: [...c.values] } }, required: [c.key] };
}

/** The condition may hold: the value is the one named, or filled in from `${VAR}` at run time. */
function perhaps(shape: ObjectShape, c: Condition): JsonSchema {
  const field = own(shape.fields, c.key);
  const interpolated = field?.shape.type === 'text' && field.shape.interpolated;
  const value: JsonSchema = interpolated ? { anyOf: [{ enum: [...c.values] }, { type: 'string', pattern: INTERPOLATED }] } : { enum: [...c.values] };
  return { properties: { [c.key]: value }, required: [c.key] };
}

const given = (key: string): JsonSchema => ({ required: [key] });

/**
 * Keys refused here, with the reader's message: yaml-language-server shows a
 * `false` property schema's `errorMessage` on the key itself, where a `not`
 * would only say "Matches a schema that is not allowed".
 */
const refused = (keys: readonly string[], message: string): JsonSchema => ({
  properties: Object.fromEntries(keys.map((k) => [k, false])),
  errorMessage: message,
});

function ruleSchema(shape: ObjectShape, rule: Rule): JsonSchema {
  switch (rule.rule) {
    case 'requires':
      return { $comment: rule.message, if: surely(rule.when), then: given(rule.key) };
    case 'onlyWith':
      return { if: { not: perhaps(shape, rule.when) }, then: refused(rule.keys, rule.message) };
    case 'notWith':
      return { if: surely(rule.when), then: refused(rule.keys, rule.message) };
    case 'excludes':
      return { if: given(rule.key), then: refused(rule.others, rule.message) };
    case 'anyOf':
      return { $comment: rule.message, if: { not: perhaps(shape, rule.unless) }, then: { anyOf: rule.keys.map(given) } };
  }
}

// ---------------------------------------------------------------- the docs table

/** The reference tables of docs/manifest.md, between its generated-section markers. */
export function toMarkdownReference(): string {
  const rows = keyPaths().map(({ path, field }) => `| \`${path}\` | ${typeOf(field.shape)} | ${defaultOf(field)} | ${escapeCell(field.description)} |`);
  const rules = declaredRules();
  return [
    '| key | type | default | description |',
    '|---|---|---|---|',
    ...rows,
    '',
    "Keys that go together or exclude each other (the reader's message for each):",
    '',
    '| where | rule | the reader says |',
    '|---|---|---|',
    ...rules.map(({ at, rule }) => `| ${at ? `\`${at}\`` : 'top level'} | ${ruleText(rule)} | ${escapeCell(rule.message)} |`),
  ].join('\n');
}

/** Every rule between keys the schema declares, with where it applies (`outputs[]`). */
export function declaredRules(shape: Shape = manifestSchema, at = ''): Array<{ at: string; rule: Rule }> {
  switch (shape.type) {
    case 'object':
      return [
        ...shape.rules.map((rule) => ({ at, rule })),
        ...Object.entries(shape.fields).flatMap(([key, f]) => declaredRules(f.shape, at ? `${at}.${key}` : key)),
      ];
    case 'list':
      return declaredRules(shape.items, `${at}[]`);
    case 'map':
      return declaredRules(shape.values, `${at}.${shape.keyName}`);
    case 'either':
      return shape.of.flatMap((s) => declaredRules(s, at));
    default:
      return [];
  }
}

const code = (keys: readonly string[], joiner = ', '): string => keys.map((k) => `\`${k}\``).join(joiner);
/** As a manifest writes it: `format: file`, `optional: true`, `json: "*"` (a plain `*` would be an alias). */
const written = (v: string | boolean): string => (typeof v === 'string' && /^[a-z]+$/.test(v) ? v : JSON.stringify(v));
const condition = (c: Condition): string => c.values.map((v) => `\`${c.key}: ${written(v)}\``).join(' or ');

function ruleText(rule: Rule): string {
  switch (rule.rule) {
    case 'requires':
      return `${condition(rule.when)} needs ${code([rule.key])}`;
    case 'onlyWith':
      return `${code(rule.keys)} only with ${condition(rule.when)}`;
    case 'notWith':
      return `${code(rule.keys)} not with ${condition(rule.when)}`;
    case 'excludes':
      return `${code([rule.key])} not with ${code(rule.others, ' or ')}`;
    case 'anyOf':
      return `${code(rule.keys, ' or ')} unless ${condition(rule.unless)}`;
  }
}

function typeOf(shape: Shape): string {
  switch (shape.type) {
    case 'text':
      if (shape.enum) return `one of ${shape.enum.map((v) => `\`${v}\``).join(', ')}`;
      return shape.anyScalar ? 'string (may be empty)' : 'string';
    case 'boolean':
      return 'boolean';
    case 'const':
      return `\`${shape.value}\``;
    case 'mode':
      return 'octal string (`"0640"`)';
    case 'list':
      return `list of ${typeOf(shape.items)}${shape.nonEmpty ? ' (at least one)' : ''}`;
    case 'map':
      return `mapping of ${shape.keyName} to ${typeOf(shape.values)}`;
    case 'either':
      return shape.of.map(typeOf).join(' or ');
    case 'object':
      return `mapping (${Object.keys(shape.fields)
        .map((k) => `\`${k}\``)
        .join(', ')})`;
  }
}

function defaultOf(field: Field): string {
  if (field.missing !== undefined) return 'required';
  return field.default === undefined ? '' : `\`${String(field.default)}\``;
}

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|');

export const REFERENCE_START = '<!-- reference: generated from src/manifest-schema.ts by `npm run schema`; edit the schema, not this table -->';
export const REFERENCE_END = '<!-- end of the generated reference -->';

/** The docs page with its generated section replaced by `reference`. */
export function spliceReference(page: string, reference: string): string {
  const start = page.indexOf(REFERENCE_START);
  const end = page.indexOf(REFERENCE_END);
  if (start < 0 || end < start)
    throw new Error(`docs/manifest.md: the markers of the generated reference are missing (${REFERENCE_START} ... ${REFERENCE_END})`);
  return `${page.slice(0, start + REFERENCE_START.length)}\n${reference}\n${page.slice(end)}`;
}
