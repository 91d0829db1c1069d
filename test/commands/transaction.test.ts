/**
 * Every file a `write` run produces is one transaction (in-process main,
 * emulator): the lock file (`--lock`) and the last-good markers
 * (`--keep-last-good`) are staged with the outputs and committed with them.
 * When one of them cannot be written, no output is replaced, no on_change
 * runs, the run exits 6, and a retry does the whole work.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDotenv } from '../helpers/consumers.js';
import { useInProcessEmulator } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'CANARY';
const tempDir = useTempDir();
const { run } = useInProcessEmulator(() => ({ parameters: [{ name: '/app/db', type: 'SecureString', value: `${CANARY}-db` }] }), CANARY);

/** An output with an on_change hook that leaves a file behind each time it runs. */
function setup(): { dir: string; manifest: string; output: string; hookRan: string } {
  const dir = tempDir();
  const manifest = join(dir, 'm.yaml');
  const output = join(dir, 'app.env');
  const hookRan = join(dir, 'hook-ran');
  writeFileSync(output, 'OLD=1\n', { mode: 0o600 });
  writeFileSync(manifest, `version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    on_change: echo ran >> ${hookRan}\n    values: { DB: /app/db }\n`);
  return { dir, manifest, output, hookRan };
}

describe('one transaction for the outputs and the files that describe them', () => {
  it('a lock that cannot be written: nothing replaced, no on_change, exit 6; the retry does the work', async () => {
    const { dir, manifest, output, hookRan } = setup();
    // Something that is not a file at the lock's path: the lock cannot be staged (as on a full or read-only disk).
    const lock = join(dir, 'deploy.lock.json');
    mkdirSync(lock);
    const failed = await run(['write', '-m', manifest, '--lock', lock]);
    expect(failed.code).toBe(6);
    expect(failed.stderr).toContain(lock);
    expect(readFileSync(output, 'utf8')).toBe('OLD=1\n');
    expect(existsSync(hookRan)).toBe(false);

    rmdirSync(lock);
    const retry = await run(['write', '-m', manifest, '--lock', lock]);
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(0);
    expect(readDotenv(readFileSync(output, 'utf8'))).toEqual({ DB: `${CANARY}-db` });
    expect(readFileSync(hookRan, 'utf8')).toBe('ran\n');
    expect(JSON.parse(readFileSync(lock, 'utf8')).parameters).toEqual({ '/app/db': 1 });
  });

  it('a last-good marker that cannot be written: nothing replaced, no on_change, exit 6; the retry does the work', async () => {
    const { dir, manifest, output, hookRan } = setup();
    const marker = join(dir, '.app.env.ssm-materialize.fetched');
    mkdirSync(marker);
    const failed = await run(['write', '-m', manifest, '--keep-last-good', '1h']);
    expect(failed.code).toBe(6);
    expect(failed.stderr).toContain(marker);
    expect(readFileSync(output, 'utf8')).toBe('OLD=1\n');
    expect(existsSync(hookRan)).toBe(false);

    rmdirSync(marker);
    const retry = await run(['write', '-m', manifest, '--keep-last-good', '1h']);
    expect(retry.code).toBe(0);
    expect(readDotenv(readFileSync(output, 'utf8'))).toEqual({ DB: `${CANARY}-db` });
    expect(readFileSync(hookRan, 'utf8')).toBe('ran\n');
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toHaveProperty('fetched_at');
  });

  it('a pending-hook marker that cannot be written: nothing replaced, no on_change, exit 6; the retry does the work', async () => {
    const { dir, manifest, output, hookRan } = setup();
    const pending = join(dir, '.app.env.ssm-materialize.pending');
    mkdirSync(pending);
    const failed = await run(['write', '-m', manifest]);
    expect(failed.code).toBe(6);
    expect(failed.stderr).toContain(pending);
    expect(readFileSync(output, 'utf8')).toBe('OLD=1\n');
    expect(existsSync(hookRan)).toBe(false);

    rmdirSync(pending);
    const retry = await run(['write', '-m', manifest]);
    expect(retry.code).toBe(0);
    expect(readFileSync(hookRan, 'utf8')).toBe('ran\n');
    expect(existsSync(pending)).toBe(false);
  });

  it('the staged-path variables of verify hooks cannot be overwritten by outputs named count or 1', async () => {
    const dir = tempDir();
    const listing = join(dir, 'seen.txt');
    const manifest = join(dir, 'm.yaml');
    writeFileSync(
      manifest,
      `version: 1
outputs:
  - path: a.env
    format: dotenv
    values: { DB: /app/db }
    verify: 'env | grep "^SSM_MATERIALIZE_STAGED_" | sort > ${listing}'
  - { path: count, format: dotenv, values: { DB: /app/db } }
  - { path: "1", format: dotenv, values: { DB: /app/db } }
`,
    );
    const r = await run(['write', '-m', manifest]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const seen = Object.fromEntries(
      readFileSync(listing, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
    const staged = (name: string) =>
      expect.stringMatching(new RegExp(`^${dir}/\\.${name.replace('.', '\\.')}\\.ssm-materialize\\.[0-9a-f]{8}\\.\\d+\\.[0-9a-f]+\\.tmp$`));
    expect(seen).toEqual({
      SSM_MATERIALIZE_STAGED_COUNT: '3',
      SSM_MATERIALIZE_STAGED_0: staged('a.env'),
      SSM_MATERIALIZE_STAGED_1: staged('count'),
      SSM_MATERIALIZE_STAGED_2: staged('1'),
      SSM_MATERIALIZE_STAGED_FILE_A_ENV: staged('a.env'),
      SSM_MATERIALIZE_STAGED_FILE_COUNT: staged('count'),
      SSM_MATERIALIZE_STAGED_FILE_1: staged('1'),
      // The name used before, kept where it is unambiguous.
      SSM_MATERIALIZE_STAGED_A_ENV: staged('a.env'),
    });
  });
});
