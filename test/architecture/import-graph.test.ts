/**
 * The folders of src/ say what a module is for, and the import graph keeps
 * them honest: CONTRIBUTING.md's layout names the folders and these rules.
 * The graph is read with the TypeScript parser (static imports, `import
 * type`, re-exports, `import()` and `typeof import()`), so a comment or a
 * string that looks like an import is not one.
 *
 * Each rule is checked on a sample edge it must reject first: a rule that
 * rejects nothing proves nothing.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');

/** One import: from a module of src/ (its path inside src/) to a module of src/, or to a package by its name. */
interface Edge {
  from: string;
  to: string;
  /** static: evaluated when the importer loads; dynamic: `import()`, when the code runs; type: erased, never evaluated. */
  kind: Kind;
}

type Kind = 'static' | 'dynamic' | 'type';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|mts)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Whether an import or export declaration names types only (`import type`, `export type ... from`). */
function typeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  return ts.isImportDeclaration(node) ? (node.importClause?.isTypeOnly ?? false) : node.isTypeOnly;
}

/** The module specifiers a source names, each with how it is loaded. */
function specifiers(text: string): Array<{ specifier: string; kind: Kind }> {
  const found: Array<{ specifier: string; kind: Kind }> = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, kind: typeOnly(node) ? 'type' : 'static' });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [first] = node.arguments;
      if (first !== undefined && ts.isStringLiteralLike(first)) found.push({ specifier: first.text, kind: 'dynamic' });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, kind: 'type' });
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('module.ts', text, ts.ScriptTarget.Latest, true));
  return found;
}

/** Where a specifier leads: a path inside src/ (`.js` read as the `.ts` it is compiled from), `../<path>` outside it, or a package name. */
function target(fromFile: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  return relative(SRC, resolve(dirname(fromFile), specifier)).replace(/\.js$/, '.ts');
}

function importGraph(): Edge[] {
  return sourceFiles(SRC).flatMap((file) =>
    specifiers(readFileSync(file, 'utf8')).map(({ specifier, kind }) => ({ from: relative(SRC, file), to: target(file, specifier), kind })),
  );
}

const inFolder =
  (...folders: string[]) =>
  (path: string): boolean =>
    folders.some((f) => path.startsWith(`${f}/`));
const oneOf =
  (...modules: string[]) =>
  (path: string): boolean =>
    modules.includes(path);
const isSrc = (path: string): boolean => /\.(ts|mts)$/.test(path) && !path.startsWith('../');
const either =
  (...tests: Array<(path: string) => boolean>) =>
  (path: string): boolean =>
    tests.some((t) => t(path));

/** What every layer may use: typed errors, output, the outside-name records, Parameter Store names, regions, the store's interface. */
const FOUNDATION = oneOf('errors.ts', 'log.ts', 'redact.ts', 'records.ts', 'names.ts', 'regions.ts', 'store.ts');
const ADAPTERS = inFolder('aws', 'files');
/** The folder of a module inside src/ (commands, aws...), or undefined for a module at src/'s top. */
const folderOf = (path: string): string | undefined => (path.includes('/') ? path.split('/')[0] : undefined);
/** The emulator package, by its name or by a path into packages/. */
const EMULATOR = (path: string): boolean => path.startsWith('@ssm-materialize/emulator') || path.startsWith('../packages/');

interface Rule {
  rule: string;
  /** Whether an edge breaks the rule. */
  breaks: (edge: Edge) => boolean;
  /** An edge the rule must reject. */
  sample: Edge;
}

const edge = (from: string, to: string, kind: Kind = 'static'): Edge => ({ from, to, kind });

const RULES: Rule[] = [
  {
    rule: 'only the front doors (cli.ts, library.ts) and commands/ import commands/',
    breaks: (e) => inFolder('commands')(e.to) && !either(inFolder('commands'), oneOf('cli.ts', 'library.ts'))(e.from),
    sample: edge('fleet/iam.ts', 'commands/policy.ts'),
  },
  {
    rule: 'an adapter (aws/, files/) imports only its own folder, the foundation, the manifest types and formats/: never the pipeline, a command or the other adapter',
    breaks: (e) =>
      ADAPTERS(e.from) && isSrc(e.to) && folderOf(e.to) !== folderOf(e.from) && !either(FOUNDATION, oneOf('manifest.ts'), inFolder('formats'))(e.to),
    sample: edge('files/write.ts', 'aws/ssm.ts'),
  },
  {
    rule: 'formats/ imports only formats/, the key gate (trust/), errors and records',
    breaks: (e) => inFolder('formats')(e.from) && isSrc(e.to) && !either(inFolder('formats', 'trust'), oneOf('errors.ts', 'records.ts'))(e.to),
    sample: edge('formats/json.ts', 'files/write.ts'),
  },
  {
    rule: 'startup/ imports nothing of src/ outside startup/ (it runs before the CLI loads)',
    breaks: (e) => inFolder('startup')(e.from) && isSrc(e.to) && !inFolder('startup')(e.to),
    sample: edge('startup/launch.ts', 'cli.ts'),
  },
  {
    rule: "the foundation imports only the foundation; regions.ts also the SDK door, lazily, for a profile's region",
    breaks: (e) => FOUNDATION(e.from) && isSrc(e.to) && !FOUNDATION(e.to) && !(e.from === 'regions.ts' && e.to === 'aws/aws-sdk.ts' && e.kind === 'dynamic'),
    sample: edge('regions.ts', 'aws/aws-sdk.ts'),
  },
  {
    rule: 'only commands/emulator.ts names the emulator package, through import() and types',
    breaks: (e) => EMULATOR(e.to) && !(e.from === 'commands/emulator.ts' && e.kind !== 'static'),
    sample: edge('pipeline.ts', '@ssm-materialize/emulator'),
  },
];

/** A cycle in a graph of names, as the path that closes it, or undefined. */
function findCycle(edges: Array<[string, string]>): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const [from, to] of edges) if (from !== to) next.set(from, [...(next.get(from) ?? []), to]);
  const done = new Set<string>();
  const walk = (node: string, path: string[]): string[] | undefined => {
    const at = path.indexOf(node);
    if (at >= 0) return [...path.slice(at), node];
    if (done.has(node)) return undefined;
    for (const to of next.get(node) ?? []) {
      const cycle = walk(to, [...path, node]);
      if (cycle) return cycle;
    }
    done.add(node);
    return undefined;
  };
  for (const node of next.keys()) {
    const cycle = walk(node, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('the import graph keeps the folders', () => {
  const graph = importGraph();

  it('reads every kind of import, and not what only looks like one', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "import { type B2 } from './b2.js';",
      "export { c } from './c.js';",
      "import './d.js';",
      "const e = await import('./e.js');",
      "type F = typeof import('./f.js');",
      "// import { g } from './g.js';",
      'const h = "from \'./h.js\'";',
    ].join('\n');
    expect(specifiers(text)).toEqual([
      { specifier: './a.js', kind: 'static' },
      { specifier: '../b.js', kind: 'type' },
      { specifier: './b2.js', kind: 'static' },
      { specifier: './c.js', kind: 'static' },
      { specifier: './d.js', kind: 'static' },
      { specifier: './e.js', kind: 'dynamic' },
      { specifier: './f.js', kind: 'type' },
    ]);
    expect(graph).toContainEqual(edge('cli.ts', 'commands/write.command.ts'));
    expect(graph).toContainEqual(edge('regions.ts', 'aws/aws-sdk.ts', 'dynamic'));
  });

  for (const { rule, breaks, sample } of RULES) {
    it(rule, () => {
      expect(breaks(sample), 'the sample').toBe(true);
      expect(graph.filter(breaks).map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
    });
  }

  it('no module imports itself back, through any path', () => {
    expect(
      findCycle([
        ['a.ts', 'b.ts'],
        ['b.ts', 'c.ts'],
        ['c.ts', 'a.ts'],
      ]),
    ).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    expect(
      findCycle([
        ['a.ts', 'b.ts'],
        ['a.ts', 'c.ts'],
        ['c.ts', 'b.ts'],
      ]),
    ).toBeUndefined();
    expect(findCycle(graph.filter((e) => isSrc(e.to)).map((e) => [e.from, e.to]))).toBeUndefined();
  });

  it('no two folders import each other, through any path', () => {
    const between = graph.flatMap((e): Array<[string, string]> => {
      const [from, to] = [folderOf(e.from), folderOf(e.to)];
      return from !== undefined && to !== undefined && isSrc(e.to) ? [[from, to]] : [];
    });
    // The sample: formats/ importing files/, which imports formats/ (hooks quote with the shell format).
    expect(findCycle([...between, ['formats', 'files']])).toEqual(expect.arrayContaining(['files', 'formats']));
    expect(findCycle(between)).toBeUndefined();
  });
});
