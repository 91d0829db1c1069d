/** The bundle itself: its --version is package.json's, set at build time (the bundle runs without package.json beside it). */
import { describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

describe('the built bundle', () => {
  it('prints the version from package.json, even when copied where no package.json is', () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    const copy = join(tempDir(), 'ssm-materialize.mjs');
    copyFileSync(CLI, copy);
    const r = spawnSync(process.execPath, [copy, '--version'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });
});
