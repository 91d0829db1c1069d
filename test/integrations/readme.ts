/** The code blocks of one section of README.md or a page of docs/, so tests run exactly what the docs tell users. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
export const README = join(ROOT, 'README.md');
/** docs/deploy.md: the CodeDeploy, container, systemd and by-hand guides. */
export const DEPLOY_GUIDE = join(ROOT, 'docs', 'deploy.md');

/** The ```LANG blocks of the `## heading` section of a Markdown file. */
export function sectionBlocks(file: string, heading: string, lang = 'sh'): string[] {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`${file} has no section "## ${heading}"`);
  const next = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

export function readmeShellBlocks(heading: string): string[] {
  return sectionBlocks(README, heading);
}
