/**
 * A user template: any text with `{{ KEY | filter }}` placeholders.
 *
 * The filter is REQUIRED. A template writes values into some other syntax
 * (PHP, YAML, a shell script, nginx), and only the author knows which; a
 * default would silently pick one, and the wrong choice turns a secret with a
 * quote in it into a broken or injectable file. `raw` exists for the cases
 * where no quoting is wanted, and has to be written out.
 *
 * | filter   | writes                                                        |
 * |----------|---------------------------------------------------------------|
 * | `raw`    | the value as is                                               |
 * | `json`   | a JSON string literal, quotes included; `<` `>` `&` U+2028    |
 * |          | U+2029 as `\u` escapes, so it also stands in an HTML script  |
 * | `yaml`   | a double-quoted YAML scalar (string in YAML 1.1 and 1.2)      |
 * | `sh`     | a single-quoted shell word (`'` as `'\''`); NUL refused        |
 * | `php`    | a single-quoted PHP literal (`\\` and `\'`)                   |
 * | `dotenv` | the dotenv quoting of the dotenv format; may refuse a value   |
 * | `systemd`| a double-quoted systemd EnvironmentFile value; NUL and       |
 * |          | noncharacters refused                                         |
 * | `token`  | the value as is if it is one plain word (letters, digits and  |
 * |          | `. _ : / @ + = , -`); anything else refused                   |
 *
 * Every filter but `raw` and `token` writes its own quotes, so it is safe
 * only where a complete literal may stand, never inside quotes, comments or
 * here-documents the template already opened: `"{{ X | sh }}"` lets a value
 * with `"` end the author's string. Such placeholders are refused, with the
 * context read over the whole template by template-context.ts
 * (docs/formats.md lists each filter's safe context). A `sh` placeholder
 * that starts a command argument refuses a value starting with `-`, which
 * the command would take as an option.
 *
 * Syntax: a placeholder starts at `{{` and ends at the next `}}` on the same
 * line; spaces inside are optional. `{{ '{{' }}` writes a literal `{{` (any
 * text in single or double quotes is written as is, e.g. `{{ "}}" }}`).
 * Problems (unclosed placeholder, missing or unknown filter, unknown key) are
 * reported all at once as a ManifestError with the template path and line.
 *
 * The output is exactly the template with placeholders replaced: no newline
 * is added, so a template can produce a single-secret file whose consumer
 * would choke on a trailing newline.
 */
import { ManifestError, type ManifestProblem } from '../errors.js';
import { Refusals, assertUniqueKeys, isWellFormed, reasons } from './common.js';
import { quoteDotenv } from './dotenv.js';
import { phpQuote } from './php.js';
import { shellQuote } from './shell.js';
import { filterLanguage, placesIn, type Language } from './template-context.js';
import { hasNoncharacter, systemdQuote } from './systemd.js';
import type { Entries, Format, RenderContext } from './types.js';
import { yamlDoubleQuoted } from './yaml.js';
import { own } from '../records.js';

type Filter = (value: string) => string | { refused: string };

export const templateFilters: Record<string, Filter> = {
  raw: (v) => v,
  json: (v) => jsonForScript(v),
  yaml: (v) => yamlDoubleQuoted(v),
  sh: (v) => (v.includes('\0') ? { refused: reasons.nul } : shellQuote(v)),
  php: (v) => phpQuote(v),
  dotenv: (v) => quoteDotenv(v) ?? { refused: 'no dotenv quoting (single, backtick, double or bare) reads it back exactly' },
  systemd: (v) =>
    v.includes('\0')
      ? { refused: reasons.nul }
      : hasNoncharacter(v)
        ? { refused: 'it contains a Unicode noncharacter, which systemd rejects' }
        : systemdQuote(v),
  // For syntaxes with no escaping a filter could target (nginx directives,
  // where even a quoted string expands `$variables`): a value that could end
  // the argument, the directive or the block, or start a comment or a
  // variable, is refused instead of written.
  token: (v) => (TOKEN.test(v) ? v : { refused: 'it is not one plain word (letters, digits and . _ : / @ + = , - only)' }),
};

const TOKEN = /^[A-Za-z0-9._:/@+=,-]+$/;

/**
 * A JSON string literal that is also safe as the text of an HTML `<script>`:
 * `</script>` or `<!--` in a value would end or change the script element
 * for the browser's tokenizer, and U+2028/U+2029 end a line in older
 * JavaScript. The `\u` escapes read back as the same string in any JSON
 * parser.
 */
function jsonForScript(v: string): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

type Piece = { kind: 'text'; text: string } | { kind: 'value'; key: string; filter: string; line: number; column: number; optionPosition?: boolean };

const KEY = /^[^\s|'"{}]+$/;

/**
 * Split a template into text and placeholders; every syntax problem is
 * collected. One scanning loop (~80 lines): its position state is shared by
 * every branch.
 */
function scan(text: string, path: string): { pieces: Piece[]; problems: ManifestProblem[] } {
  const pieces: Piece[] = [];
  const problems: ManifestProblem[] = [];
  let pos = 0;
  let line = 1;
  let lineStart = 0;
  // Advance the line counter to `to`, so positions are reported as line:column.
  const advance = (to: number): void => {
    for (let i = text.indexOf('\n', pos); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
  };
  for (;;) {
    const open = text.indexOf('{{', pos);
    if (open === -1) {
      pieces.push({ kind: 'text', text: text.slice(pos) });
      break;
    }
    advance(open);
    pieces.push({ kind: 'text', text: text.slice(pos, open) });
    const column = open - lineStart + 1;
    const problem = (message: string): void => {
      problems.push({ file: path, line, column, message });
    };
    const lineEnd = (() => {
      const nl = text.indexOf('\n', open);
      return nl === -1 ? text.length : nl;
    })();
    let i = open + 2;
    while (i < lineEnd && (text[i] === ' ' || text[i] === '\t')) i++;
    const quote = text[i];
    if (quote === "'" || quote === '"') {
      // A quoted literal: `{{ '{{' }}`.
      const closeQuote = text.indexOf(quote, i + 1);
      let j = closeQuote + 1;
      while (j < lineEnd && (text[j] === ' ' || text[j] === '\t')) j++;
      if (closeQuote === -1 || closeQuote >= lineEnd || !text.startsWith('}}', j)) {
        problem(`unclosed placeholder: a quoted literal must look like {{ '{{' }} on one line`);
        pos = lineEnd;
        continue;
      }
      pieces.push({ kind: 'text', text: text.slice(i + 1, closeQuote) });
      pos = j + 2;
      continue;
    }
    const close = text.indexOf('}}', open + 2);
    if (close === -1 || close > lineEnd) {
      problem("unclosed placeholder: `{{` needs a `}}` on the same line (write {{ '{{' }} for a literal `{{`)");
      pos = lineEnd;
      continue;
    }
    pos = close + 2;
    const body = text.slice(open + 2, close).trim();
    const parts = body.split('|').map((s) => s.trim());
    const key = parts[0] ?? '';
    if (body === '') {
      problem("empty placeholder `{{ }}` (write {{ '{{' }} for a literal `{{`)");
      continue;
    }
    if (!KEY.test(key)) {
      problem(`invalid key ${JSON.stringify(key)} in placeholder (write {{ '{{' }} for a literal \`{{\`)`);
      continue;
    }
    if (parts.length === 1) {
      problem(
        `placeholder {{ ${key} }} has no filter; add one: {{ ${key} | FILTER }} with FILTER one of ${Object.keys(templateFilters).join(', ')} (raw writes the value unescaped)`,
      );
      continue;
    }
    if (parts.length > 2) {
      problem(`placeholder {{ ${body} }} has more than one filter; use exactly one`);
      continue;
    }
    const filter = parts[1]!;
    if (!Object.prototype.hasOwnProperty.call(templateFilters, filter)) {
      problem(`unknown filter ${JSON.stringify(filter)} (one of ${Object.keys(templateFilters).join(', ')})`);
      continue;
    }
    if (filter === 'json' && /\.ya?ml(\.tmpl)?$/i.test(path)) {
      problem(
        `{{ ${key} | json }} in a YAML file: a JSON string is not always the same YAML string (YAML 1.1 folds U+0085, U+2028, U+2029); use the yaml filter`,
      );
      continue;
    }
    pieces.push({ kind: 'value', key, filter, line, column });
  }
  const kept = pieces.filter((p) => p.kind !== 'text' || p.text !== '');
  if (!problems.length) problems.push(...checkPlaces(kept, path));
  return { pieces: kept, problems };
}

/**
 * Every placeholder with a quoting filter must stand in code of the
 * filter's language, read over the whole template (template-context.ts).
 * Sets `optionPosition` on `sh` placeholders that start a command argument.
 */
function checkPlaces(pieces: Piece[], path: string): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  // The template as its consumer sees it, each placeholder one opaque word character.
  let text = '';
  const holes = new Map<number, Extract<Piece, { kind: 'value' }>>();
  for (const p of pieces) {
    if (p.kind === 'text') text += p.text;
    else {
      holes.set(text.length, p);
      text += 'x';
    }
  }
  const holeSet = new Set(holes.keys());
  const languages = new Set([...holes.values()].map((p) => own(filterLanguage, p.filter)).filter((l) => l !== undefined));
  for (const language of languages) {
    const places = placesIn(language, text, holeSet);
    for (const [index, piece] of holes) {
      if (own(filterLanguage, piece.filter) !== language) continue;
      // A placeholder the reader stepped over (escaped by a backslash, part of a here-document's word) is not known to be code.
      const place = places.get(index) ?? { enclosedBy: 'escaped, or part of a word the check cannot read as code', optionPosition: false };
      if (place.optionPosition) piece.optionPosition = true;
      if (!place.enclosedBy) continue;
      problems.push({
        file: path,
        line: piece.line,
        column: piece.column,
        message: `{{ ${piece.key} | ${piece.filter} }} is ${place.enclosedBy}, but the ${piece.filter} filter writes a complete quoted literal, safe only in code: a value could end what encloses it; move the placeholder out (${FIX[language]})`,
      });
    }
  }
  return problems;
}

const FIX: Record<Language, string> = {
  sh: `write X={{ X | sh }} or cmd -- {{ X | sh }}, not "{{ X | sh }}"`,
  php: `write 'k' => {{ X | php }}, or 'a' . {{ X | php }} inside <?php … ?>`,
  generic: `write "k": {{ X | json }} or k: {{ X | yaml }}, not "{{ X | json }}"`,
};

/**
 * The keys a template refers to, in order of first use, so the pipeline can
 * check every placeholder is defined before fetching anything. Throws a
 * ManifestError listing every syntax problem (with line and column).
 */
export function templateKeys(text: string, path: string): string[] {
  const { pieces, problems } = scan(text, path);
  if (problems.length) throw new ManifestError(problems);
  const keys: string[] = [];
  for (const p of pieces) if (p.kind === 'value' && !keys.includes(p.key)) keys.push(p.key);
  return keys;
}

export function renderTemplate(text: string, path: string, entries: Entries): string {
  assertUniqueKeys(entries);
  const { pieces, problems } = scan(text, path);
  const values = new Map(entries);
  for (const p of pieces) {
    if (p.kind === 'value' && !values.has(p.key)) {
      problems.push({
        file: path,
        line: p.line,
        column: p.column,
        message: `unknown key ${JSON.stringify(p.key)}: define it in the output's values or paths`,
      });
    }
  }
  if (problems.length) throw new ManifestError(problems.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0)));
  const refusals = new Refusals('template');
  const out: string[] = [];
  for (const p of pieces) {
    if (p.kind === 'text') {
      out.push(p.text);
      continue;
    }
    const value = values.get(p.key)!;
    if (!isWellFormed(value)) {
      refusals.add(p.key, reasons.malformed);
      continue;
    }
    if (p.optionPosition && value.startsWith('-')) {
      refusals.add(
        p.key,
        `filter sh: it starts with \`-\` and the placeholder starts a command argument, where the command would read it as an option; write \`cmd -- {{ ${p.key} | sh }}\` (for commands that take \`--\`) or \`--option={{ ${p.key} | sh }}\``,
      );
      continue;
    }
    const written = own(templateFilters, p.filter)!(value);
    if (typeof written === 'string') out.push(written);
    else refusals.add(p.key, `filter ${p.filter}: ${written.refused}`);
  }
  refusals.throwIfAny('use a different filter for this placeholder, or change the value');
  return out.join('');
}

export const templateFormat: Format = {
  name: 'template',
  kind: 'template',
  consumer: 'whatever reads the rendered template; values are quoted by the filter named in each placeholder',
  nests: false,
  // Keys only have to be referable from a placeholder.
  invalidKeys: (keys) => keys.filter((k) => !KEY.test(k)),
  render(entries: Entries, ctx: RenderContext) {
    if (!ctx.template) {
      throw new ManifestError([{ file: ctx.outputPath, line: 0, message: 'format `template` needs a `template` file' }]);
    }
    return renderTemplate(ctx.template.text, ctx.template.path, entries);
  },
  // A rendered template cannot be read back into values.
  parse: () => undefined,
};
