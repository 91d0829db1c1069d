/**
 * `--version` alone is answered before yargs loads (src/startup/version-flag.ts): by
 * the npm bin without loading the bundle (src/startup/launch.ts), and by the bundle
 * before cli.ts initializes (src/startup/version-shortcut.ts, as the executable runs
 * it). Each must print exactly what yargs prints for it, which `main` (real
 * yargs, in this process) shows.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CLI } from '../helpers/cli.js';
import { runMain } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';
import { versionOnly } from '../../src/startup/version-flag.js';

const tempDir = useTempDir();
const BUNDLE = join(dirname(CLI), 'ssm-materialize.bundle.cjs');

function run(args: string[]) {
  return spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH } });
}

describe('the --version shortcut', () => {
  it('prints exactly what yargs prints for --version, from the bin and from the bundle alone', async () => {
    const yargs = await runMain(['--version']);
    expect(yargs.code).toBe(0);
    expect(yargs.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    expect(versionOnly(['--version'])).toBe(yargs.stdout);
    for (const entry of [CLI, BUNDLE]) {
      const r = run([entry, '--version']);
      expect([r.status, r.stdout, r.stderr]).toEqual([0, yargs.stdout, '']);
    }
  });

  it('the bin answers it without the bundle: a copy of the bin alone still prints the version, and fails on anything else', () => {
    const dir = tempDir();
    const alone = join(dir, 'ssm-materialize.cjs');
    copyFileSync(CLI, alone);
    const r = run([alone, '--version']);
    expect([r.status, r.stdout]).toEqual([0, versionOnly(['--version'])]);
    expect(run([alone, '--help']).status).not.toBe(0);
  });

  it('only --version alone takes it: with anything beside it, the bin answers as yargs does', async () => {
    for (const argv of [['--version', '--quiet'], ['validate', '--version'], ['-v'], ['--version', 'nonsense']]) {
      expect(versionOnly(argv)).toBeUndefined();
      const yargs = await runMain(argv);
      const r = run([CLI, ...argv]);
      expect([r.status, r.stdout]).toEqual([yargs.code, yargs.stdout]);
    }
  });
});
