/**
 * Nothing outside src/trust/failures.ts decides what a failure of the store
 * means for the run: no other module classifies an error as "unavailable"
 * (the only kind that may fall back or keep the last good files), builds a
 * KeepLastGood, or names a fallback region. The store's own protocol work in
 * src/aws/ssm.ts (which answer is missing or denied) is not a decision.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

it('only trust/failures.ts classifies failures; only the pipeline acts on its decision', () => {
  const offenders: string[] = [];
  for (const file of sources(SRC)) {
    const rel = relative(SRC, file);
    if (rel.startsWith('emulator/') || rel === 'trust/failures.ts') continue;
    const text = readFileSync(file, 'utf8');
    if (/instanceof StoreUnavailableError/.test(text)) offenders.push(`${rel}: instanceof StoreUnavailableError`);
    if (/new KeepLastGood\(/.test(text) && rel !== 'pipeline.ts') offenders.push(`${rel}: new KeepLastGood`);
    if (/region_fallback/.test(text) && rel !== 'pipeline.ts') offenders.push(`${rel}: region_fallback`);
  }
  expect(offenders).toEqual([]);
  // And the pipeline asks the decision for every fetch it makes.
  expect(readFileSync(join(SRC, 'pipeline.ts'), 'utf8')).toMatch(/decideFailures\(failures, \{ nextRegion: regions\[i \+ 1\]/);
});
