/**
 * The CLI in-process (./main.ts) against an in-process emulator (or any
 * endpoint, e.g. moto): the real SDK over real HTTP on loopback, no build
 * step, no child process. Every run's stdout and stderr is kept, and afterAll
 * asserts that no value (each seeded value carries `canary`) reached either.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { startEmulator, type RunningEmulator, type Seed } from '@ssm-materialize/emulator';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { runMain, type MainResult } from './main.js';

export type InProcessResult = MainResult;

/** One in-process run against `endpoint`, off the real AWS (isolatedAwsEnv); store commands get `--endpoint-url` appended before any `--`. `env` overrides (e.g. other credentials). */
export async function runAgainst(args: string[], endpoint: string, env: Record<string, string> = {}, input?: string): Promise<InProcessResult> {
  const needsStore = ['write', 'plan', 'check', 'exec', 'put'].includes(args[0] ?? '');
  const dashDash = args.indexOf('--');
  const own = dashDash < 0 ? args : args.slice(0, dashDash);
  const rest = dashDash < 0 ? [] : args.slice(dashDash);
  const argv = needsStore ? [...own, '--endpoint-url', endpoint, ...rest] : args;
  // `runMain` (./main.ts) hands the environment's AWS_* to the SDK for the run.
  return runMain(argv, { env: isolatedAwsEnv(env), ...(input === undefined ? {} : { input }) });
}

/** Runs kept for a canary check at the end of the file. */
export function useCanaryRuns(canary: string, expectRuns = true): (r: InProcessResult) => InProcessResult {
  const runs: InProcessResult[] = [];
  afterAll(() => {
    // A canary check over no runs would prove nothing.
    if (expectRuns) expect(runs.length).toBeGreaterThan(0);
    for (const r of runs) {
      expect(r.stdout).not.toContain(canary);
      expect(r.stderr).not.toContain(canary);
    }
  });
  return (r) => (runs.push(r), r);
}

export function useInProcessEmulator(seed: () => Seed, canary: string) {
  let emulator: RunningEmulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: seed() });
  });
  afterAll(async () => {
    await emulator?.close();
  });
  const keep = useCanaryRuns(canary);
  const running = (): RunningEmulator => {
    if (!emulator) throw new Error('emulator not started (use inside a test)');
    return emulator;
  };
  return {
    emulator: running,
    async run(args: string[], env: Record<string, string> = {}, input?: string): Promise<InProcessResult> {
      return keep(await runAgainst(args, running().url, env, input));
    },
  };
}
