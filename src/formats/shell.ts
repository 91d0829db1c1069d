/**
 * A file for `set -a; . file` (or plain `. file`) in bash, dash, busybox
 * ash, zsh, ksh93 or mksh:
 * `export KEY='value'`, one per key.
 *
 * Inside single quotes a POSIX shell interprets nothing (no `$`, backtick,
 * backslash or history expansion) and newlines are literal, so the only
 * character that needs work is `'` itself, written `'\''` (close, escaped
 * quote, reopen). The shell never executes anything from a value. What the
 * shell cannot hold is a NUL byte (C strings), so values with NUL are refused.
 */
import { ENV_NAME, HEADER, Refusals, assertUniqueKeys, envStringTooLong, isWellFormed, reasons, selfCheck } from './common.js';
import { nullRecord } from '../records.js';
import type { Entries, Format } from './types.js';
import { shellSpecialFamily } from '../trust/keys.js';

/** A single-quoted shell word for `value` (NUL not allowed). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Parse exactly the syntax `render` writes: `#` comment lines, blank lines,
 * and `export NAME=WORD` where WORD is a sequence of `'…'` and `\'` pieces.
 * Anything else returns undefined; this is a reader for our own files (plan
 * and check), not a shell.
 */
const EXPORT = /export ([A-Za-z_][A-Za-z0-9_]*)=/y;

function parse(content: string): Record<string, string> | undefined {
  const out = nullRecord<string>();
  let i = 0;
  const n = content.length;
  while (i < n) {
    if (content[i] === '\n') {
      i++;
      continue;
    }
    if (content[i] === '#') {
      const end = content.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
      continue;
    }
    EXPORT.lastIndex = i;
    const head = EXPORT.exec(content);
    if (!head) return undefined;
    const key = head[1]!;
    i += head[0].length;
    let value = '';
    let pieces = 0;
    while (i < n && content[i] !== '\n') {
      if (content[i] === "'") {
        const close = content.indexOf("'", i + 1);
        if (close === -1) return undefined;
        value += content.slice(i + 1, close);
        i = close + 1;
      } else if (content.startsWith("\\'", i)) {
        value += "'";
        i += 2;
      } else return undefined;
      pieces++;
    }
    if (pieces === 0) return undefined;
    out[key] = value;
  }
  return out;
}

export const shellFormat: Format = {
  name: 'shell',
  kind: 'keys',
  consumer: 'bash, dash, busybox ash, zsh, ksh93 or mksh: `set -a; . file` (or `. file`)',
  nests: false,
  invalidKeys: (keys) => keys.filter((k) => !ENV_NAME.test(k) || shellSpecialFamily(k) !== undefined),
  render(entries: Entries) {
    assertUniqueKeys(entries);
    const refusals = new Refusals('shell');
    const lines = [`# ${HEADER}`];
    for (const [key, value] of entries) {
      if (!ENV_NAME.test(key)) refusals.add(key, `the key is not a shell variable name (${ENV_NAME.source})`);
      else if (shellSpecialFamily(key) !== undefined)
        refusals.add(key, `the key is a ${shellSpecialFamily(key)} in bash, dash, busybox ash, zsh, ksh93 or mksh (docs/untrusted-keys.md)`);
      else if (!isWellFormed(value)) refusals.add(key, reasons.malformed);
      else if (value.includes('\0')) refusals.add(key, reasons.nul);
      else if (envStringTooLong(key, value)) refusals.add(key, reasons.tooLong);
      else lines.push(`export ${key}=${shellQuote(value)}`);
    }
    refusals.throwIfAny();
    const content = lines.join('\n') + '\n';
    selfCheck('shell', entries, content, parse);
    return content;
  },
  parse,
};
