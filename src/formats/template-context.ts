/**
 * Where each placeholder of a template stands, in the syntax its filter
 * writes for: a quoting filter (`sh`, `php`, `json`, ...) makes a value safe
 * only as a whole literal in code, never inside a string, comment or
 * here-document the template opened. A check that looked only at the
 * placeholder's own line, with one notion of escaping, accepted `'a'\''{{ X |
 * sh }}'` (inside quotes for sh) and PHP strings that continue over lines:
 * templates that ran commands from the value.
 *
 * So one small lexer per language family reads the WHOLE template, with
 * every placeholder standing as one opaque word character, and reports for
 * each placeholder whether it is in code, and if not, what encloses it and
 * on which line that opened:
 *
 * - `sh`: POSIX sh and bash (single quotes without escapes, so `'\''` ends
 *   and reopens; double quotes, `$'…'`, backticks, `$(…)`, `${…}`,
 *   comments, here-documents), read once as bash reads `$'…'` and once as
 *   dash does; enclosed under either reading is enclosed. It also tells whether the placeholder starts
 *   a command argument with no `--` before it in the same command, where a
 *   value starting with `-` would be read as an option.
 * - `php`: text outside `<?php`/`<?=` … `?>`, single quotes (`\'`, `\\`),
 *   double quotes and backticks (`\` escapes), `//`, `#` and block
 *   comments, heredoc and nowdoc.
 * - `generic` (json, yaml, dotenv, systemd: JSON, YAML, JavaScript, INI-like
 *   files): double quotes with `\` escapes; single quotes and backticks read
 *   both with and without `\` escapes (YAML has none, JavaScript has them),
 *   and the placeholder must be outside quotes under both readings; `#` and
 *   `//` comments after a blank, and block comments. An apostrophe inside a word (`don't`) opens
 *   nothing in these syntaxes.
 *
 * Every reading errs toward "enclosed": a template this refuses can be
 * rewritten (move the placeholder out of the quotes); one it wrongly
 * accepted ran the value.
 */

export type Language = 'sh' | 'php' | 'generic';

/** A placeholder's place: `enclosedBy` says what encloses it (undefined in code). */
export interface Place {
  enclosedBy?: string;
  /** sh only: it starts a command argument with no `--` before it, where `-x` is an option. */
  optionPosition?: boolean;
}

/** The language whose syntax each quoting filter writes. */
export const filterLanguage: Record<string, Language | undefined> = {
  sh: 'sh',
  php: 'php',
  json: 'generic',
  yaml: 'generic',
  dotenv: 'generic',
  systemd: 'generic',
};

/**
 * Places of the placeholders in `text`, where each index in `holes` is one
 * character standing for a placeholder.
 */
export function placesIn(language: Language, text: string, holes: ReadonlySet<number>): Map<number, Place> {
  // bash, zsh and ksh read `$'…'` with escapes; dash and POSIX sh read `$` and then '…'. Enclosed under either is enclosed.
  if (language === 'sh') return either(shPlaces(text, holes, true), shPlaces(text, holes, false));
  if (language === 'php') return phpPlaces(text, holes);
  // Enclosed under either reading of `\` is enclosed.
  return either(genericPlaces(text, holes, true), genericPlaces(text, holes, false));
}

/** Each placeholder's place under two readings: enclosed if either says so (or if either could not place it). */
function either(a: Map<number, Place>, b: Map<number, Place>): Map<number, Place> {
  const places = new Map<number, Place>();
  for (const [i, place] of a) {
    const other = b.get(i);
    if (other === undefined) continue;
    if (place.enclosedBy) places.set(i, place);
    else if (other.enclosedBy) places.set(i, other);
    else places.set(i, { optionPosition: Boolean(place.optionPosition || other.optionPosition) });
  }
  return places;
}

/** 1-based line of `index` in `text`. */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

type ShFrame =
  | { kind: 'code'; closer?: ')' | '}'; parens: number; wordStart: boolean; sawDashDash: boolean; word: string; afterDollar: boolean; opened: number }
  | { kind: 'sq'; opened: number }
  | { kind: 'dq'; opened: number }
  | { kind: 'ansi'; opened: number }
  | { kind: 'bq'; opened: number };

const SH_ENCLOSURES = { sq: "'…'", dq: '"…"', ansi: "$'…'", bq: '`…`' } as const;
const SH_SEPARATORS = new Set([';', '&', '|', '(', ')', '\n']);

/** The sh/bash reading; see the file comment. One pass, a stack of nested quotes and substitutions. */
function shPlaces(text: string, holes: ReadonlySet<number>, ansiQuotes: boolean): Map<number, Place> {
  const places = new Map<number, Place>();
  const code = (opened: number, closer?: ')' | '}'): ShFrame => ({
    kind: 'code',
    closer,
    parens: 0,
    wordStart: true,
    sawDashDash: false,
    word: '',
    afterDollar: false,
    opened,
  });
  const stack: ShFrame[] = [code(0)];
  const heredocs: Array<{ delimiter: string; stripTabs: boolean }> = [];
  const enclosure = (): string | undefined => {
    const backtick = stack.find((f) => f.kind === 'bq');
    if (backtick) return `inside ${SH_ENCLOSURES.bq} (opened on line ${lineAt(text, backtick.opened)})`;
    const top = stack[stack.length - 1]!;
    if (top.kind !== 'code') return `inside ${SH_ENCLOSURES[top.kind]} (opened on line ${lineAt(text, top.opened)})`;
    if (top.closer === '}') return `inside \${…} (opened on line ${lineAt(text, top.opened)})`;
    return undefined;
  };
  let i = 0;
  while (i < text.length) {
    const frame = stack[stack.length - 1]!;
    const c = text[i]!;
    if (holes.has(i)) {
      const enclosedBy = enclosure();
      if (frame.kind === 'code') {
        // `$'…'` is bash's quoting with backslash escapes: the filter's `'\''` would end it.
        if (frame.afterDollar) places.set(i, { enclosedBy: "right after `$`, where bash reads $'…' with backslash escapes" });
        else places.set(i, enclosedBy ? { enclosedBy } : { optionPosition: frame.wordStart && !frame.sawDashDash });
        frame.wordStart = false;
        frame.afterDollar = false;
        frame.word += '\0';
      } else places.set(i, { enclosedBy });
      i++;
      continue;
    }
    if (frame.kind === 'sq') {
      if (c === "'") stack.pop();
      i++;
      continue;
    }
    if (frame.kind === 'ansi' || frame.kind === 'bq') {
      if (c === '\\') i += 2;
      else {
        if (c === (frame.kind === 'ansi' ? "'" : '`')) stack.pop();
        i++;
      }
      continue;
    }
    if (frame.kind === 'dq') {
      if (c === '\\') i += 2;
      else if (c === '"') (stack.pop(), i++);
      else if (c === '`') (stack.push({ kind: 'bq', opened: i }), i++);
      else if (text.startsWith('$(', i)) (stack.push(code(i, ')')), (i += 2));
      else if (text.startsWith('${', i)) (stack.push(code(i, '}')), (i += 2));
      else i++;
      continue;
    }
    // Code.
    // A `$` that opens `$(`, `${` or `$'` is not left behind once that construct closes.
    frame.afterDollar = c === '$' && !['(', '{', "'"].includes(text[i + 1] ?? '');
    if (c === ' ' || c === '\t') {
      if (frame.word === '--') frame.sawDashDash = true;
      frame.word = '';
      frame.wordStart = true;
      i++;
      continue;
    }
    // In `${#name}` the `#` is an operator, not a comment.
    if (c === '#' && frame.wordStart && frame.closer !== '}') {
      // A comment runs to the end of the line; a placeholder in it is not code.
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      for (let j = i; j < stop; j++) if (holes.has(j)) places.set(j, { enclosedBy: `in a comment (line ${lineAt(text, i)})` });
      i = stop;
      continue;
    }
    if (c === '\n' && heredocs.length) {
      i = skipHeredocBodies(text, i + 1, heredocs.splice(0), holes, places);
      frame.word = '';
      frame.wordStart = true;
      frame.sawDashDash = false;
      continue;
    }
    if (frame.closer === ')' && c === ')' && frame.parens === 0) {
      stack.pop();
      i++;
      continue;
    }
    if (frame.closer === '}' && c === '}') {
      stack.pop();
      i++;
      continue;
    }
    if (SH_SEPARATORS.has(c)) {
      if (c === '(') frame.parens++;
      if (c === ')') frame.parens = Math.max(0, frame.parens - 1);
      frame.word = '';
      frame.wordStart = true;
      frame.sawDashDash = false;
      i++;
      continue;
    }
    if (c === '<' && text.startsWith('<<', i) && !text.startsWith('<<<', i)) {
      const heredoc = readHeredocOperator(text, i);
      heredocs.push(heredoc.spec);
      frame.word = '';
      frame.wordStart = true;
      i = heredoc.end;
      continue;
    }
    frame.wordStart = false;
    if (c === '\\') {
      // An escaped newline joins lines; any other escaped character is part of the word.
      if (text[i + 1] !== '\n') frame.word += text.slice(i, i + 2);
      i += 2;
    } else if (c === "'") (stack.push({ kind: 'sq', opened: i }), (frame.word += c), i++);
    else if (c === '"') (stack.push({ kind: 'dq', opened: i }), (frame.word += c), i++);
    else if (c === '`') (stack.push({ kind: 'bq', opened: i }), (frame.word += c), i++);
    else if (ansiQuotes && text.startsWith("$'", i)) (stack.push({ kind: 'ansi', opened: i }), (frame.word += "$'"), (i += 2));
    else if (text.startsWith('$(', i)) (stack.push(code(i, ')')), (frame.word += '$('), (i += 2));
    else if (text.startsWith('${', i)) (stack.push(code(i, '}')), (frame.word += '${'), (i += 2));
    else ((frame.word += c), i++);
  }
  return places;
}

/** `<<-? WORD` at `i`: the delimiter with its quotes removed, and where the operator ends. */
function readHeredocOperator(text: string, i: number): { spec: { delimiter: string; stripTabs: boolean }; end: number } {
  let j = i + 2;
  const stripTabs = text[j] === '-';
  if (stripTabs) j++;
  while (text[j] === ' ' || text[j] === '\t') j++;
  let delimiter = '';
  while (j < text.length && !/[\s;&|<>()]/.test(text[j]!)) {
    const c = text[j]!;
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, j + 1);
      const stop = close === -1 ? text.length : close;
      delimiter += text.slice(j + 1, stop);
      j = stop + 1;
    } else if (c === '\\') {
      delimiter += text[j + 1] ?? '';
      j += 2;
    } else {
      delimiter += c;
      j++;
    }
  }
  return { spec: { delimiter, stripTabs }, end: j };
}

/** Skip the bodies of pending here-documents from `start`; placeholders in them are enclosed. Returns the index after the last delimiter line. */
function skipHeredocBodies(
  text: string,
  start: number,
  pending: Array<{ delimiter: string; stripTabs: boolean }>,
  holes: ReadonlySet<number>,
  places: Map<number, Place>,
): number {
  let pos = start;
  for (const { delimiter, stripTabs } of pending) {
    const opened = lineAt(text, start) - 1;
    while (pos < text.length) {
      const end = text.indexOf('\n', pos);
      const stop = end === -1 ? text.length : end;
      let line = text.slice(pos, stop);
      if (stripTabs) line = line.replace(/^\t+/, '');
      let hasHole = false;
      for (let j = pos; j < stop; j++) {
        if (holes.has(j)) {
          places.set(j, { enclosedBy: `inside a here-document (started on line ${opened})` });
          hasHole = true;
        }
      }
      pos = stop + 1;
      if (!hasHole && line === delimiter) break;
    }
  }
  return Math.min(pos, text.length);
}

type PhpState = 'html' | 'code' | 'sq' | 'dq' | 'bq' | 'line-comment' | 'block-comment';
const PHP_ENCLOSURES: Record<Exclude<PhpState, 'code'>, string> = {
  html: 'outside <?php … ?>, where PHP prints text as is',
  sq: "inside '…'",
  dq: 'inside "…"',
  bq: 'inside `…` (a shell command in PHP)',
  'line-comment': 'in a comment',
  'block-comment': 'inside /* … */',
};

/** The PHP reading; see the file comment. */
function phpPlaces(text: string, holes: ReadonlySet<number>): Map<number, Place> {
  const places = new Map<number, Place>();
  // Widened: `enter` changes it from inside a closure.
  let state = 'html' as PhpState;
  let opened = 0;
  const enter = (next: PhpState, at: number) => {
    state = next;
    opened = at;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (holes.has(i)) {
      places.set(i, state === 'code' ? {} : { enclosedBy: `${PHP_ENCLOSURES[state]}${state === 'html' ? '' : ` (opened on line ${lineAt(text, opened)})`}` });
      i++;
      continue;
    }
    switch (state) {
      case 'html': {
        const open = /^<\?(?:php(?=[\s])|=)/i.exec(text.slice(i, i + 6));
        if (open) (enter('code', i), (i += open[0].length));
        else i++;
        break;
      }
      case 'sq':
      case 'dq':
      case 'bq':
        if (c === '\\') i += 2;
        else {
          if (c === { sq: "'", dq: '"', bq: '`' }[state]) enter('code', i);
          i++;
        }
        break;
      case 'line-comment':
        // `?>` ends a one-line comment and the code block.
        if (c === '\n') enter('code', i);
        else if (text.startsWith('?>', i)) (enter('html', i), i++);
        i++;
        break;
      case 'block-comment':
        if (text.startsWith('*/', i)) (enter('code', i), i++);
        i++;
        break;
      case 'code':
        i = phpCodeStep(text, i, holes, places, enter);
        break;
    }
  }
  return places;
}

/** One step of PHP code at `i`; returns the next index. */
function phpCodeStep(text: string, i: number, holes: ReadonlySet<number>, places: Map<number, Place>, enter: (next: PhpState, at: number) => void): number {
  const c = text[i]!;
  if (text.startsWith('?>', i)) return (enter('html', i), i + 2);
  if (c === "'") return (enter('sq', i), i + 1);
  if (c === '"') return (enter('dq', i), i + 1);
  if (c === '`') return (enter('bq', i), i + 1);
  if (text.startsWith('/*', i)) return (enter('block-comment', i), i + 2);
  if (text.startsWith('//', i) || (c === '#' && text[i + 1] !== '[')) return (enter('line-comment', i), i + 1);
  const heredoc = /^<<<[ \t]*(['"]?)([A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)\1\r?\n/.exec(text.slice(i, i + 300));
  if (!heredoc) return i + 1;
  // The body runs to a line holding the identifier after optional blanks, not followed by an identifier character.
  const label = heredoc[2]!;
  const closing = new RegExp(`^[ \\t]*${label}(?![A-Za-z0-9_\\x80-\\uffff])`);
  const line = lineAt(text, i);
  let pos = i + heredoc[0].length;
  while (pos < text.length) {
    const end = text.indexOf('\n', pos);
    const stop = end === -1 ? text.length : end;
    let hasHole = false;
    for (let j = pos; j < stop; j++) {
      if (holes.has(j)) {
        places.set(j, { enclosedBy: `inside a heredoc or nowdoc (started on line ${line})` });
        hasHole = true;
      }
    }
    const match = closing.exec(text.slice(pos, stop));
    if (match && !hasHole) return pos + match[0].length;
    pos = stop + 1;
  }
  return text.length;
}

/** The generic reading; `escapes`: whether `\` escapes inside single quotes and backticks. */
function genericPlaces(text: string, holes: ReadonlySet<number>, escapes: boolean): Map<number, Place> {
  const places = new Map<number, Place>();
  let quote: string | undefined;
  let opened = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const prev = text[i - 1];
    if (holes.has(i)) {
      places.set(i, quote ? { enclosedBy: `inside ${quote}…${quote} (opened on line ${lineAt(text, opened)})` } : {});
      i++;
      continue;
    }
    if (quote) {
      if (c === '\\' && (quote === '"' || escapes)) i++;
      else if (c === quote) quote = undefined;
      i++;
      continue;
    }
    const afterBlank = prev === undefined || prev === ' ' || prev === '\t' || prev === '\n';
    if (text.startsWith('/*', i) && (afterBlank || /[;,(=:[{]/.test(prev))) {
      // A JavaScript block comment: a value holding `*/` would end it.
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      for (let j = i; j < stop; j++) if (holes.has(j)) places.set(j, { enclosedBy: `inside /* … */ (opened on line ${lineAt(text, i)})` });
      i = stop;
      continue;
    }
    if (afterBlank && (c === '#' || text.startsWith('//', i))) {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      for (let j = i; j < stop; j++) if (holes.has(j)) places.set(j, { enclosedBy: `in a comment (line ${lineAt(text, i)})` });
      i = stop;
      continue;
    }
    if (c === '"' || c === '`' || (c === "'" && !(prev !== undefined && /[\p{L}\p{N}_]/u.test(prev) && !holes.has(i - 1)))) {
      quote = c;
      opened = i;
    }
    i++;
  }
  return places;
}
