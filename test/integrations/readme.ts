/** The shell blocks of one README.md section, so tests run exactly what the README tells users. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const README = join(import.meta.dirname, '..', '..', 'README.md');

export function readmeShellBlocks(heading: string): string[] {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${heading}"`);
  const next = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}
