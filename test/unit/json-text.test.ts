/** The lossless JSON parser accepts exactly what JSON.parse accepts and reads the same values, numbers kept as text. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestingDepth, parseJsonText, stringifyJsonNode, type JsonNode } from '../../src/json-text.js';

/** The node as JSON.parse would give it (numbers through Number), to compare with JSON.parse. */
function plain(node: JsonNode): unknown {
  switch (node.kind) {
    case 'string':
      return node.value;
    case 'number':
      return Number(node.text);
    case 'literal':
      return JSON.parse(node.text);
    case 'array':
      return node.items.map(plain);
    case 'object':
      return Object.fromEntries([...node.fields].map(([k, v]) => [k, plain(v)]));
  }
}

function accepts(text: string): boolean {
  try {
    parseJsonText(text);
    return true;
  } catch {
    return false;
  }
}

function jsonAccepts(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('parseJsonText', () => {
  it('reads every JSON text as JSON.parse does, and writes back JSON that reads the same', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'medium' }), (text) => {
        const node = parseJsonText(text);
        expect(plain(node)).toEqual(JSON.parse(text));
        expect(JSON.parse(stringifyJsonNode(node))).toEqual(JSON.parse(text));
      }),
      { seed: 16, numRuns: 2000 },
    );
  });

  it('accepts exactly what JSON.parse accepts (random and near-JSON text)', () => {
    const nearJson = fc.stringMatching(/^[\s{}[\]",:0-9eE.+\-tfrunlasx\\/u]{0,24}$/);
    fc.assert(
      fc.property(fc.oneof(fc.string(), nearJson), (text) => {
        expect(accepts(text), text).toBe(jsonAccepts(text));
      }),
      { seed: 16, numRuns: 20_000 },
    );
  });

  it('keeps number text and counts nesting without recursion', () => {
    expect(stringifyJsonNode(parseJsonText(' {"a" : [ 1.10 , 1e400, -0, 12345678901234567890 ] } '))).toBe('{"a":[1.10,1e400,-0,12345678901234567890]}');
    for (const bad of ['01', '1.', '.5', '+1', '1e', '"\t"', "'a'", '{"a":1,}', '[1,]', 'NaN', '\ufeff{}', '"\\x"']) expect(accepts(bad), bad).toBe(false);
    expect(nestingDepth('[{"a":"[[[["}]')).toBe(2);
    expect(nestingDepth('['.repeat(1_000_000))).toBe(1_000_000);
  });
});
