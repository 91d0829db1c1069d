/**
 * Which region a run reads from is decided in src/regions.ts alone: no other
 * module spells a region name's pattern, reads AWS_REGION or
 * AWS_DEFAULT_REGION, asks instance metadata, or builds an SDK client to learn
 * the profile's region. A second copy of any of them is how `plan --locked`
 * once asked another region than the run had read from.
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

/** What only the region module may do, each with a sample it must find (a check that finds nothing proves nothing). */
const REGION_WORK: Array<[string, RegExp, string]> = [
  ['a region name pattern', /\[a-z\]\{2\}\(/, String.raw`/^[a-z]{2}(-[a-z]+)+-\d+$/`],
  ['the region variables', /env\.AWS_(DEFAULT_)?REGION\b/, 'env.AWS_DEFAULT_REGION'],
  ['instance metadata for the region', /placement\/region/, '/latest/meta-data/placement/region'],
  [
    "a throw-away SDK client to learn the profile's region",
    /new SSMClient\([^;]*\)\.config\.region/,
    'new SSMClient(options.profile ? { profile: options.profile } : {}).config.region',
  ],
];

it('only src/regions.ts resolves regions', () => {
  for (const [what, pattern, sample] of REGION_WORK) expect(pattern.test(sample), what).toBe(true);
  const offenders: string[] = [];
  for (const file of sources(SRC)) {
    const rel = relative(SRC, file);
    if (rel === 'regions.ts') continue;
    const text = readFileSync(file, 'utf8');
    for (const [what, pattern] of REGION_WORK) if (pattern.test(text)) offenders.push(`${rel}: ${what}`);
  }
  expect(offenders).toEqual([]);
  // And regions.ts does that work: the pattern, the variables, instance metadata, the SDK's own resolution.
  const regions = readFileSync(join(SRC, 'regions.ts'), 'utf8');
  for (const [what, pattern] of REGION_WORK.slice(0, 3)) expect(pattern.test(regions), what).toBe(true);
  expect(regions).toMatch(/new SSMClient\(profile \? \{ profile \} : \{\}\)/);
});
