/**
 * Dotted keys for the structured formats (json, yaml, php): `db.host` and
 * `db.port` become `{ db: { host, port } }`. Maps keep first-appearance order,
 * so the output follows the order of the entries (a plain object would move
 * integer-like keys such as `"10"` to the front).
 */
import { Refusals, assertUniqueKeys, isWellFormed, reasons } from './common.js';
import { nullRecord } from '../records.js';
import type { Entries } from './types.js';

export type Tree = Map<string, Node>;
export type Node = string | Tree;

/** C0 and C1 controls and DEL: never useful in a key and unreadable in a file. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Keys are split on `.`; every segment must be non-empty (`a..b`, `.a`, `a.`
 * have no nested meaning) and free of control characters.
 */
export function invalidNestedKeys(keys: readonly string[]): string[] {
  return keys.filter((k) => k.split('.').some((segment) => segment === '') || CONTROL.test(k) || /\p{Cs}/u.test(k));
}

/**
 * Build the tree, refusing by key every key that is both a value and the
 * parent of other keys (`db` and `db.host`): both are named, since either one
 * may be the mistake.
 */
export function buildTree(entries: Entries, refusals: Refusals): Tree {
  const keys = new Set(entries.map(([k]) => k));
  for (const [key] of entries) {
    const segments = key.split('.');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('.');
      if (keys.has(parent)) {
        refusals.add(parent, `it is a value and also the parent of nested keys (such as ${JSON.stringify(key)})`);
        refusals.add(key, `its parent ${JSON.stringify(parent)} is a value, so it cannot hold nested keys`);
      }
    }
  }
  const root: Tree = new Map();
  for (const [key, value] of entries) {
    const segments = key.split('.');
    let node = root;
    for (const segment of segments.slice(0, -1)) {
      let child = node.get(segment);
      if (child === undefined) {
        child = new Map();
        node.set(segment, child);
      }
      // A collision, already refused above; keep building so every key is checked.
      if (typeof child === 'string') break;
      node = child;
    }
    const leaf = segments[segments.length - 1]!;
    if (!node.has(leaf)) node.set(leaf, value);
  }
  return root;
}

/**
 * Flatten a parsed document back to dotted keys. Returns undefined when a leaf
 * is not a string or the shape is not nested maps: not something we wrote,
 * and a consumer would not read it as our values.
 */
export function flattenParsed(value: unknown): Record<string, string> | undefined {
  const out = nullRecord<string>();
  const walk = (node: unknown, prefix: string): boolean => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return false;
    const entries = node instanceof Map ? [...node.entries()] : Object.entries(node as Record<string, unknown>);
    for (const [k, v] of entries) {
      if (typeof k !== 'string') return false;
      const key = prefix === '' ? k : `${prefix}.${k}`;
      if (typeof v === 'string') out[key] = v;
      else if (!walk(v, key)) return false;
    }
    return true;
  };
  return walk(value, '') ? out : undefined;
}

/**
 * The checks every nesting format (json, yaml, php) makes before it
 * serializes: unique keys, no key with an empty segment or a control
 * character, well-formed values, no key that is both a value and a parent.
 * Every refusal is reported at once, by key.
 */
export function nestedTree(format: string, entries: Entries): Tree {
  assertUniqueKeys(entries);
  const refusals = new Refusals(format);
  for (const key of invalidNestedKeys(entries.map(([k]) => k))) {
    refusals.add(key, 'the key has an empty segment or a control character');
  }
  for (const [key, value] of entries) if (!isWellFormed(value)) refusals.add(key, reasons.malformed);
  const tree = buildTree(entries, refusals);
  refusals.throwIfAny();
  return tree;
}
