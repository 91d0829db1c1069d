/**
 * Run the CLI in-process through `main(argv, io)`. The SDK reads credentials,
 * region and endpoint settings from `process.env`, so the given environment
 * is put in place for the duration of the run and restored afterwards.
 */
import { main } from '../../src/cli.js';
import { DEMO_CREDENTIALS } from './cli.js';

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** AWS settings isolated from the developer's own config; never the instance metadata service. */
export function mainEnv(endpoint: string | undefined, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_REGION: 'us-east-1',
    ...(endpoint ? { AWS_ENDPOINT_URL_SSM: endpoint } : {}),
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...DEMO_CREDENTIALS,
    ...extra,
  };
}

const AWS_VARIABLE = /^AWS_/;

export async function runMain(argv: string[], env: NodeJS.ProcessEnv): Promise<MainResult> {
  const saved = Object.fromEntries(Object.entries(process.env).filter(([k]) => AWS_VARIABLE.test(k)));
  for (const k of Object.keys(saved)) delete process.env[k];
  for (const [k, v] of Object.entries(env)) if (AWS_VARIABLE.test(k) && v !== undefined) process.env[k] = v;
  let stdout = '';
  let stderr = '';
  try {
    const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env });
    return { code, stdout, stderr };
  } finally {
    for (const k of Object.keys(process.env)) if (AWS_VARIABLE.test(k)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}
