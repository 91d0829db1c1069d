/**
 * JSON for any JSON reader. Dotted keys nest (`db.host` -> `{"db":{"host":…}}`).
 * Every value is a JSON string, so no reader can see a number or boolean.
 * Layout matches `JSON.stringify(value, null, 2)` but keeps the entries'
 * order (a plain object would move integer-like keys to the front).
 */
import { selfCheck } from './common.js';
import { flattenParsed, invalidNestedKeys, type Tree, nestedTree } from './nest.js';
import type { Entries, Format } from './types.js';

function serialize(tree: Tree, indent: string): string {
  if (tree.size === 0) return '{}';
  const inner = indent + '  ';
  const members = [...tree].map(([k, v]) => `${inner}${JSON.stringify(k)}: ${typeof v === 'string' ? JSON.stringify(v) : serialize(v, inner)}`);
  return `{\n${members.join(',\n')}\n${indent}}`;
}

function parse(content: string): Record<string, string> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return undefined;
  }
  return flattenParsed(value);
}

export const jsonFormat: Format = {
  name: 'json',
  kind: 'keys',
  consumer: 'any JSON reader (JSON.parse, jq, json_decode, …)',
  nests: true,
  invalidKeys: invalidNestedKeys,
  render(entries: Entries) {
    // JSON could escape a lone surrogate, but the other formats cannot and SSM never holds one.
    const tree = nestedTree('json', entries);
    const content = serialize(tree, '') + '\n';
    selfCheck('json', entries, content, parse);
    return content;
  },
  parse,
};
