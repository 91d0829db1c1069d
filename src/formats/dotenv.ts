/**
 * `.env` files for node's `dotenv` (18.0.10) and loaders that follow it.
 *
 * dotenv has no general escape mechanism: only `\n` and `\r`, and only inside
 * double quotes; `#` starts a comment even without a space before it; a
 * literal CR becomes LF. So instead of a quoting rule we try, per value,
 * single quotes, backticks, double quotes (newline and CR written as `\n` and
 * `\r`), then the bare value, and keep the first candidate that
 * `dotenv.parse` gives back exactly (quote kinds absent from the value first,
 * so the file also reads right in stricter .env readers). Values no candidate expresses (for
 * example one holding all three quote kinds and a `#`, or a CR, a `"` and a
 * `#`) are refused by key.
 */
import dotenv from 'dotenv';
import { HEADER, Refusals, assertUniqueKeys, emptyRecord, isWellFormed, reasons, selfCheck } from './common.js';
import type { Entries, Format } from './types.js';

/**
 * dotenv itself reads keys matching `[A-Za-z0-9_.-]+`. We also require a
 * letter or `_` first, so every key is a plausible variable name, and refuse
 * `__proto__`, which `dotenv.parse` silently drops (it assigns into a plain
 * object, where that name sets the prototype instead of a property).
 */
export const DOTENV_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The dotenv-quoted form of `value`, or undefined when dotenv cannot hold it. */
export function quoteDotenv(value: string, key = 'K'): string | undefined {
  if (!isWellFormed(value)) return undefined;
  // dotenv's quoted patterns read `\'` (and `\"`, `` \` ``) as an escaped quote and
  // match greedily across lines: a quoted value ending in a backslash parses
  // right alone but swallows the next lines up to a later quote in a real file.
  const quoted = value.endsWith('\\')
    ? []
    : [`'${value}'`, `\`${value}\``, `"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`];
  // dotenv's greedy matching reads `'it's'` back as `it's`, but other .env
  // readers do not: first try the quotes that do not occur in the value, and
  // only then every candidate in order.
  const clean = quoted.filter((q) => !value.includes(q[0]!));
  // A bare value starting with a quote is matched by the quoted patterns too,
  // which then run on into the following lines looking for the closing quote.
  const bare = /^['"`]/.test(value) ? [] : [value];
  const candidates = [...clean, ...quoted.filter((q) => !clean.includes(q)), ...bare];
  for (const candidate of candidates) {
    const parsed = dotenv.parse(`${key}=${candidate}\n`);
    const keys = Object.keys(parsed);
    if (keys.length === 1 && keys[0] === key && parsed[key] === value) return candidate;
  }
  return undefined;
}

function parse(content: string): Record<string, string> {
  // Copy into a prototype-free record: same data, and callers can index it safely.
  return Object.assign(emptyRecord(), dotenv.parse(content));
}

export const dotenvFormat: Format = {
  name: 'dotenv',
  consumer: "node dotenv 18 (dotenv.parse / dotenv.config) and compatible .env loaders",
  nests: false,
  invalidKeys: (keys) => keys.filter((k) => !DOTENV_KEY.test(k) || k === '__proto__'),
  render(entries: Entries) {
    assertUniqueKeys(entries);
    const refusals = new Refusals('dotenv');
    const lines = [`# ${HEADER}`];
    for (const [key, value] of entries) {
      if (!DOTENV_KEY.test(key) || key === '__proto__') {
        refusals.add(key, `the key is not a dotenv variable name (${DOTENV_KEY.source}, not __proto__)`);
        continue;
      }
      if (!isWellFormed(value)) {
        refusals.add(key, reasons.malformed);
        continue;
      }
      const quoted = quoteDotenv(value, key);
      if (quoted === undefined) {
        refusals.add(key, 'no dotenv quoting (single, backtick, double or bare) reads it back exactly');
        continue;
      }
      lines.push(`${key}=${quoted}`);
    }
    refusals.throwIfAny('use the json or yaml format for this output, or change the value');
    const content = lines.join('\n') + '\n';
    selfCheck('dotenv', entries, content, parse);
    return content;
  },
  parse,
};
