/**
 * JSON expansion: a parameter whose value is a JSON object (a Secrets
 * Manager secret, or a String parameter holding JSON) becomes several keys.
 *
 *   DB:  { parameter: /aws/reference/secretsmanager/prod/db,
 *          json: { DB_USER: username, DB_PASSWORD: password, DB_PORT: conn.port } }
 *   API: { parameter: /aws/reference/secretsmanager/prod/api, json: "*" }
 *
 * Chosen fields give exactly the keys listed (the entry's own key only names
 * the group in messages); a dotted field path walks nested objects. `"*"`
 * takes every field, keyed by the entry's key and the field's path: for
 * flat formats `API_` + the path joined with `_`, every other character `_`,
 * upper-cased (the rule of `paths:`); for nesting formats `API.` + the path
 * joined with `.`, so json/yaml/php keep the object's shape.
 *
 * Strings are taken as they are; numbers exactly as written in the value
 * (`1.10` stays `1.10`: see json-text.ts), booleans and null as their JSON
 * text; a chosen object or array as compact JSON. The value is a secret:
 * errors name the parameter and the field, never the value, and never a
 * parser's message.
 */
import { ExitCode, ToolError } from './errors.js';
import { MAX_JSON_DEPTH, nestingDepth, parseJsonText, stringifyJsonNode, type JsonNode } from './json-text.js';

export type JsonExpansion = { kind: 'fields'; fields: Array<{ key: string; field: string }> } | { kind: 'all' };

export interface Expanded {
  entries: Array<[key: string, value: string]>;
  /** Chosen fields the object does not have. */
  missingFields: string[];
}

/** The value is not a JSON object: exit 6, like any value its output cannot hold. */
export class InvalidJsonValueError extends ToolError {
  constructor(readonly parameter: string) {
    super('invalid_json', ExitCode.output, `the value of ${parameter} is not a JSON object, so its fields cannot be expanded`, {
      hint: `store a JSON object in ${parameter} (e.g. {"username": "...", "password": "..."}), or read it without \`json:\``,
    });
  }
}

/** Nested deeper than MAX_JSON_DEPTH: refused before parsing, exit 6. */
export class JsonTooDeepError extends ToolError {
  constructor(readonly parameter: string) {
    super(
      'json_too_deep',
      ExitCode.output,
      `the value of ${parameter} nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep, so its fields are not expanded`,
      {
        hint: `store a flatter JSON object in ${parameter}, or read it without \`json:\``,
      },
    );
  }
}

/** The keys a chosen-fields expansion defines, known before anything is fetched. */
export function chosenKeys(json: JsonExpansion | undefined): string[] | undefined {
  return json?.kind === 'fields' ? json.fields.map((f) => f.key) : undefined;
}

export function expandJson(parameter: string, value: string, json: JsonExpansion, groupKey: string, nests: boolean): Expanded {
  if (nestingDepth(value) > MAX_JSON_DEPTH) throw new JsonTooDeepError(parameter);
  const object = parseObject(value);
  if (object === undefined) throw new InvalidJsonValueError(parameter);
  if (json.kind === 'fields') {
    const entries: Array<[string, string]> = [];
    const missingFields: string[] = [];
    for (const { key, field } of json.fields) {
      const found = lookup(object, field.split('.'));
      if (found === undefined) missingFields.push(field);
      else entries.push([key, asText(found)]);
    }
    return { entries, missingFields };
  }
  const entries: Array<[string, string]> = [];
  const walk = (node: Fields, path: string[]): void => {
    for (const [name, v] of node) {
      if (v.kind === 'object' && v.fields.size > 0) walk(v.fields, [...path, name]);
      else entries.push([keyFor(groupKey, [...path, name], nests), asText(v)]);
    }
  };
  walk(object, []);
  return { entries, missingFields: [] };
}

function keyFor(groupKey: string, path: string[], nests: boolean): string {
  if (nests) return [groupKey, ...path].join('.');
  return [groupKey, ...path]
    .join('_')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .toUpperCase();
}

type Fields = Map<string, JsonNode>;

function parseObject(value: string): Fields | undefined {
  try {
    const parsed = parseJsonText(value);
    return parsed.kind === 'object' ? parsed.fields : undefined;
  } catch {
    return undefined;
  }
}

function lookup(object: Fields, path: string[]): JsonNode | undefined {
  let node: JsonNode = { kind: 'object', fields: object };
  for (const segment of path) {
    const next: JsonNode | undefined = node.kind === 'object' ? node.fields.get(segment) : undefined;
    if (next === undefined) return undefined;
    node = next;
  }
  return node;
}

function asText(v: JsonNode): string {
  return v.kind === 'string' ? v.value : stringifyJsonNode(v);
}
