/**
 * `exec` through `main(argv, io)` in-process, against the in-process emulator:
 * values the environment cannot hold are refused by key before spawning, and
 * the child's program is never looked up through a PATH from the store
 * (issue 8, items 3 and 4).
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProgram } from '../../src/commands/exec.js';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { cliEnv } from '../helpers/cli.js';
import { runMain } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'CANARY-exec-3b9f';
const tempDir = useTempDir();
let emulator: RunningEmulator;
/** A parameter writer's `sh`, in the directory a PATH value from the store names. */
const evil = mkdtempSync(join(tmpdir(), 'ssm-evil-bin-'));

beforeAll(async () => {
  writeFileSync(join(evil, 'sh'), `#!/bin/sh\n: > ${join(evil, 'pwned')}\n`);
  chmodSync(join(evil, 'sh'), 0o755);
  emulator = await startEmulator({
    port: 0,
    seed: {
      parameters: [
        { name: '/x/plain', type: 'String', value: 'plain' },
        { name: '/x/nul', type: 'SecureString', value: `${CANARY}\u0000${CANARY}` },
        { name: '/x/evil-path', type: 'String', value: evil },
      ],
    },
  });
});
afterAll(async () => {
  await emulator.close();
  rmSync(evil, { recursive: true, force: true });
});

/** runMain hands the environment's AWS_* to the SDK for the run (the SDK reads process.env, not io.env). */
function run(argv: string[], extraEnv: Record<string, string> = {}) {
  return runMain(argv, { env: cliEnv(emulator.url, extraEnv) });
}

describe('exec', () => {
  for (const logFormat of ['text', 'json']) {
    it(`refuses a value with a NUL by key (exit 6) before spawning, never printing it (--log-format ${logFormat})`, async () => {
      const dir = tempDir();
      const manifest = join(dir, 'm.yaml');
      writeFileSync(manifest, 'version: 1\noutputs:\n  - { path: c.json, format: json, values: { OK: /x/plain, BAD_NUL: /x/nul } }\n');
      const marker = join(dir, 'ran');
      const r = await run(['exec', '-m', manifest, '--log-format', logFormat, '--', '/bin/sh', '-c', `: > ${marker}`]);
      expect(r.code).toBe(6);
      expect(r.stderr).toContain('BAD_NUL');
      expect(r.stderr).not.toContain('"OK"');
      expect(r.stdout + r.stderr).not.toContain(CANARY);
      expect(r.stderr).not.toContain('ERR_INVALID_ARG_VALUE');
      expect(existsSync(marker)).toBe(false);
    });
  }

  it("finds the program through the tool's own PATH, never through a PATH among the values", async () => {
    const dir = tempDir();
    const manifest = join(dir, 'm.yaml');
    writeFileSync(manifest, 'version: 1\noutputs:\n  - { path: c.env, format: dotenv, values: { PATH: /x/evil-path } }\n');
    const r = await run(['exec', '-m', manifest, '--', 'sh', '-c', `: > ${join(dir, 'ok')}; [ "$PATH" = "${evil}" ] && : > ${join(dir, 'child-saw-path')}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(join(evil, 'pwned'))).toBe(false);
    expect(existsSync(join(dir, 'ok'))).toBe(true);
    // The child still gets the PATH value: only the lookup ignores it.
    expect(existsSync(join(dir, 'child-saw-path'))).toBe(true);
  });

  it('findProgram resolves like execvp, through the PATH it is given', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'tool'), 0o755);
    writeFileSync(join(dir, 'not-exec'), '');
    expect(findProgram('tool', `/nonexistent:${dir}`)).toBe(join(dir, 'tool'));
    expect(findProgram('not-exec', dir)).toBeUndefined();
    expect(findProgram('tool', '/usr/bin:/bin')).toBeUndefined();
    expect(findProgram('./rel/x', dir)).toBe('./rel/x');
    expect(findProgram('sh', undefined)).toMatch(/^\/(usr\/)?bin\/sh$/);
  });
});
