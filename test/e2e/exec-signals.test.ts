/** `exec` in a real process: a signal sent to ssm-materialize reaches the child, whose exit code comes back. */
import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { APP_KEY_ALIAS, useCanaryEmulator } from '../helpers/emulator.js';
import { CLI, cliEnv } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
const { emulator } = useCanaryEmulator([{ name: '/cmd/a', type: 'SecureString', key_id: APP_KEY_ALIAS, value: 'CANARY-a' }], 'CANARY');

describe('exec', () => {
  it('forwards SIGTERM to the child and returns its exit code', async () => {
    const dir = tempDir();
    const manifest = join(dir, 'm.yaml');
    writeFileSync(manifest, 'version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values: { A: /cmd/a }\n');
    const ready = join(dir, 'ready');
    const script = `process.on('SIGTERM', () => process.exit(42)); require('fs').writeFileSync(${JSON.stringify(ready)}, 'x'); setInterval(() => {}, 1000)`;
    const child = spawn(process.execPath, [CLI, 'exec', '-m', manifest, '--', process.execPath, '-e', script], {
      env: cliEnv(emulator().url),
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    while (!existsSync(ready) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(ready)).toBe(true);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(code).toBe(42);
  });
});
