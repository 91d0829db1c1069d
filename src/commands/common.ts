/** What every command that talks to the store shares: its options and how the store is opened. */
import type { Logger } from '../log.js';
import { SsmStore } from '../ssm.js';
import { UsageError } from '../errors.js';
import type { OpenStore, OpenedStore } from '../store.js';

export interface StoreArgs {
  region?: string;
  profile?: string;
  'endpoint-url'?: string;
  'role-arn'?: string;
  timeout: number;
  'max-attempts': number;
  concurrency: number;
  jitter: number;
}

export interface ManifestArgs {
  manifest: string;
}

/** Bad numbers are usage errors, found before any waiting or calling. */
function checkStoreArgs(args: StoreArgs): void {
  const bad: string[] = [];
  if (!(args.timeout > 0)) bad.push('--timeout must be > 0');
  if (!Number.isInteger(args['max-attempts']) || args['max-attempts'] < 1) bad.push('--max-attempts must be an integer >= 1');
  if (!Number.isInteger(args.concurrency) || args.concurrency < 1) bad.push('--concurrency must be an integer >= 1');
  if (!(args.jitter >= 0)) bad.push('--jitter must be >= 0');
  if (bad.length) throw new UsageError(bad.join('; '));
}

export function openStore(args: StoreArgs, region: string | undefined, log: Logger): SsmStore {
  checkStoreArgs(args);
  return new SsmStore({
    region: args.region ?? region,
    profile: args.profile,
    endpoint: args['endpoint-url'],
    roleArn: args['role-arn'],
    timeoutMs: args.timeout * 1000,
    maxAttempts: args['max-attempts'],
    concurrency: args.concurrency,
    onCall: (e) => log.detail('api_call', e, `${e.operation}: ${e.count} name${e.count === 1 ? '' : 's'}, ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}, ${e.ms} ms`),
  });
}

/** How `main` opens the AWS store; tests inject another (e.g. an in-memory store) through `MainIo.openStore`. */
export type StoreFactory = (args: StoreArgs, region: string | undefined, log: Logger) => OpenedStore;

/**
 * The pipeline's store opener for these options: numbers checked, then the
 * --jitter wait, then the store. The jitter comes before the store exists:
 * its wait must not count against --timeout.
 */
export function storeOpener(args: StoreArgs, log: Logger, open: StoreFactory = openStore): OpenStore {
  let waited = false;
  return async (region) => {
    checkStoreArgs(args);
    // Once per run: a fallback region (or plan --locked's second look) opens another store.
    if (args.jitter > 0 && !waited) await new Promise((r) => setTimeout(r, Math.random() * args.jitter * 1000));
    waited = true;
    // The pipeline has already chosen the region (--region first, then the manifest's, then fallbacks).
    return open({ ...args, region: undefined }, region ?? args.region, log);
  };
}
