/** Run the built CLI (dist/ssm-materialize.cjs, the npm bin) as a child process, the way users and deploy hooks do. */
import { join } from 'node:path';
import { DEMO_CREDENTIAL } from '@ssm-materialize/emulator';
import { runCommand } from './spawn.js';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'ssm-materialize.cjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const DEMO_CREDENTIALS = { AWS_ACCESS_KEY_ID: DEMO_CREDENTIAL.access_key_id, AWS_SECRET_ACCESS_KEY: DEMO_CREDENTIAL.secret_access_key };

/** Environment isolated from the developer's own AWS config. */
export function cliEnv(endpoint: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_SSM: endpoint,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...DEMO_CREDENTIALS,
    ...extra,
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  return runCommand(process.execPath, [CLI, ...args], { env, input });
}
