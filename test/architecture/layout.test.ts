/**
 * CONTRIBUTING.md's layout is how a new maintainer finds their way, so it
 * must be the tree: every path it names exists, and every top-level folder
 * and every folder of src/, test/ and packages/ is named in it, or a path
 * inside it is (test/'s folders in the test layers' table). A folder added, moved or removed
 * without its line fails here.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { read, ROOT } from './markdown.js';

/** What a build, an install, a run or git made: not part of the layout. */
const NOT_LAYOUT = new Set(['.git', 'node_modules', 'dist', 'release', 'release.work', 'coverage', '.tmp']);

/** The paths the layout block names: the first word of each line that starts at column 0. */
export function layoutPaths(markdown: string): string[] {
  const start = markdown.indexOf('\n## Layout\n');
  if (start < 0) throw new Error('CONTRIBUTING.md has no "## Layout" section');
  const block = /```\n([\s\S]*?)```/.exec(markdown.slice(start))?.[1] ?? '';
  return block
    .split('\n')
    .filter((l) => /^\S/.test(l))
    .map((l) => l.split(/\s+/)[0]!);
}

/** The folders the test layers' table names in its first column. */
export function testLayerPaths(markdown: string): string[] {
  const start = markdown.indexOf('\n## The test layers\n');
  if (start < 0) throw new Error('CONTRIBUTING.md has no "## The test layers" section');
  const end = markdown.indexOf('\n## ', start + 1);
  return [...markdown.slice(start, end < 0 ? undefined : end).matchAll(/^\| `([^`]+\/)` \|/gm)].map((m) => m[1]!);
}

const folders = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory() && !NOT_LAYOUT.has(e.name))
    .map((e) => (dir ? `${dir}/${e.name}/` : `${e.name}/`));

describe('CONTRIBUTING.md: the layout matches the tree', () => {
  const contributing = read('CONTRIBUTING.md');
  const named = [...layoutPaths(contributing), ...testLayerPaths(contributing)];

  it('reads the paths of the layout block, folders with their slash', () => {
    expect(layoutPaths('x\n## Layout\n\n```\nsrc/a.ts   what\n           more\nsrc/b/     a folder\n```\n')).toEqual(['src/a.ts', 'src/b/']);
    expect(named).toContain('src/');
    expect(named).toContain('src/commands/');
    expect(testLayerPaths('\n## The test layers\n\n| folder | what |\n|---|---|\n| `test/unit/` | pure |\n\n## Next\n| `x/` | no |\n')).toEqual(['test/unit/']);
  });

  it('every path it names exists', () => {
    expect(named.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });

  it('names every top-level folder and every folder of src/, test/ and packages/', () => {
    const tree = [...folders(''), ...['src', 'test', 'packages'].flatMap(folders)];
    expect(tree.filter((f) => !named.some((p) => p.startsWith(f)))).toEqual([]);
  });
});
