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
});
