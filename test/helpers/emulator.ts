/**
 * An in-process emulator for a test file, with the app's KMS key, plus two
 * runners that record every run so that afterAll can assert that no value
 * (each seeded value carries `canary`) ever reached stdout or stderr: `cli`
 * spawns the built binary, `main` runs `main(argv, io)` in this process with
 * the real SDK over HTTP to the emulator.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import type { SeedParameter } from '@ssm-materialize/emulator';
import { cliEnv, runCli, type CliResult } from './cli.js';
import { runMain, type MainResult } from './main.js';

// The emulator is the workspace package @ssm-materialize/emulator; product tests may import it from here too.
export { DEMO_CREDENTIAL, loadSeedFile, resolveSeed, startEmulator, type RunningEmulator, type Seed, type SeedParameter } from '@ssm-materialize/emulator';

export const APP_KEY_ALIAS = 'alias/MyApplicationKey';

export function useCanaryEmulator(parameters: SeedParameter[], canary: string) {
  let emulator: RunningEmulator | undefined;
  const runs: Array<CliResult | MainResult> = [];
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
    async main(args: string[], input?: string, extra: Record<string, string> = {}): Promise<MainResult> {
      const result = await runMain(args, { env: cliEnv(running().url, extra), input });
      runs.push(result);
      return result;
    },
  };
}
