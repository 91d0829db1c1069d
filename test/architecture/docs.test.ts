/**
 * The docs as a reader depends on them: every relative link leads somewhere
 * (file and heading), nothing points at an issue tracker or a document the
 * reader does not have, README stays a page for users, its first commands
 * are what CI runs, and measured figures live in BENCHMARKS.md alone, so a
 * new measurement changes one file instead of leaving stale copies around.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNames } from '../../src/formats/index.js';
import { anchors, markdownFiles, proseLines, read, relativeLinks, ROOT, slug, withoutCodeSpans } from './markdown.js';

/**
 * Files other branches of this round add, linked from here before they land.
 * Once one exists its links are checked like any other, and it must leave
 * this list (the test below says so), so the list empties itself.
 */
const PENDING = new Set<string>([]);

const files = markdownFiles();

describe('Markdown links', () => {
  it('finds the docs it checks', () => {
    for (const f of ['README.md', 'CONTRIBUTING.md', 'RELIABILITY.md', 'BENCHMARKS.md', 'docs/formats.md', 'packages/emulator/README.md'])
      expect(files).toContain(f);
  });

  it('GitHub anchors: punctuation dropped, code spans kept as text, repeats numbered', () => {
    expect(slug('Rollback-safe versions (`--lock`, `--locked`)')).toBe('rollback-safe-versions---lock---locked');
    expect(slug('Instance metadata (IMDSv2): run a hook as on EC2')).toBe('instance-metadata-imdsv2-run-a-hook-as-on-ec2');
    expect([...anchors('# A\n## Usage\n```\n# not a heading\n```\n## Usage\n')]).toEqual(['a', 'usage', 'usage-1']);
  });

  for (const file of files) {
    it(`${file}: every relative link names a file that exists, and a heading in it`, () => {
      const text = read(file);
      const broken: string[] = [];
      for (const { line, target } of relativeLinks(text)) {
        const [path = '', anchor] = target.split('#', 2);
        const resolved = path ? normalize(join(dirname(file), decodeURIComponent(path))) : file;
        const where = `${file}:${line} -> ${target}`;
        if (!existsSync(join(ROOT, resolved))) {
          if (!PENDING.has(resolved)) broken.push(`${where}: no such file`);
          continue;
        }
        if (anchor === undefined || !resolved.endsWith('.md') || statSync(join(ROOT, resolved)).isDirectory()) continue;
        if (!anchors(read(resolved)).has(anchor)) broken.push(`${where}: ${resolved} has no heading #${anchor}`);
      }
      expect(broken).toEqual([]);
    });
  }

  it('a Markdown file named in code (`docs/formats.md`) exists, from the repository root or the naming file (CHANGELOG.md keeps history)', () => {
    const missing = files
      .filter((f) => f !== 'CHANGELOG.md')
      .flatMap((file) =>
        proseLines(read(file)).flatMap(({ line, text }) =>
          [...text.matchAll(/`((?:[\w.-]+\/)*[\w.-]+\.md)`/g)]
            .map((m) => m[1]!)
            .filter((named) => ![named, join(dirname(file), named)].some((p) => existsSync(join(ROOT, p)) || PENDING.has(normalize(p))))
            .map((named) => `${file}:${line}: ${named}`),
        ),
      );
    expect(missing).toEqual([]);
  });

  it('every page of docs/ can be reached from README by links', () => {
    const reached = new Set<string>();
    const queue = ['README.md'];
    while (queue.length) {
      const file = queue.shift()!;
      if (reached.has(file) || !file.endsWith('.md') || !existsSync(join(ROOT, file))) continue;
      reached.add(file);
      for (const { target } of relativeLinks(read(file))) {
        const path = target.split('#', 1)[0];
        if (path) queue.push(normalize(join(dirname(file), decodeURIComponent(path))));
      }
    }
    expect(files.filter((f) => f.startsWith('docs/') && !reached.has(f))).toEqual([]);
  });

  it('files listed as pending on other branches leave the list once they exist', () => {
    expect(
      [...PENDING].filter((f) => existsSync(join(ROOT, f))),
      'remove these from PENDING in test/architecture/docs.test.ts',
    ).toEqual([]);
  });
});

describe('Markdown cites only what a reader has', () => {
  // CHANGELOG.md keeps history, which may name where a change came from.
  const cited = files.filter((f) => f !== 'CHANGELOG.md');

  it('no issue numbers, no product brief, no files of the project team', () => {
    const found = cited.flatMap((file) =>
      proseLines(read(file))
        .filter(({ text }) =>
          /\bissues?\s+#?\d|(?<![\w&])#\d+\b|\bbrief\b|\bproduct\.md\b|\bssm-facts\.md\b/i.test(withoutCodeSpans(text).replace(/\]\([^)]*\)/g, '')),
        )
        .map(({ line, text }) => `${file}:${line}: ${text.trim().slice(0, 120)}`),
    );
    expect(found).toEqual([]);
  });
});

describe('README is for users', () => {
  const readme = read('README.md');

  it('is at most 300 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
  });

  it('names every format, and the manifest guide lists them all on its format line', () => {
    const line = /^Formats: (.*?),\n?each written/ms.exec(readme)?.[1] ?? '';
    expect([...line.matchAll(/`(\w+)`/g)].map((m) => m[1])).toEqual([...formatNames]);
    const guide = /^\s+format: \w+\s+# (.*)$/m.exec(read('docs/manifest-guide.md'))?.[1] ?? '';
    expect(guide.split(' | ')).toEqual([...formatNames]);
  });

  it('its first code block is the two commands that work on a fresh machine, and CI runs its test command exactly', () => {
    const first = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = first
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/\s+#.*$/, ''));
    expect(commands).toEqual(['npm ci && npm run demo', 'npm test']);
    // On the first screen: before any second-level heading.
    expect(readme.indexOf('npm ci && npm run demo')).toBeLessThan(readme.indexOf('\n## '));
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8').split('\n');
    expect(ci).toContain(commands[1]);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(['demo', 'test']));
  });
});

describe('RELIABILITY.md reads as tables, not essays', () => {
  it('no table cell is over 300 characters', () => {
    const long = proseLines(read('RELIABILITY.md'))
      .filter(({ text }) => text.startsWith('|'))
      .flatMap(({ line, text }) =>
        text
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .filter((cell) => cell.trim().length > 300)
          .map((cell) => `RELIABILITY.md:${line}: ${cell.trim().length} characters: ${cell.trim().slice(0, 60)}`),
      );
    expect(long).toEqual([]);
  });
});

/**
 * A measured figure: a duration in ms, a size in MiB/MB/GiB, seconds of CPU,
 * or a ratio such as 1.4x. Limits of formats and AWS (64 KiB lines, 8 KiB
 * values) are facts, not measurements, and KiB is not matched.
 */
const FIGURE = /\b\d[\d,.]*\s?(?:ms|MiB|MB|GiB|GB)\b|\b\d[\d,.]*\s?s (?:of )?CPU\b|\b\d+(?:\.\d+)?x\b(?![\w-])/;

/** Justified exceptions: the file, and the text of the line that may state the figure. */
const FIGURE_ALLOWED: { file: string; text: RegExp; why: string }[] = [
  { file: 'docs/threat-model.md', text: /over 1 MiB without parsing it/, why: "the manifest reader's size limit, quoted as a test's name" },
  {
    file: 'packages/emulator/test/conformance/README.md',
    text: /Request bodies over 1 MiB/,
    why: "the emulator's request size limit, a rule not a measurement",
  },
];

describe('figures live in BENCHMARKS.md', () => {
  it('the figure pattern matches measurements and spares limits', () => {
    for (const s of ['took 300 ms', 'peak 71 MiB', '2.5 s of CPU', '0.76x the floor', 'about 125 MB']) expect(s).toMatch(FIGURE);
    for (const s of ['lines of 64 KiB', '200 hosts x 10 calls', '0x1F', 'mode 0600', 'Node 24 LTS', 'dotenv-expand 1000.x']) expect(s).not.toMatch(FIGURE);
  });

  it('no other Markdown file states one, outside the allowed few', () => {
    const found = files
      .filter((f) => f !== 'BENCHMARKS.md' && f !== 'CHANGELOG.md')
      .flatMap((file) =>
        proseLines(read(file))
          .filter(({ text }) => FIGURE.test(text))
          .filter(({ text }) => !FIGURE_ALLOWED.some((a) => a.file === file && a.text.test(text)))
          .map(({ line, text }) => `${file}:${line}: ${text.trim().slice(0, 140)}`),
      );
    expect(found).toEqual([]);
  });
});
