/**
 * The files kept next to an output share one naming scheme (src/files/sidecars.ts);
 * the stale-file cleanup recognises temp files by it, and must never take a
 * marker, another output's file or a file of the same name prefix for one.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchedSidecar, pendingHookSidecar, tempSidecar, tempSidecarRest } from '../../src/files/sidecars.js';
import { ABANDONED_AFTER_MS, removeStaleTempFiles } from '../../src/files/staging.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

describe('sidecars', () => {
  it('names every file next to an output: hidden, the output name, our mark, what it is', () => {
    expect(pendingHookSidecar('/srv/app/a.env')).toBe('/srv/app/.a.env.ssm-materialize.pending');
    expect(fetchedSidecar('/srv/app/a.env')).toBe('/srv/app/.a.env.ssm-materialize.fetched');
    expect(tempSidecar('/srv/app/a.env', { namespace: '0badf00d', pid: 42, random: 'c0ffee' })).toBe('/srv/app/.a.env.ssm-materialize.0badf00d.42.c0ffee.tmp');
  });

  it('knows a temp file of this output from markers and from the files of other outputs', () => {
    const out = '/srv/app/a.env';
    expect(tempSidecarRest(out, '.a.env.ssm-materialize.0badf00d.42.c0ffee.tmp')).toBe('0badf00d.42.c0ffee.tmp');
    for (const other of [
      '.a.env.ssm-materialize.pending',
      '.a.env.ssm-materialize.fetched',
      '.a.env2.ssm-materialize.0badf00d.42.c0ffee.tmp',
      '.b.env.ssm-materialize.1.2.tmp',
      'a.env',
      'a.env.tmp',
    ]) {
      expect(tempSidecarRest(out, other), other).toBeUndefined();
    }
  });

  it("the stale-file cleanup removes an abandoned temp file and leaves the markers and other outputs' files", async () => {
    const dir = tempDir();
    const out = join(dir, 'a.env');
    const abandoned = tempSidecar(out, { namespace: 'feedf00d', pid: 999_999_999, random: 'abcdef' });
    const kept = [
      pendingHookSidecar(out),
      fetchedSidecar(out),
      tempSidecar(join(dir, 'a.env2'), { namespace: 'feedf00d', pid: 999_999_999, random: 'abcdef' }),
    ];
    for (const f of [abandoned, ...kept]) writeFileSync(f, 'x');
    expect(await removeStaleTempFiles(out, Date.now() + ABANDONED_AFTER_MS + 60_000)).toEqual([abandoned]);
    expect(existsSync(abandoned)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(kept.map((f) => f.slice(dir.length + 1)).sort());
  });
});
