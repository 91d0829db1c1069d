/** The `emulator` command in-process: its own errors, not the manifest's. */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMain } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

describe('emulator --seed', () => {
  it('a bad seed file is an invalid seed file (exit 2, file:line), not an invalid manifest', async () => {
    const seed = join(tempDir(), 'seed.yaml');
    writeFileSync(seed, 'parameters:\n  - name: /ok\n    value: x\n  - name: bad//name\n    value: y\n');
    const r = await runMain(['emulator', '--port', '0', '--seed', seed]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ssm-materialize: invalid seed file\n/);
    expect(r.stderr).toContain(`${seed}:4`);
    expect(r.stderr).not.toContain('manifest');
  });
});
