/**
 * One concern, one module. Each of these once lived in several places, and a
 * second copy is how they drift apart (a temp-file name the stale-file cleanup
 * did not recognise, a hook that ran without its marker):
 *
 *   src/files/sidecars.ts the names of files kept next to an output (temp, pending, fetched)
 *   src/files/targets.ts  owners and groups through the name service (getent, /etc/passwd)
 *   src/files/hooks.ts    running verify and on_change: the shell, the variables a hook sees
 *   src/store.ts          what opening a store is (StoreOpener): one name, one type
 *
 * Checked on the code, not the comments: string literals (read with the
 * TypeScript scanner) and code patterns outside them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The text of every string literal and template piece, and the code without comments (string literals blanked, template pieces kept). */
export function split(text: string): { literals: string[]; code: string } {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
  const literals: string[] = [];
  let code = '';
  const keep = (kind: ts.SyntaxKind): void => {
    if (kind === ts.SyntaxKind.StringLiteral || kind === ts.SyntaxKind.NoSubstitutionTemplateLiteral) {
      literals.push(scanner.getTokenValue());
      code += '""';
    } else if (kind === ts.SyntaxKind.TemplateHead || kind === ts.SyntaxKind.TemplateMiddle || kind === ts.SyntaxKind.TemplateTail) {
      // Kept in the code too: `.${basename(p)}` is a pattern of code and literal together.
      literals.push(scanner.getTokenValue());
      code += scanner.getTokenText();
    } else if (kind !== ts.SyntaxKind.SingleLineCommentTrivia && kind !== ts.SyntaxKind.MultiLineCommentTrivia) code += scanner.getTokenText();
  };
  // Template pieces after `${...}` are only scanned as such when the scanner is told a `}` closes a substitution.
  const braces: boolean[] = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.TemplateHead) braces.push(true);
    else if (kind === ts.SyntaxKind.OpenBraceToken) braces.push(false);
    else if (kind === ts.SyntaxKind.CloseBraceToken) {
      if (braces.pop()) {
        kind = scanner.reScanTemplateToken(false);
        if (kind === ts.SyntaxKind.TemplateMiddle) braces.push(true);
      }
    } else if (kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) {
      // A regular expression wherever a division cannot be: not after a name, a number, `)` or `]` (`return` aside).
      const before = code.trimEnd();
      if (!/[\w$)\]]$/.test(before) || /\breturn$/.test(before)) kind = scanner.reScanSlashToken();
    }
    keep(kind);
  }
  return { literals, code };
}

interface Rule {
  concern: string;
  home: string;
  /** Found in a string literal's text. */
  literal?: RegExp;
  /** Found in the code outside literals and comments. */
  code?: RegExp;
  /** A source that must be found (a check that finds nothing proves nothing). */
  sample: string;
}

const RULES: Rule[] = [
  {
    concern: 'a sidecar suffix (our mark, .tmp)',
    home: 'files/sidecars.ts',
    literal: /\.ssm-materialize\.|\.tmp$/,
    sample: "const p = `.${name}.ssm-materialize.pending`; x.endsWith('.tmp');",
  },
  { concern: 'a hidden name next to an output', home: 'files/sidecars.ts', code: /`\.\$\{basename\(/, sample: 'join(dir, `.${basename(path)}x`)' },
  {
    concern: 'a name-service lookup (getent, /etc/passwd, /etc/group)',
    home: 'files/targets.ts',
    literal: /^getent\b|^\/etc\/(passwd|group)$|^\/etc\/$/,
    sample: "execFile('getent', ['passwd', name]); readFile(`/etc/${db}`);",
  },
  {
    concern: 'a hook environment variable',
    home: 'files/hooks.ts',
    literal: /^SSM_MATERIALIZE_(FILE|OUTPUT|STAGED)/,
    code: /\bSSM_MATERIALIZE_(FILE|OUTPUT)\b/,
    sample: '({ ...env, SSM_MATERIALIZE_FILE: file });',
  },
  // `${at}.verify` in the manifest reader's messages is text, not a hook run.
  {
    concern: 'a manifest hook run (spec.verify, spec.onChange)',
    home: 'files/hooks.ts',
    code: /(?<!\})\.(onChange|verify)\b/,
    sample: 'runHook(spec.onChange ?? "", out.spec.verify)',
  },
  { concern: 'a hook shell (/bin/sh)', home: 'files/hooks.ts', literal: /^\/bin\/sh$/, sample: "spawn('/bin/sh', ['-c', command])" },
  {
    concern: 'the type of a store opener',
    home: 'store.ts',
    code: /=>\s*(OpenedStore|Promise<OpenedStore>)|\b(StoreFactory|OpenStore)\b/,
    sample: 'export type OpenStore = (region: string | undefined) => Promise<OpenedStore>;',
  },
];

describe('one module per concern', () => {
  it('the scanner sees literals and code apart, comments in neither', () => {
    const { literals, code } = split("// getent here\nconst a = `x${y}.tmp` + 'q' + /re'g/.source; /* .onChange */ b.onChange;\n");
    expect(literals).toEqual(['x', '.tmp', 'q']);
    expect(code).not.toMatch(/getent|'q'/);
    expect(code).toMatch(/b\.onChange/);
    expect(code.match(/\.onChange/g)).toHaveLength(1);
  });

  for (const rule of RULES) {
    it(`${rule.concern} appears only in src/${rule.home}`, () => {
      const hits = (text: string): boolean => {
        const { literals, code } = split(text);
        return (rule.literal !== undefined && literals.some((l) => rule.literal!.test(l))) || (rule.code !== undefined && rule.code.test(code));
      };
      expect(hits(rule.sample), 'the sample').toBe(true);
      expect(hits(readFileSync(join(SRC, rule.home), 'utf8')), `src/${rule.home} does it`).toBe(true);
      const offenders = sources(SRC)
        .map((f) => relative(SRC, f))
        .filter((rel) => rel !== rule.home && hits(readFileSync(join(SRC, rel), 'utf8')));
      expect(offenders).toEqual([]);
    });
  }
});
