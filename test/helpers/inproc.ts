/**
 * `main(argv, io)` in this process against an in-process emulator (or any
 * endpoint, e.g. moto): the real SDK over real HTTP on loopback, no build
 * step, no child process. Every run's stdout and stderr is kept, and afterAll
 * asserts that no value (each seeded value carries `canary`) reached either.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { main } from '../../src/cli.js';
import { startEmulator, type RunningEmulator, type Seed } from '../../src/emulator/index.js';
import { DEMO_CREDENTIALS } from './cli.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The SDK reads credentials and settings from process.env, so the test file's worker gets an isolated set. */
const SDK_ENV: Record<string, string> = {
  ...DEMO_CREDENTIALS,
  AWS_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** Set SDK_ENV in process.env for this test file (and drop what could point elsewhere); restored afterwards. */
export function useSdkEnv(): void {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [k, v] of Object.entries(SDK_ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    for (const k of ['AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SSM', 'AWS_SESSION_TOKEN']) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

/** One in-process run; store commands get `--endpoint-url` appended before any `--`. */
export async function runMain(args: string[], endpoint: string, env: Record<string, string> = {}): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const needsStore = ['write', 'plan', 'check', 'exec'].includes(args[0] ?? '');
  const dashDash = args.indexOf('--');
  const own = dashDash < 0 ? args : args.slice(0, dashDash);
  const rest = dashDash < 0 ? [] : args.slice(dashDash);
  const argv = needsStore ? [...own, '--endpoint-url', endpoint, ...rest] : args;
  const code = await main(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...SDK_ENV, ...env },
  });
  return { code, stdout, stderr };
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
  useSdkEnv();
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
    async run(args: string[], env: Record<string, string> = {}): Promise<InProcessResult> {
      return keep(await runMain(args, running().url, env));
    },
  };
}
