/**
 * Names from outside (manifest keys, lock files, parameter names, JSON
 * fields, seed files, the environment) must never find an `Object.prototype`
 * member: `lock.parameters['constructor']` is a function, and
 * `record['__proto__'] = v` replaces a prototype instead of storing a key.
 *
 * The rule, checked here with the TypeScript compiler over every file in
 * src/: a lookup by a computed string key (`o[k]`, `k in o`) on anything but
 * an array is allowed only on a record this same file created without a
 * prototype (`Object.create(null)`, `nullRecord()`).
 * Everything else reads through `own()` (src/records.ts) or uses a Map.
 * Fixed keys (`o['x']`, a union of literals) and numbers are not lookups by
 * a name from outside, and pass.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { interpolate } from '../../src/manifest.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');
const EMULATOR_SRC = join(ROOT, 'packages', 'emulator', 'src');
/** The places that read a record by a computed key, after checking the key is its own (the emulator package keeps its own copy). */
const HELPERS = new Set([join(SRC, 'records.ts'), join(EMULATOR_SRC, 'records.ts')]);
const NULL_PROTOTYPE_FACTORIES = new Set(['nullRecord']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** `Object.create(null)` or `nullRecord()`, optionally cast. */
function createsNullPrototype(expr: ts.Expression | undefined): boolean {
  while (expr && (ts.isAsExpression(expr) || ts.isParenthesizedExpression(expr) || ts.isSatisfiesExpression(expr))) expr = expr.expression;
  if (!expr || !ts.isCallExpression(expr)) return false;
  const callee = expr.expression;
  if (ts.isIdentifier(callee)) return NULL_PROTOTYPE_FACTORIES.has(callee.text);
  return ts.isPropertyAccessExpression(callee) && callee.getText() === 'Object.create' && expr.arguments[0]?.kind === ts.SyntaxKind.NullKeyword;
}

function isComputedString(checker: ts.TypeChecker, key: ts.Expression): boolean {
  const type = checker.getTypeAtLocation(key);
  const parts = type.isUnion() ? type.types : [type];
  // Literal keys are fixed by our code; any other string (or any) may come from outside.
  return parts.some((t) => t.flags & (ts.TypeFlags.String | ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TemplateLiteral));
}

function isArrayLike(checker: ts.TypeChecker, type: ts.Type): boolean {
  // An `any` is assignable to an array type, and may be anything.
  if (type.flags & ts.TypeFlags.Any) return false;
  return checker.isArrayLikeType(type) || !!(type.flags & ts.TypeFlags.StringLike) || !!checker.getIndexInfoOfType(type, ts.IndexKind.Number) && !checker.getIndexInfoOfType(type, ts.IndexKind.String);
}

/** Whether `expr` names a variable or property this program initialised without a prototype. */
function declaredNullPrototype(checker: ts.TypeChecker, expr: ts.Expression): boolean {
  const symbol = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(expr) ? expr.name : expr);
  const decls = symbol?.declarations ?? [];
  return decls.length > 0 && decls.every((d) => (ts.isVariableDeclaration(d) || ts.isPropertyDeclaration(d) || ts.isPropertyAssignment(d)) && createsNullPrototype(d.initializer));
}

export function prototypeLookups(files: string[]): string[] {
  const program = ts.createProgram(files, { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noUncheckedIndexedAccess: true, types: ['node'], skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const file of files) {
    if (HELPERS.has(file)) continue;
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`not loaded: ${file}`);
    const report = (node: ts.Node, what: string): void => {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      found.push(`${relative(ROOT, file)}:${line + 1}: ${what}: ${node.getText().slice(0, 80)}`);
    };
    const visit = (node: ts.Node): void => {
      if (ts.isElementAccessExpression(node) && isComputedString(checker, node.argumentExpression)) {
        const target = node.expression;
        if (!isArrayLike(checker, checker.getTypeAtLocation(target)) && !declaredNullPrototype(checker, target)) report(node, 'lookup by a computed key on an object with a prototype');
      }
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.InKeyword && isComputedString(checker, node.left)) {
        if (!declaredNullPrototype(checker, node.right)) report(node, '`in` walks the prototype chain');
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('lookups keyed by names from outside', () => {
  it('no file in src/ looks up a computed string key on an object that has a prototype', () => {
    expect(prototypeLookups([...sourceFiles(SRC), ...sourceFiles(EMULATOR_SRC)])).toEqual([]);
  });

  it('finds each form it forbids, and passes the allowed ones (a check that finds nothing proves nothing)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proto-scan-'));
    try {
      const file = join(dir, 'sample.ts');
      writeFileSync(
        file,
        `export function sample(r: Record<string, string>, k: string, loose: any, list: string[], i: number): unknown[] {
  const safe = Object.create(null) as Record<string, string>;
  safe[k] = 'x';
  r[k] = 'y';
  return [r[k], k in r, loose[k], safe[k], k in safe, list[i], r['fixed']];
}
`,
      );
      const found = prototypeLookups([file]).map((f) => f.replace(/^.*sample\.ts:/, ''));
      expect(found).toEqual([
        '4: lookup by a computed key on an object with a prototype: r[k]',
        '5: lookup by a computed key on an object with a prototype: r[k]',
        '5: `in` walks the prototype chain: k in r',
        '5: lookup by a computed key on an object with a prototype: loose[k]',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a manifest ${VAR} named after an Object.prototype member is an unset variable, in a plain object and in process.env', () => {
    for (const env of [{ PATH: '/bin' }, process.env]) {
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
        const errors: string[] = [];
        expect(interpolate(`/app/\${${name}}`, env, (m) => errors.push(m))).toBe(`/app/\${${name}}`);
        expect(errors).toEqual([`environment variable ${name} is not set`]);
      }
    }
  });
});
