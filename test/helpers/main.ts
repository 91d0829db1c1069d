/**
 * Run the CLI in-process through `main(argv, io)`: argv in; stdout, stderr
 * and the exit code out; the store injected (an in-memory one by default).
 */
import { Readable } from 'node:stream';
import { main, type MainIo } from '../../src/cli.js';
import type { OpenedStore } from '../../src/store.js';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  store?: OpenedStore;
  env?: NodeJS.ProcessEnv;
  /** Text for standard input (as a pipe, not a TTY). */
  input?: string;
}

export async function runMain(argv: string[], options: RunOptions = {}): Promise<MainResult> {
  let stdout = '';
  let stderr = '';
  const io: MainIo = {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: options.env ?? { PATH: process.env.PATH },
    stdin: Readable.from([options.input ?? '']),
  };
  const store = options.store;
  if (store) io.openStore = async () => store;
  const code = await withAwsEnv(io.env, () => main(argv, io));
  return { code, stdout, stderr };
}

/**
 * The AWS SDK reads its configuration (credentials, endpoints, region,
 * profiles under HOME) from process.env, not from `io.env`; for the length
 * of an in-process run, this worker's process.env carries exactly the run's
 * AWS_* variables and HOME. So in-process runs take turns: a test may start
 * several at once (Promise.all, concurrent tests), and each still runs with
 * its own settings, one after the other.
 */
let previousRun: Promise<unknown> = Promise.resolve();

export function withAwsEnv<T>(env: NodeJS.ProcessEnv, run: () => Promise<T>): Promise<T> {
  const result = previousRun.then(() => withAwsEnvNow(env, run));
  previousRun = result.catch(() => undefined);
  return result;
}

async function withAwsEnvNow<T>(env: NodeJS.ProcessEnv, run: () => Promise<T>): Promise<T> {
  const keys = [...new Set([...Object.keys(process.env), ...Object.keys(env)])].filter((k) => k.startsWith('AWS_') || k === 'HOME');
  const saved = keys.map((k) => [k, process.env[k]] as const);
  const set = (k: string, v: string | undefined) => (v === undefined ? delete process.env[k] : (process.env[k] = v));
  for (const k of keys) set(k, env[k]);
  try {
    return await run();
  } finally {
    for (const [k, v] of saved) set(k, v);
  }
}

/** The same call shape as runCli (test/helpers/cli.ts), in-process. */
export function runCliInProcess(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<MainResult> {
  return runMain(args, { env, input });
}

/** The in-process run's environment kept off the real AWS (isolatedAwsEnv), with Parameter Store at `endpoint` if given. */
export function mainEnv(endpoint: string | undefined, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return isolatedAwsEnv({ ...(endpoint ? { AWS_ENDPOINT_URL_SSM: endpoint } : {}), ...extra });
}
