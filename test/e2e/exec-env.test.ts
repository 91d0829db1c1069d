/**
 * `exec` in a real process: the child gets exactly the environment
 * ssm-materialize inherited plus the manifest's keys; nothing the tool sets
 * for itself (such as the SDK's notice switch) leaks into it.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_KEY_ALIAS, useCanaryEmulator } from '../helpers/emulator.js';
import { cliEnv, runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
const { emulator } = useCanaryEmulator(
  [
    { name: '/env/a', type: 'SecureString', key_id: APP_KEY_ALIAS, value: 'CANARY-a' },
    { name: '/env/b', type: 'String', value: 'plain b' },
  ],
  'CANARY',
);

function parseEnv0(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of text.split('\0').filter(Boolean)) {
    const eq = entry.indexOf('=');
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

describe('exec environment', () => {
  it('the child gets exactly the inherited environment plus the manifest keys', async () => {
    const dir = tempDir();
    const manifest = join(dir, 'm.yaml');
    writeFileSync(manifest, 'version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values: { A: /env/a, B: /env/b }\n');
    const parent = Object.fromEntries(Object.entries(cliEnv(emulator().url, { INHERITED_MARK: 'kept as is' })).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    const result = await runCli(['exec', '-m', manifest, '--', 'env', '-0'], parent);
    expect(result.code).toBe(0);
    expect(parseEnv0(result.stdout)).toEqual({ ...parent, A: 'CANARY-a', B: 'plain b' });
  });
});
