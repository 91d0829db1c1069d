/**
 * The policy command, closed loop: the generated policy, loaded as the
 * emulator's access rules, lets the manifest materialize; without any one of
 * its statements the run fails with exit 4 and a hint naming what to allow.
 * (The emulator checks actions, resources and KMS keys; it does not evaluate
 * IAM conditions such as kms:ViaService.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import type { AccessRule } from '@ssm-materialize/emulator';
import { cliEnv } from '../helpers/cli.js';
import { runCliInProcess as runCli } from '../helpers/main.js';
import { readDotenv } from '../helpers/consumers.js';
import { useTempDir } from '../helpers/tmp.js';
import { DEMO_CREDENTIAL } from '@ssm-materialize/emulator';

const tempDir = useTempDir();
const running: RunningEmulator[] = [];
afterEach(async () => {
  for (const e of running.splice(0)) await e.close();
});

interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: string | string[];
}
const list = (x: string | string[]) => (Array.isArray(x) ? x : [x]);

/** An IAM statement as the emulator's rule: SSM statements grant no KMS keys and vice versa. */
function toRule(s: Statement): AccessRule {
  const actions = list(s.Action);
  if (actions.every((a) => a.startsWith('kms:'))) return { actions: [], parameters: [], kms_keys: list(s.Resource) };
  return { actions, parameters: list(s.Resource), kms_keys: [] };
}

async function emulatorWith(rules: AccessRule[]): Promise<RunningEmulator> {
  const emulator = await startEmulator({
    port: 0,
    seed: {
      credentials: [{ ...DEMO_CREDENTIAL, allow: rules }],
      kms_keys: [{ id: '1234abcd-12ab-34cd-56ef-1234567890ab', aliases: ['alias/MyApplicationKey'] }],
      parameters: [
        { name: '/loop/db/password', type: 'SecureString', key_id: 'alias/MyApplicationKey', value: 'pw-1' },
        { name: '/loop/api-key', type: 'String', versions: ['key-0', 'key-1'] },
        { name: '/loop/env/A', type: 'SecureString', key_id: 'alias/MyApplicationKey', value: 'a-1' },
        { name: '/loop/env/sub/B', type: 'String', value: 'b-1' },
        { name: '/other/secret', type: 'String', value: 'not-for-us' },
      ],
    },
  });
  running.push(emulator);
  return emulator;
}

describe('policy closed loop', () => {
  it('the generated policy is enough, and every statement is needed', async () => {
    const dir = tempDir();
    const manifest = join(dir, 'm.yaml');
    writeFileSync(
      manifest,
      `version: 1\nregion: us-east-1\nprefix: /loop\noutputs:\n  - path: app.env\n    format: dotenv\n    values:\n      DB: db/password\n      KEY: api-key:1\n    paths:\n      - { path: env, recursive: true }\n`,
    );
    const generated = await runCli(
      ['policy', '-m', manifest, '--account', '123456789012', '--region', 'us-east-1', '--kms-key', 'alias/MyApplicationKey'],
      cliEnv('http://127.0.0.1:1'),
    );
    expect(generated.code).toBe(0);
    const statements = (JSON.parse(generated.stdout) as { Statement: Statement[] }).Statement;
    expect(statements.map((s) => s.Sid)).toEqual(['ReadNamedParameters', 'ReadParametersByPath', 'DecryptParameters']);

    const full = await emulatorWith(statements.map(toRule));
    const ok = await runCli(['write', '-m', manifest], cliEnv(full.url));
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8'))).toEqual({ DB: 'pw-1', KEY: 'key-0', A: 'a-1', SUB_B: 'b-1' });

    for (const [i, dropped] of statements.entries()) {
      const emulator = await emulatorWith(statements.filter((_, j) => j !== i).map(toRule));
      const target = join(dir, `without-${dropped.Sid}.env`);
      writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/path: .*\.env/, `path: ${target}`));
      const denied = await runCli(['write', '-m', manifest], cliEnv(emulator.url));
      expect(denied.code, `without ${dropped.Sid}`).toBe(4);
      expect(denied.stderr).toContain('hint:');
      expect(denied.stderr).toContain(dropped.Sid === 'DecryptParameters' ? 'kms:Decrypt' : list(dropped.Action)[0]!);
      expect(existsSync(target)).toBe(false);
    }
  });
});
