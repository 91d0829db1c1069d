/**
 * YAML for YAML 1.2 readers (the `yaml` package, Go, …) and YAML 1.1 readers
 * (PyYAML, Ruby's Psych, SnakeYAML), which read a plain `no`, `on`, `~`,
 * `0x1F` or `1e3` as a boolean, null or number.
 *
 * We do not let a library choose the scalar style: every key and every value
 * is a double-quoted scalar, which is a string under every YAML version and
 * schema. `yaml` 2.9 leaves characters such as NEL (U+0085), U+2028, DEL and
 * U+FEFF raw inside double quotes; YAML 1.1 readers fold the first two as line
 * breaks and PyYAML rejects the others. So the escaping is our own: anything
 * outside printable ASCII and the printable non-ASCII ranges both YAML
 * versions accept is written as an escape sequence.
 */
import { parse as parseYamlText } from 'yaml';
import { HEADER, Refusals, selfCheck } from './common.js';
import { yamlSpecialFamily } from '../trust/keys.js';
import { flattenParsed, invalidNestedKeys, type Tree, nestedTree } from './nest.js';
import type { Entries, Format } from './types.js';
import { own } from '../records.js';

const NAMED: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\0': '\\0',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

/**
 * Characters written as escapes: C0 controls, DEL, C1 controls (NEL is a line
 * break in YAML 1.1), the Unicode line and paragraph separators (line breaks
 * in YAML 1.1), the BOM (stripped or rejected by readers) and the
 * noncharacters U+FFFE/U+FFFF (outside the YAML printable set).
 */
const NEEDS_ESCAPE = /[\\"\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

/** A double-quoted YAML scalar that reads back as exactly `value` under YAML 1.1 and 1.2. */
export function yamlDoubleQuoted(value: string): string {
  return (
    '"' +
    value.replace(NEEDS_ESCAPE, (c) => {
      const named = own(NAMED, c);
      if (named !== undefined) return named;
      const code = c.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    }) +
    '"'
  );
}

function serialize(tree: Tree, indent: string): string[] {
  const lines: string[] = [];
  for (const [k, v] of tree) {
    if (typeof v === 'string') lines.push(`${indent}${yamlDoubleQuoted(k)}: ${yamlDoubleQuoted(v)}`);
    else lines.push(`${indent}${yamlDoubleQuoted(k)}:`, ...serialize(v, indent + '  '));
  }
  return lines;
}

function parse(content: string): Record<string, string> | undefined {
  let value: unknown;
  try {
    // Strict 1.2 core schema; duplicate keys are an error rather than "last wins".
    value = parseYamlText(content, { uniqueKeys: true, prettyErrors: false });
  } catch {
    return undefined;
  }
  return flattenParsed(value);
}

/** `a.<<.b` does not read back from any YAML 1.1 reader that merges (Psych merges even a quoted `<<`). */
function refuseYamlSpecialKeys(entries: Entries): void {
  const refusals = new Refusals('yaml');
  for (const [key] of entries) {
    const family = yamlSpecialFamily(key);
    if (family !== undefined) refusals.add(key, `the key holds a ${family}`);
  }
  refusals.throwIfAny('rename the key (or the JSON field it came from)');
}

export const yamlFormat: Format = {
  name: 'yaml',
  kind: 'keys',
  consumer: 'any YAML 1.1 or 1.2 reader (yaml, PyYAML yaml.safe_load, Psych, SnakeYAML, Go yaml)',
  nests: true,
  invalidKeys: (keys) => [...new Set([...invalidNestedKeys(keys), ...keys.filter((k) => yamlSpecialFamily(k) !== undefined)])],
  render(entries: Entries) {
    refuseYamlSpecialKeys(entries);
    const tree = nestedTree('yaml', entries);
    const body = tree.size === 0 ? ['{}'] : serialize(tree, '');
    const content = [`# ${HEADER}`, ...body].join('\n') + '\n';
    selfCheck('yaml', entries, content, parse);
    return content;
  },
  parse,
};
