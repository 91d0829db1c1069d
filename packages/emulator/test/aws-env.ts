/**
 * The environment of a tool a test runs against a local endpoint (the
 * product's CLI, the AWS CLI, boto3, an in-process run), kept off the real
 * AWS. It is built fresh, never copied from this process, so the developer's
 * profile, keys, proxies and endpoints do not reach the tool; the shared
 * config and credentials files are /dev/null; instance metadata
 * (169.254.169.254) is never asked. The one place these settings are
 * written: the product's tests take it from `@ssm-materialize/emulator/testing`.
 */
import { DEMO, REGION } from './helpers.js';

/**
 * Where the tool's credentials come from: the emulator's demo keys, or (as on
 * EC2) instance metadata, which must then be a local endpoint given in
 * AWS_EC2_METADATA_SERVICE_ENDPOINT; no keys and no region are set then.
 */
export type CredentialSource = 'keys' | 'local instance metadata';

/**
 * PATH and HOME of this process, the isolation above, and `overrides` last:
 * a value replaces the variable, `undefined` removes it (a run without keys).
 */
export function isolatedAwsEnv(overrides: NodeJS.ProcessEnv = {}, credentials: CredentialSource = 'keys'): NodeJS.ProcessEnv {
  const identity: NodeJS.ProcessEnv =
    credentials === 'keys'
      ? { AWS_EC2_METADATA_DISABLED: 'true', AWS_ACCESS_KEY_ID: DEMO.accessKeyId, AWS_SECRET_ACCESS_KEY: DEMO.secretAccessKey, AWS_REGION: REGION }
      : {};
  const merged: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    ...identity,
    ...overrides,
  };
  if (credentials === 'local instance metadata') requireLocalMetadata(merged);
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
}

/** Instance metadata only from loopback: a test that forgot the endpoint would ask the machine's real one. */
function requireLocalMetadata(env: NodeJS.ProcessEnv): void {
  const endpoint = env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  const host = endpoint === undefined ? undefined : URL.parse(endpoint)?.hostname;
  if (env.AWS_EC2_METADATA_DISABLED === 'true' || (host !== '127.0.0.1' && host !== 'localhost')) {
    throw new Error(`isolatedAwsEnv: instance metadata must be enabled and local (AWS_EC2_METADATA_SERVICE_ENDPOINT=${String(endpoint)})`);
  }
}
