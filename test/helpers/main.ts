/**
 * Run the CLI in-process through `main(argv, io)`: argv in; stdout, stderr
 * and the exit code out; the store injected (an in-memory one by default).
 */
import { Readable } from 'node:stream';
import { main, type MainIo } from '../../src/cli.js';
import type { OpenedStore } from '../../src/store.js';

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
  if (store) io.openStore = () => store;
  const code = await withAwsEnv(io.env, () => main(argv, io));
  return { code, stdout, stderr };
}

/**
 * The AWS SDK reads its configuration (credentials, endpoints, region) from
 * process.env, not from `io.env`; for the length of an in-process run, this
 * worker's process.env carries the run's AWS_* variables.
 */
async function withAwsEnv<T>(env: NodeJS.ProcessEnv, run: () => Promise<T>): Promise<T> {
  const keys = Object.keys(env).filter((k) => k.startsWith('AWS_'));
  const saved = keys.map((k) => [k, process.env[k]] as const);
  for (const k of keys) process.env[k] = env[k];
  try {
    return await run();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
