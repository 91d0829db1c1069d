/**
 * An in-process emulator for a test file, with the app's KMS key, plus a
 * `cli` runner that records every run so that afterAll can assert that no
 * value (each seeded value carries `canary`) ever reached stdout or stderr.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import type { SeedParameter } from '../../src/emulator/types.js';
import { cliEnv, runCli, type CliResult } from './cli.js';

export const APP_KEY_ALIAS = 'alias/MyApplicationKey';

export function useCanaryEmulator(parameters: SeedParameter[], canary: string) {
  let emulator: RunningEmulator | undefined;
  const runs: CliResult[] = [];
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      seed: { kms_keys: [{ id: '1234abcd-12ab-34cd-56ef-1234567890ab', aliases: [APP_KEY_ALIAS] }], parameters },
    });
  });
  afterAll(async () => {
    await emulator?.close();
    for (const r of runs) {
      expect(r.stdout).not.toContain(canary);
      expect(r.stderr).not.toContain(canary);
    }
  });
  const running = (): RunningEmulator => {
    if (!emulator) throw new Error('emulator not started (use inside a test)');
    return emulator;
  };
  return {
    emulator: running,
    async cli(args: string[], input?: string, extra: Record<string, string> = {}): Promise<CliResult> {
      const result = await runCli(args, cliEnv(running().url, extra), input);
      runs.push(result);
      return result;
    },
  };
}
