/**
 * A format declares what it is (`kind` in src/formats/types.ts: a file of
 * keys, a template, a raw file), and code outside src/formats/ asks that,
 * never the name: `spec.format === 'file'` in four modules is how adding a
 * format once meant editing the writer, the diff, `exec` and the manifest
 * reader. Checked with the TypeScript compiler over src/: no comparison,
 * `switch` case or `includes` puts a format's name, as a string literal,
 * against a value that holds a format's name.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { formatNames } from '../../src/formats/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');
const FORMATS = join(SRC, 'formats') + sep;
const NAMES = new Set<string>(formatNames);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function literalName(node: ts.Node): string | undefined {
  return (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && NAMES.has(node.text) ? node.text : undefined;
}

/**
 * Whether `expr` holds a format's name: its type is a union of format names
 * only (`FormatName`, a narrowed `spec.format`), or it is a plain string
 * whose text says it is a format (`formatName`, `out.spec.format`). A log
 * format (`'text' | 'json'`) or a FormatKind (`'keys' | 'template' | 'raw'`)
 * is not one.
 */
function holdsFormatName(checker: ts.TypeChecker, expr: ts.Expression): boolean {
  const type = checker.getTypeAtLocation(expr);
  const parts = type.isUnion() ? type.types : [type];
  if (parts.every((t) => t.isStringLiteral())) return parts.every((t) => t.isStringLiteral() && NAMES.has(t.value));
  return parts.some((t) => t.flags & ts.TypeFlags.String) && /format/i.test(expr.getText());
}

export function formatNameTests(files: string[]): string[] {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    types: ['node'],
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`not loaded: ${file}`);
    const report = (node: ts.Node): void => {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      found.push(`${relative(ROOT, file)}:${line + 1}: ${node.getText().slice(0, 80)}`);
    };
    const visit = (node: ts.Node): void => {
      if (
        ts.isBinaryExpression(node) &&
        [
          ts.SyntaxKind.EqualsEqualsEqualsToken,
          ts.SyntaxKind.ExclamationEqualsEqualsToken,
          ts.SyntaxKind.EqualsEqualsToken,
          ts.SyntaxKind.ExclamationEqualsToken,
        ].includes(node.operatorToken.kind)
      ) {
        if ((literalName(node.right) && holdsFormatName(checker, node.left)) || (literalName(node.left) && holdsFormatName(checker, node.right))) report(node);
      }
      if (ts.isSwitchStatement(node) && holdsFormatName(checker, node.expression)) {
        for (const clause of node.caseBlock.clauses) if (ts.isCaseClause(clause) && literalName(clause.expression)) report(clause.expression);
      }
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'includes') {
        const list = node.expression.expression;
        const arg = node.arguments[0];
        if (arg && ts.isArrayLiteralExpression(list) && list.elements.some((e) => literalName(e)) && holdsFormatName(checker, arg)) report(node);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe("code outside src/formats/ asks a format's kind, never its name", () => {
  it('no module outside src/formats/ compares a format name to a string literal', () => {
    const outside = sourceFiles(SRC).filter((f) => !f.startsWith(FORMATS));
    expect(outside.length).toBeGreaterThan(20);
    expect(formatNameTests(outside)).toEqual([]);
  });

  it('finds each form it forbids, and passes kinds and other formats (a check that finds nothing proves nothing)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'format-names-'));
    try {
      const file = join(dir, 'sample.ts');
      writeFileSync(
        file,
        `type FormatName = 'dotenv' | 'template' | 'file';
type Kind = 'keys' | 'template' | 'raw';
export function sample(spec: { format: FormatName }, formatName: string, kind: Kind, log: 'text' | 'json', other: string): unknown[] {
  const named: FormatName = spec.format;
  switch (named) {
    case 'file':
      break;
  }
  return [
    spec.format === 'file',
    'template' !== formatName,
    ['template', 'file'].includes(named),
    kind === 'template',
    log === 'json',
    other === 'file',
  ];
}
`,
      );
      const found = formatNameTests([file]).map((f) => f.replace(/^.*sample\.ts:/, ''));
      expect(found).toEqual(["6: 'file'", "10: spec.format === 'file'", "11: 'template' !== formatName", "12: ['template', 'file'].includes(named)"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
