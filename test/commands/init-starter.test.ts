/**
 * `init`'s starter manifest points a new user at the formats and the docs.
 * Its format hint is built from the format table, so a new format cannot be
 * missing from it, and the docs it names exist in this repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNames } from '../../src/formats/index.js';
import { runMain } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';

const ROOT = join(import.meta.dirname, '..', '..');
const tempDir = useTempDir();

describe('init: the starter manifest', () => {
  it('lists every format on its format line and names docs that exist', async () => {
    const manifest = join(tempDir(), 'materialize.yaml');
    // -o is init's output flag; a later release may call it otherwise and warn about -o, so stderr is not asserted empty.
    const r = await runMain(['init', '-o', manifest, '--prefix', '/myapp/prod']);
    expect(r.code).toBe(0);
    const text = readFileSync(manifest, 'utf8');
    const formatLine = text.split('\n').find((l) => /^\s+format:/.test(l)) ?? '';
    const listed = /#\s*([a-z| ]+?)\s*\(/.exec(formatLine)?.[1]?.split(/\s*\|\s*/) ?? [];
    expect(listed).toEqual([...formatNames]);
    const docs = [...text.matchAll(/\bdocs\/[\w-]+\.md\b/g)].map((m) => m[0]);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(existsSync(join(ROOT, doc)), doc).toBe(true);
  });
});
