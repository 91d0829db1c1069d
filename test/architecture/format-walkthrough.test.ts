/**
 * CONTRIBUTING.md ("Adding a format") promises that adding a format touches at most
 * four files, and names them. This keeps the promise checkable: the list has
 * at most four entries, each names a file that exists (a `<name>` path exists
 * for every format of the table, as it would for a new one), and nothing
 * outside src/formats/ keeps its own list or table of formats that a new
 * format would have to join (a fifth file).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNames } from '../../src/formats/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');
const GUIDE = join(ROOT, 'CONTRIBUTING.md');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The numbered list of files under `## Adding a format`, before its first subsection. */
export function walkthroughFiles(markdown: string): string[] {
  const section = markdown.split(/^## Adding a format$/m)[1];
  if (section === undefined) return [];
  const intro = section.split(/^#{2,3} /m)[0] ?? '';
  return [...intro.matchAll(/^\d+\. `([^`]+)`/gm)].map((m) => m[1] as string);
}

/** Where a file with the list's path would be, for each format there is (`<name>` stands for the format). */
function instances(path: string): string[] {
  return path.includes('<name>') ? formatNames.map((name) => path.replaceAll('<name>', name)) : [path];
}

/** Array literals of string literals that hold two or more format names: a list a new format would have to join. */
export function formatLists(text: string): string[] {
  const names = new Set<string>(formatNames);
  return [...text.matchAll(/\[\s*(?:(['"])[^'"\n]*\1\s*,\s*)+(['"])[^'"\n]*\2\s*,?\s*\]/g)]
    .map((m) => m[0])
    .filter((list) => [...list.matchAll(/['"]([^'"\n]*)['"]/g)].filter((s) => names.has(s[1] as string)).length >= 2);
}

describe('adding a format (CONTRIBUTING.md)', () => {
  const files = walkthroughFiles(readFileSync(GUIDE, 'utf8'));

  it('names at most four files', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(files.length, files.join(', ')).toBeLessThanOrEqual(4);
  });

  it('names only files that exist (a <name> path for every format in the table)', () => {
    const missing = files.flatMap(instances).filter((f) => !existsSync(join(ROOT, f)));
    expect(missing).toEqual([]);
  });

  it('no module outside src/formats/ keeps a list or a table of formats', () => {
    const offenders = sourceFiles(SRC)
      .filter((f) => !f.startsWith(join(SRC, 'formats') + sep))
      .flatMap((f) => {
        const text = readFileSync(f, 'utf8');
        const tables = /Record<FormatName\b|in FormatName\]/.test(text) ? ['a record keyed by FormatName'] : [];
        return [...formatLists(text), ...tables].map((what) => `${relative(ROOT, f)}: ${what}`);
      });
    expect(offenders).toEqual([]);
  });

  it('the checks find what they look for (a check that finds nothing proves nothing)', () => {
    const guide = '## Adding a format\n\nIntro.\n\n1. `src/a.ts` (new): x\n2. `docs/b.md`: y\n\n### Later\n\n3. `not/this.ts`\n';
    expect(walkthroughFiles(guide)).toEqual(['src/a.ts', 'docs/b.md']);
    expect(instances('test/formats/<name>.test.ts')).toContain('test/formats/dotenv.test.ts');
    expect(formatLists("const a = ['json', 'yaml'];\nconst b = ['text', 'json'];\nconst c = [\n  'dotenv',\n  'shell',\n];")).toEqual([
      "['json', 'yaml']",
      "[\n  'dotenv',\n  'shell',\n]",
    ]);
  });
});
