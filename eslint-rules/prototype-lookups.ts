/**
 * Names from outside (manifest keys, lock files, parameter names, JSON
 * fields, seed files, the environment) must never find an `Object.prototype`
 * member: `lock.parameters['constructor']` is a function, and
 * `record['__proto__'] = v` replaces a prototype instead of storing a key.
 *
 * The rule, with the type checker: a lookup by a computed string key
 * (`o[k]`, `k in o`) on anything but an array is allowed only on a record
 * this program created without a prototype (`Object.create(null)`,
 * `nullRecord()`). Everything else reads through `own()` (src/records.ts) or
 * uses a Map. Fixed keys (`o['x']`, a union of literals) and numbers are not
 * lookups by a name from outside, and pass. records.ts itself is exempt in
 * eslint.config.js: it is where a key is checked to be the record's own.
 */
import { ESLintUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import ts from 'typescript';

const NULL_PROTOTYPE_FACTORIES = new Set(['nullRecord']);

/** `Object.create(null)` or `nullRecord()`, optionally cast. */
function createsNullPrototype(expr: ts.Expression | undefined): boolean {
  while (expr && (ts.isAsExpression(expr) || ts.isParenthesizedExpression(expr) || ts.isSatisfiesExpression(expr))) expr = expr.expression;
  if (!expr || !ts.isCallExpression(expr)) return false;
  const callee = expr.expression;
  if (ts.isIdentifier(callee)) return NULL_PROTOTYPE_FACTORIES.has(callee.text);
  return ts.isPropertyAccessExpression(callee) && callee.getText() === 'Object.create' && expr.arguments[0]?.kind === ts.SyntaxKind.NullKeyword;
}

function isComputedString(checker: ts.TypeChecker, key: ts.Node): boolean {
  const type = checker.getTypeAtLocation(key);
  const parts = type.isUnion() ? type.types : [type];
  // Literal keys are fixed by our code; any other string (or any) may come from outside.
  return parts.some((t) => t.flags & (ts.TypeFlags.String | ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TemplateLiteral));
}

function isArrayLike(checker: ts.TypeChecker, type: ts.Type): boolean {
  // An `any` is assignable to an array type, and may be anything.
  if (type.flags & ts.TypeFlags.Any) return false;
  if (checker.isArrayLikeType(type) || type.flags & ts.TypeFlags.StringLike) return true;
  return !!checker.getIndexInfoOfType(type, ts.IndexKind.Number) && !checker.getIndexInfoOfType(type, ts.IndexKind.String);
}

/** Whether `expr` names a variable or property this program initialised without a prototype. */
function declaredNullPrototype(checker: ts.TypeChecker, expr: ts.Node): boolean {
  const symbol = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(expr) ? expr.name : expr);
  const decls = symbol?.declarations ?? [];
  return (
    decls.length > 0 &&
    decls.every((d) => (ts.isVariableDeclaration(d) || ts.isPropertyDeclaration(d) || ts.isPropertyAssignment(d)) && createsNullPrototype(d.initializer))
  );
}

const createRule = ESLintUtils.RuleCreator((name) => `eslint-rules/${name}.ts`);

export const prototypeLookups = createRule({
  name: 'prototype-lookups',
  meta: {
    type: 'problem',
    docs: { description: 'A computed string key reads only records without a prototype (or through own(), or a Map)' },
    messages: {
      lookup:
        'Lookup by a computed key on an object with a prototype: read it through own() (src/records.ts), build the record with nullRecord(), or use a Map.',
      in: '`in` walks the prototype chain: use Object.hasOwn(), own() (src/records.ts), or a Map.',
    },
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    const services = ESLintUtils.getParserServices(context);
    const checker = services.program.getTypeChecker();
    const tsNode = (node: TSESTree.Node): ts.Node => services.esTreeNodeToTSNodeMap.get(node);
    return {
      MemberExpression(node) {
        if (!node.computed || !isComputedString(checker, tsNode(node.property))) return;
        const target = tsNode(node.object);
        if (!isArrayLike(checker, checker.getTypeAtLocation(target)) && !declaredNullPrototype(checker, target)) context.report({ node, messageId: 'lookup' });
      },
      BinaryExpression(node) {
        if (node.operator !== 'in' || node.left.type === 'PrivateIdentifier' || !isComputedString(checker, tsNode(node.left))) return;
        if (!declaredNullPrototype(checker, tsNode(node.right))) context.report({ node, messageId: 'in' });
      },
    };
  },
});

/** The project's own rules, as the plugin eslint.config.js registers under `local/`. */
export default { meta: { name: 'ssm-materialize-local' }, rules: { 'prototype-lookups': prototypeLookups } } satisfies TSESLint.FlatConfig.Plugin;
