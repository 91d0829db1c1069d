/**
 * `.env` files for node's `dotenv` (16, 17, 18) AND Node's own loader
 * (`node --env-file`, `process.loadEnvFile`, `util.parseEnv`, Node >= 20.12).
 *
 * The two read the same file differently. dotenv has no general escape
 * mechanism (only `\n` and `\r`, only inside double quotes), reads `\'` as an
 * escaped quote, matches a quoted value greedily across lines, turns a literal
 * CR into LF, and `#` starts a comment even without a space. Node's parser
 * has no escapes at all: a quoted value ends at the FIRST matching quote, the
 * rest of that line is dropped and the following lines are read as new
 * `KEY=value` lines; it deletes every CR; inside double quotes it expands `\n`
 * but not `\r`. So a value that dotenv reads back from `'it's'` would hand
 * Node a new line such as `NODE_OPTIONS=--import=data:...`.
 *
 * Hence the rule: a value is quoted only with a quote kind it does not
 * contain (single quotes, then backticks, then double quotes with newlines
 * written `\n`), else written bare, and the first candidate that BOTH
 * `dotenv.parse` and Node's `util.parseEnv` give back exactly is kept. A value
 * neither reads back (a CR anywhere, all three quote kinds plus a newline or a
 * `#`, ...) is refused by key. Every rendered file is then parsed again whole by
 * both (the self-check), so no value can end a quote or add a key in either.
 */
import { parseEnv as nodeParseEnv } from 'node:util';
import dotenv from 'dotenv';
import { UsageError } from '../errors.js';
import { HEADER, Refusals, assertUniqueKeys, isWellFormed, reasons, selfCheck } from './common.js';
import { nullRecord, own } from '../records.js';
import type { Entries, Format } from './types.js';

/**
 * dotenv itself reads keys matching `[A-Za-z0-9_.-]+`. We also require a
 * letter or `_` first, so every key is a plausible variable name, and refuse
 * `__proto__`, which `dotenv.parse` silently drops (it assigns into a plain
 * object, where that name sets the prototype instead of a property).
 */
export const DOTENV_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Node's own parser (Node >= 20.12); the check is for an older Node, which
 * can still run every other format. Imported by name: a default import of a
 * built-in makes the bundle read every property's descriptor, and node:util's
 * lazy properties then load modules the tool never uses (worker threads
 * among them) on every start.
 */
function parseEnv(content: string): Record<string, string | undefined> {
  if (typeof nodeParseEnv !== 'function') {
    throw new UsageError(`the dotenv format needs Node.js 20.12 or newer (to check files with Node's own .env parser); this is ${process.version}`);
  }
  return nodeParseEnv(content);
}

/** Quote kinds in the order they are tried. */
const QUOTES = ["'", '`', '"'] as const;

/**
 * The quoted (or bare) form of `value` that dotenv and Node's parser both read
 * back exactly, or undefined when there is none. A CR or a NUL is never
 * representable: Node's parser deletes every CR, and an environment variable
 * cannot hold a NUL.
 */
export function quoteDotenv(value: string, key = 'K'): string | undefined {
  if (!isWellFormed(value) || value.includes('\r') || value.includes('\0')) return undefined;
  // dotenv reads `\'` (and `\"`, `` \` ``) as an escaped quote: a quoted value
  // ending in a backslash would swallow the following lines in dotenv.
  const quoted = value.endsWith('\\')
    ? []
    : QUOTES.filter((q) => !value.includes(q)).map((q) => (q === '"' ? `"${value.replace(/\n/g, '\\n')}"` : `${q}${value}${q}`));
  // A bare value starting with a quote is read as an (unterminated) quoted one.
  const bare = /^['"`]/.test(value) ? [] : [value];
  for (const candidate of [...quoted, ...bare]) {
    const line = `${key}=${candidate}\n`;
    if (readsBackExactly(dotenv.parse(line), key, value) && readsBackExactly(parseEnv(line), key, value)) return candidate;
  }
  return undefined;
}

function readsBackExactly(parsed: Readonly<Record<string, string | undefined>>, key: string, value: string): boolean {
  const keys = Object.keys(parsed);
  return keys.length === 1 && keys[0] === key && own(parsed, key) === value;
}

function parse(content: string): Record<string, string> {
  // Copy into a prototype-free record: same data, and callers can index it safely.
  return Object.assign(nullRecord<string>(), dotenv.parse(content));
}

/** Node's own reader (`node --env-file`, `process.loadEnvFile`). */
function parseWithNode(content: string): Record<string, string> {
  return Object.assign(nullRecord<string>(), parseEnv(content) as Record<string, string>);
}

/**
 * The self-check, by both consumers, on the whole file: a value that ended a
 * quote or added a line in either would show here as a refused key.
 */
export function checkDotenvFile(entries: Entries, content: string): void {
  selfCheck('dotenv', entries, content, parse);
  selfCheck('dotenv', entries, content, parseWithNode);
}

export const dotenvFormat: Format = {
  name: 'dotenv',
  kind: 'keys',
  consumer: "node dotenv 16-18 (dotenv.parse / dotenv.config) and Node's own loader (node --env-file, process.loadEnvFile, util.parseEnv)",
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
      if (value.includes('\0')) {
        refusals.add(key, reasons.nul);
        continue;
      }
      const quoted = quoteDotenv(value, key);
      if (quoted === undefined) {
        refusals.add(key, "neither dotenv nor Node's --env-file parser reads it back exactly in any quoting (single, backtick, double or bare)");
        continue;
      }
      lines.push(`${key}=${quoted}`);
    }
    refusals.throwIfAny(
      "use the json or yaml format for this output, or change the value; `exec` can still pass it; a rotated password fits every .env file when generated with ExcludeCharacters '\\`' (backslash and backtick; docs/formats.md)",
    );
    const content = lines.join('\n') + '\n';
    checkDotenvFile(entries, content);
    return content;
  },
  parse,
};
