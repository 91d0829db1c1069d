/**
 * A file for systemd's `EnvironmentFile=` (systemd.exec(5)).
 *
 * systemd reads it with `load_env_file()` in src/basic/env-file.c, a small
 * state machine (ported as `parseSystemdEnvFile` below). Inside double quotes:
 * `\` followed by one of `"` `\` `` ` `` `$` yields that character, `\`
 * followed by a newline is a line continuation (both dropped), `\` before any
 * other character is kept, and every other character, newline and CR
 * included, is literal. No variable expansion happens in EnvironmentFile=.
 * So we write `KEY="…"` with exactly those four characters backslash-escaped
 * and everything else raw, which is also what systemd's own `write_env_file()`
 * does. Multi-line values (PEM blocks) are written as literal newlines inside
 * the quotes: `\n` would be read as a backslash and an `n`.
 *
 * Refused: NUL (the parser stops at the first NUL byte); lone surrogates and
 * Unicode noncharacters (U+FDD0..U+FDEF and U+xFFFE/U+xFFFF in every plane),
 * which systemd's utf8_is_valid() rejects, failing the whole file and so the
 * unit; and `KEY=value` strings longer than Linux passes to a program.
 *
 * Older systemd releases dropped variables whose value held control
 * characters other than TAB (env_value_is_valid); current releases, including
 * v252 that this was checked against, keep them.
 */
import { ENV_NAME, HEADER, Refusals, assertUniqueKeys, envStringTooLong, isWellFormed, reasons, selfCheck } from './common.js';
import { nullRecord } from '../records.js';
import type { Entries, Format } from './types.js';

/** systemd's SHELL_NEED_ESCAPE: the characters a backslash un-escapes inside double quotes. */
const NEED_ESCAPE = '"\\`$';

export function systemdQuote(value: string): string {
  return `"${value.replace(/["\\`$]/g, (c) => '\\' + c)}"`;
}

/** systemd's unichar_is_valid() refuses these code points, even though they are valid UTF-8. */
export function hasNoncharacter(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return true;
  }
  return false;
}

const WHITESPACE = ' \t\n\r';
const NEWLINE = '\n\r';
const COMMENTS = '#;';

/**
 * Port of `parse_env_file_internal()` + `load_env_file_push()` (systemd
 * src/basic/env-file.c), applied the way `EnvironmentFile=` applies it: later
 * assignments win, a bare `KEY=` is the empty string, and names that are not
 * valid environment names are dropped when the service is started.
 * Returns undefined where systemd would reject the whole file (invalid UTF-8
 * or a noncharacter in a key or value).
 * One loop over the characters on purpose (~110 lines): it mirrors systemd's
 * own state machine (env-file.c), and split into pieces it would no longer
 * read side by side with that source.
 */
export function parseSystemdEnvFile(content: string): Record<string, string> | undefined {
  if (!isWellFormed(content)) return undefined;
  const out = nullRecord<string>();
  type State =
    | 'PRE_KEY'
    | 'KEY'
    | 'PRE_VALUE'
    | 'VALUE'
    | 'VALUE_ESCAPE'
    | 'SINGLE_QUOTE_VALUE'
    | 'DOUBLE_QUOTE_VALUE'
    | 'DOUBLE_QUOTE_VALUE_ESCAPE'
    | 'COMMENT'
    | 'COMMENT_ESCAPE';
  let state: State = 'PRE_KEY';
  let key = '';
  let value = '';
  // Index in `key`/`value` where trailing whitespace starts, or -1.
  let lastKeyWhitespace = -1;
  let lastValueWhitespace = -1;

  let rejected = false;
  const push = (chompValue: boolean): void => {
    const k = lastKeyWhitespace === -1 ? key : key.slice(0, lastKeyWhitespace);
    const v = chompValue && lastValueWhitespace !== -1 ? value.slice(0, lastValueWhitespace) : value;
    // check_utf8ness_and_warn(): an error that aborts loading the whole file.
    if (hasNoncharacter(k) || hasNoncharacter(v)) rejected = true;
    if (ENV_NAME.test(k)) out[k] = v;
    key = '';
    value = '';
  };

  for (const c of content) {
    // systemd reads the file as a C string: parsing stops at the first NUL.
    if (c === '\0') break;
    switch (state) {
      case 'PRE_KEY':
        if (COMMENTS.includes(c)) state = 'COMMENT';
        else if (!WHITESPACE.includes(c)) {
          state = 'KEY';
          lastKeyWhitespace = -1;
          key += c;
        }
        break;
      case 'KEY':
        if (NEWLINE.includes(c)) {
          state = 'PRE_KEY';
          key = '';
        } else if (c === '=') {
          state = 'PRE_VALUE';
          lastValueWhitespace = -1;
        } else {
          if (!WHITESPACE.includes(c)) lastKeyWhitespace = -1;
          else if (lastKeyWhitespace === -1) lastKeyWhitespace = key.length;
          key += c;
        }
        break;
      case 'PRE_VALUE':
        if (NEWLINE.includes(c)) {
          state = 'PRE_KEY';
          push(false);
        } else if (c === "'") state = 'SINGLE_QUOTE_VALUE';
        else if (c === '"') state = 'DOUBLE_QUOTE_VALUE';
        else if (c === '\\') state = 'VALUE_ESCAPE';
        else if (!WHITESPACE.includes(c)) {
          state = 'VALUE';
          value += c;
        }
        break;
      case 'VALUE':
        if (NEWLINE.includes(c)) {
          state = 'PRE_KEY';
          push(true);
        } else if (c === '\\') {
          state = 'VALUE_ESCAPE';
          lastValueWhitespace = -1;
        } else {
          if (!WHITESPACE.includes(c)) lastValueWhitespace = -1;
          else if (lastValueWhitespace === -1) lastValueWhitespace = value.length;
          value += c;
        }
        break;
      case 'VALUE_ESCAPE':
        state = 'VALUE';
        if (!NEWLINE.includes(c)) value += c;
        break;
      case 'SINGLE_QUOTE_VALUE':
        if (c === "'") state = 'PRE_VALUE';
        else value += c;
        break;
      case 'DOUBLE_QUOTE_VALUE':
        if (c === '"') state = 'PRE_VALUE';
        else if (c === '\\') state = 'DOUBLE_QUOTE_VALUE_ESCAPE';
        else value += c;
        break;
      case 'DOUBLE_QUOTE_VALUE_ESCAPE':
        state = 'DOUBLE_QUOTE_VALUE';
        if (NEED_ESCAPE.includes(c)) value += c;
        else if (c !== '\n') value += '\\' + c;
        break;
      case 'COMMENT':
        if (c === '\\') state = 'COMMENT_ESCAPE';
        else if (NEWLINE.includes(c)) state = 'PRE_KEY';
        break;
      case 'COMMENT_ESCAPE':
        // v254+: an escaped newline ends the comment; v252 kept the comment going.
        // Our files never end a comment with a backslash, so both agree on them.
        state = NEWLINE.includes(c) ? 'PRE_KEY' : 'COMMENT';
        break;
    }
  }
  if (
    state === 'PRE_VALUE' ||
    state === 'VALUE' ||
    state === 'VALUE_ESCAPE' ||
    state === 'SINGLE_QUOTE_VALUE' ||
    state === 'DOUBLE_QUOTE_VALUE' ||
    state === 'DOUBLE_QUOTE_VALUE_ESCAPE'
  ) {
    push(state === 'VALUE');
  }
  return rejected ? undefined : out;
}

export const systemdFormat: Format = {
  name: 'systemd',
  kind: 'keys',
  consumer: 'systemd EnvironmentFile= (systemd.exec(5))',
  nests: false,
  invalidKeys: (keys) => keys.filter((k) => !ENV_NAME.test(k)),
  render(entries: Entries) {
    assertUniqueKeys(entries);
    const refusals = new Refusals('systemd');
    const lines = [`# ${HEADER}`];
    for (const [key, value] of entries) {
      if (!ENV_NAME.test(key)) refusals.add(key, `the key is not a valid environment name for systemd (${ENV_NAME.source})`);
      else if (!isWellFormed(value)) refusals.add(key, reasons.malformed);
      else if (value.includes('\0')) refusals.add(key, reasons.nul);
      else if (hasNoncharacter(value)) {
        refusals.add(key, 'it contains a Unicode noncharacter (U+FDD0..U+FDEF or U+xFFFE/U+xFFFF), which systemd rejects as invalid UTF-8');
      } else if (envStringTooLong(key, value)) refusals.add(key, reasons.tooLong);
      else lines.push(`${key}=${systemdQuote(value)}`);
    }
    refusals.throwIfAny();
    const content = lines.join('\n') + '\n';
    selfCheck('systemd', entries, content, parseSystemdEnvFile);
    return content;
  },
  parse: parseSystemdEnvFile,
};
