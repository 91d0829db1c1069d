/**
 * JSON for any JSON reader. Dotted keys nest (`db.host` -> `{"db":{"host":…}}`).
 * Every value is a JSON string, so no reader can see a number or boolean.
 * Layout matches `JSON.stringify(value, null, 2)` but keeps the entries'
 * order (a plain object would move integer-like keys to the front).
 */
import { Refusals, assertUniqueKeys, isWellFormed, reasons, selfCheck } from './common.js';
import { buildTree, flattenParsed, invalidNestedKeys, type Tree } from './nest.js';
import type { Entries, Format } from './types.js';

function serialize(tree: Tree, indent: string): string {
  if (tree.size === 0) return '{}';
  const inner = indent + '  ';
  const members = [...tree].map(
    ([k, v]) => `${inner}${JSON.stringify(k)}: ${typeof v === 'string' ? JSON.stringify(v) : serialize(v, inner)}`,
  );
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
  consumer: 'any JSON reader (JSON.parse, jq, json_decode, …)',
  nests: true,
  invalidKeys: invalidNestedKeys,
  render(entries: Entries) {
    assertUniqueKeys(entries);
    const refusals = new Refusals('json');
    for (const key of invalidNestedKeys(entries.map(([k]) => k))) {
      refusals.add(key, 'the key has an empty segment or a control character');
    }
    // JSON could escape a lone surrogate, but the other formats cannot and SSM never holds one.
    for (const [key, value] of entries) if (!isWellFormed(value)) refusals.add(key, reasons.malformed);
    const tree = buildTree(entries, refusals);
    refusals.throwIfAny();
    const content = serialize(tree, '') + '\n';
    selfCheck('json', entries, content, parse);
    return content;
  },
  parse,
};
