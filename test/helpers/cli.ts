/** Run the built CLI (dist/ssm-materialize.cjs, the npm bin) as a child process, the way users and deploy hooks do. */
import { join } from 'node:path';
import { DEMO_CREDENTIAL } from '@ssm-materialize/emulator';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { runCommand } from './spawn.js';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'ssm-materialize.cjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const DEMO_CREDENTIALS = { AWS_ACCESS_KEY_ID: DEMO_CREDENTIAL.access_key_id, AWS_SECRET_ACCESS_KEY: DEMO_CREDENTIAL.secret_access_key };

/** The CLI's environment kept off the real AWS (isolatedAwsEnv), with Parameter Store at `endpoint`; `undefined` in `extra` removes a variable. */
export function cliEnv(endpoint: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return isolatedAwsEnv({ AWS_ENDPOINT_URL_SSM: endpoint, ...extra });
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  return runCommand(process.execPath, [CLI, ...args], { env, input });
}
