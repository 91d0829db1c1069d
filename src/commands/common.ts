/** What every command that talks to the store shares: its options and its StoreOpener. */
import type { Logger } from '../log.js';
import type { SsmStore } from '../aws/ssm.js';
import { UsageError } from '../errors.js';
import type { StoreOpener } from '../store.js';
import { namedRegion } from '../regions.js';

export interface StoreArgs {
  region?: string;
  profile?: string;
  'endpoint-url'?: string;
  'role-arn'?: string;
  timeout: number;
  'max-attempts'?: number;
  concurrency: number;
  jitter: number;
}

export interface ManifestArgs {
  manifest: string;
}

/** Node's timers fire at once beyond this many milliseconds (a 32-bit signed delay). */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Bad numbers and URLs are usage errors, found before any waiting or calling. */
function checkStoreArgs(args: StoreArgs): void {
  const bad: string[] = [];
  if (!(args.timeout > 0)) bad.push('--timeout must be > 0');
  else if (args.timeout * 1000 > LONGEST_TIMER_MS) bad.push(`--timeout must be at most ${Math.floor(LONGEST_TIMER_MS / 1000)} seconds`);
  const attempts = args['max-attempts'];
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1)) bad.push('--max-attempts must be an integer >= 1');
  if (!Number.isInteger(args.concurrency) || args.concurrency < 1) bad.push('--concurrency must be an integer >= 1');
  if (!(args.jitter >= 0)) bad.push('--jitter must be >= 0');
  else if (args.jitter * 1000 > LONGEST_TIMER_MS) bad.push(`--jitter must be at most ${Math.floor(LONGEST_TIMER_MS / 1000)} seconds`);
  const endpointProblem = args['endpoint-url'] === undefined ? undefined : checkEndpointUrl(args['endpoint-url']);
  if (endpointProblem) bad.push(endpointProblem);
  if (bad.length) {
    throw new UsageError(
      bad.join('; '),
      endpointProblem ? { hint: 'give a full URL, e.g. --endpoint-url http://127.0.0.1:4583 (the emulator) or https://ssm.us-east-1.amazonaws.com' } : {},
    );
  }
}

/** The SDK would fail later with a bare `TypeError: Invalid URL` (and exit 5); say what is wrong up front. */
function checkEndpointUrl(raw: string): string | undefined {
  if (!/^https?:\/\//i.test(raw)) return `--endpoint-url ${JSON.stringify(raw)} must start with http:// or https://`;
  try {
    if (!new URL(raw).hostname) return `--endpoint-url ${JSON.stringify(raw)} has no host`;
  } catch {
    return `--endpoint-url ${JSON.stringify(raw)} is not a valid URL`;
  }
  return undefined;
}

/**
 * The store in `region`, the one the command chose (regions.ts: the flag, the
 * manifest's, a fallback; undefined lets the environment, the profile or the
 * instance decide). The AWS SDK is loaded here, on first use, not at
 * start-up: offline commands (--version, validate, policy, init) never pay for it.
 */
export async function openAwsStore(args: StoreArgs, region: string | undefined, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<SsmStore> {
  checkStoreArgs(args);
  const { proxySettings } = await import('../aws/proxy.js');
  const { configuredEndpoint, retrySettings } = await import('../aws/aws-config.js');
  const proxy = proxySettings(env);
  const retries = retrySettings(args.profile, env);
  // The SDK finds the endpoints of AWS_PROFILE's profile by itself; those of --profile's only through us (aws-config.ts).
  const profileEndpoint = (service: string): string | undefined => (args.profile ? configuredEndpoint(service, args.profile, env) : undefined);
  const { SsmStore } = await import('../aws/ssm.js');
  return new SsmStore({
    proxy,
    region: namedRegion(region, env),
    profile: args.profile,
    endpoint: args['endpoint-url'] ?? profileEndpoint('ssm'),
    stsEndpoint: args['role-arn'] ? profileEndpoint('sts') : undefined,
    roleArn: args['role-arn'],
    timeoutMs: args.timeout * 1000,
    maxAttempts: args['max-attempts'] ?? retries.maxAttempts,
    concurrency: args.concurrency,
    onCall: (e) =>
      log.detail('api_call', e, `${e.operation}: ${e.count} name${e.count === 1 ? '' : 's'}, ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}, ${e.ms} ms`),
  });
}

/**
 * The pipeline's StoreOpener for these options: numbers checked, then the
 * --jitter wait, then the store: the AWS one, or the one `open` gives (tests
 * inject an in-memory store through `MainIo.openStore`). The jitter comes
 * before the store exists: its wait must not count against --timeout.
 */
export function storeOpener(args: StoreArgs, log: Logger, env: NodeJS.ProcessEnv, open?: StoreOpener): StoreOpener {
  const openStore: StoreOpener = open ?? ((region) => openAwsStore(args, region, log, env));
  let waited = false;
  return async (region) => {
    checkStoreArgs(args);
    // Once per run: a fallback region (or plan --locked's second look) opens another store.
    if (args.jitter > 0 && !waited) await new Promise((r) => setTimeout(r, Math.random() * args.jitter * 1000));
    waited = true;
    return openStore(region);
  };
}
