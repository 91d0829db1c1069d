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
 * Strings are taken as they are; numbers, booleans and null as their JSON
 * text; a chosen object or array as compact JSON. The value is a secret:
 * errors name the parameter and the field, never the value, and never
 * JSON.parse's message (it quotes the text it choked on).
 */
import { ExitCode, ToolError } from './errors.js';
import { own } from './records.js';

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

/** The keys a chosen-fields expansion defines, known before anything is fetched. */
export function chosenKeys(json: JsonExpansion | undefined): string[] | undefined {
  return json?.kind === 'fields' ? json.fields.map((f) => f.key) : undefined;
}

export function expandJson(parameter: string, value: string, json: JsonExpansion, groupKey: string, nests: boolean): Expanded {
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
  const walk = (node: Record<string, unknown>, path: string[]): void => {
    for (const [name, v] of Object.entries(node)) {
      if (isObject(v) && Object.keys(v).length > 0) walk(v, [...path, name]);
      else entries.push([keyFor(groupKey, [...path, name], nests), asText(v)]);
    }
  };
  walk(object, []);
  return { entries, missingFields: [] };
}

function keyFor(groupKey: string, path: string[], nests: boolean): string {
  if (nests) return [groupKey, ...path].join('.');
  return [groupKey, ...path].join('_').replace(/[^A-Za-z0-9_]/g, '_').toUpperCase();
}

function parseObject(value: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lookup(object: Record<string, unknown>, path: string[]): unknown {
  let node: unknown = object;
  for (const segment of path) {
    if (!isObject(node) || !Object.prototype.hasOwnProperty.call(node, segment)) return undefined;
    node = own(node, segment);
  }
  return node;
}

function asText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
