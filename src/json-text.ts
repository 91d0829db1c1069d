/**
 * A strict JSON parser (RFC 8259) that keeps every number as its source
 * text, for JSON expansion of parameter values.
 *
 * Why not JSON.parse: it turns numbers into doubles, so a secret's
 * `12345678901234567890` became `12345678901234567000`, `1.10` became `1.1`
 * and `1e400` became `null` in the written file. A value is copied, never
 * computed with, so its text is what must survive.
 *
 * Why our own and not a library: the grammar is small and fixed, the one
 * feature needed (numbers as text) is the whole point, and objects come back
 * as Maps, so a field named `__proto__` or `constructor` is an ordinary name,
 * never an inherited member. Nesting is bounded before parsing by a flat
 * scan (`nestingDepth`), so the recursive descent below cannot overflow the
 * stack however the value is built.
 *
 * Errors carry no text of the input: the value is a secret.
 */
import { own } from './records.js';

export type JsonNode =
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'literal'; text: 'true' | 'false' | 'null' }
  | { kind: 'array'; items: JsonNode[] }
  | { kind: 'object'; fields: Map<string, JsonNode> };

/** The deepest nesting of arrays and objects accepted; no real secret comes near it. */
export const MAX_JSON_DEPTH = 64;

export class JsonSyntaxError extends Error {}

/**
 * The deepest nesting of `[`/`{` in `text`, counted outside strings without
 * parsing (no recursion). Malformed text gives some number; the parser
 * rejects it afterwards.
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** Parse `text`; throws JsonSyntaxError (without any of the text) if it is not exactly one JSON value. Check nestingDepth first. */
export function parseJsonText(text: string): JsonNode {
  const parser = new Parser(text);
  parser.skipSpace();
  const node = parser.value();
  parser.skipSpace();
  if (parser.pos !== text.length) throw new JsonSyntaxError('text after the JSON value');
  return node;
}

/** Compact JSON for `node`, with numbers written exactly as they were read. */
export function stringifyJsonNode(node: JsonNode): string {
  switch (node.kind) {
    case 'string':
      return JSON.stringify(node.value);
    case 'number':
    case 'literal':
      return node.text;
    case 'array':
      return `[${node.items.map(stringifyJsonNode).join(',')}]`;
    case 'object':
      return `{${[...node.fields].map(([k, v]) => `${JSON.stringify(k)}:${stringifyJsonNode(v)}`).join(',')}}`;
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos]!)) this.pos++;
  }

  value(): JsonNode {
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { kind: 'string', value: this.string() };
    for (const text of ['true', 'false', 'null'] as const) {
      if (this.text.startsWith(text, this.pos)) {
        this.pos += text.length;
        return { kind: 'literal', text };
      }
    }
    NUMBER.lastIndex = this.pos;
    const number = NUMBER.exec(this.text);
    if (!number) throw new JsonSyntaxError('expected a JSON value');
    this.pos += number[0].length;
    return { kind: 'number', text: number[0] };
  }

  private object(): JsonNode {
    const fields = new Map<string, JsonNode>();
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', fields };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') throw new JsonSyntaxError('expected a field name');
      const name = this.string();
      this.skipSpace();
      this.expect(':');
      this.skipSpace();
      // A repeated name keeps the last value, as JSON.parse does.
      fields.set(name, this.value());
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return { kind: 'object', fields };
      }
      this.expect(',');
    }
  }

  private array(): JsonNode {
    const items: JsonNode[] = [];
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { kind: 'array', items };
    }
    for (;;) {
      this.skipSpace();
      items.push(this.value());
      this.skipSpace();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return { kind: 'array', items };
      }
      this.expect(',');
    }
  }

  private string(): string {
    let out = '';
    this.pos++;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) throw new JsonSyntaxError('unterminated string');
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c < ' ') throw new JsonSyntaxError('control character in a string');
      if (c !== '\\') {
        out += c;
        this.pos++;
        continue;
      }
      const e = this.text[this.pos + 1];
      if (e === 'u') {
        const hex = this.text.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw new JsonSyntaxError('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else if (e !== undefined && own(ESCAPES, e) !== undefined) {
        out += own(ESCAPES, e);
        this.pos += 2;
      } else throw new JsonSyntaxError('bad escape');
    }
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) throw new JsonSyntaxError(`expected ${c}`);
    this.pos++;
  }
}
