/** What every command that talks to the store shares: options, the store, the fetch-and-render steps. */
import type { Logger } from '../log.js';
import { loadManifest, type Manifest } from '../manifest.js';
import { checkTemplates, fetchAll, planFetch, renderOutputs, resolveOutputs, type RenderedOutput } from '../run.js';
import { SsmStore } from '../ssm.js';
import { UsageError } from '../errors.js';
import type { LogFormat } from '../log.js';

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

export interface ManifestArgs extends StoreArgs {
  manifest: string;
  quiet: boolean;
  verbose: boolean;
  'log-format': LogFormat;
}

/** Node's timers fire at once beyond this many milliseconds (a 32-bit signed delay). */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Bad numbers and URLs are usage errors, found before any waiting or calling. */
function checkStoreArgs(args: StoreArgs): void {
  const bad: string[] = [];
  if (!(args.timeout > 0)) bad.push('--timeout must be > 0');
  else if (args.timeout * 1000 > LONGEST_TIMER_MS) bad.push(`--timeout must be at most ${Math.floor(LONGEST_TIMER_MS / 1000)} seconds`);
  if (!Number.isInteger(args['max-attempts']) || args['max-attempts'] < 1) bad.push('--max-attempts must be an integer >= 1');
  if (!Number.isInteger(args.concurrency) || args.concurrency < 1) bad.push('--concurrency must be an integer >= 1');
  if (!(args.jitter >= 0)) bad.push('--jitter must be >= 0');
  else if (args.jitter * 1000 > LONGEST_TIMER_MS) bad.push(`--jitter must be at most ${Math.floor(LONGEST_TIMER_MS / 1000)} seconds`);
  const endpointProblem = args['endpoint-url'] === undefined ? undefined : checkEndpointUrl(args['endpoint-url']);
  if (endpointProblem) bad.push(endpointProblem);
  if (bad.length) {
    throw new UsageError(bad.join('; '), endpointProblem ? { hint: 'give a full URL, e.g. --endpoint-url http://127.0.0.1:4583 (the emulator) or https://ssm.us-east-1.amazonaws.com' } : {});
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
 * The region, as the AWS CLI resolves it: the flag, the manifest, AWS_REGION,
 * then AWS_DEFAULT_REGION. Undefined leaves the rest (the profile) to the SDK.
 */
export function regionFrom(args: { region?: string }, manifestRegion: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return args.region ?? manifestRegion ?? (env.AWS_REGION || undefined) ?? (env.AWS_DEFAULT_REGION || undefined);
}

export function openStore(args: StoreArgs, region: string | undefined, log: Logger, env: NodeJS.ProcessEnv = process.env): SsmStore {
  checkStoreArgs(args);
  return new SsmStore({
    region: regionFrom(args, region, env),
    profile: args.profile,
    endpoint: args['endpoint-url'],
    roleArn: args['role-arn'],
    timeoutMs: args.timeout * 1000,
    maxAttempts: args['max-attempts'],
    concurrency: args.concurrency,
    onCall: (e) => log.detail('api_call', e, `${e.operation}: ${e.count} name${e.count === 1 ? '' : 's'}, ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}, ${e.ms} ms`),
  });
}

/** Load the manifest, fetch everything it names and render every output in memory. */
export async function fetchAndRender(
  args: ManifestArgs,
  env: NodeJS.ProcessEnv,
  log: Logger,
  beforeFetch: (manifest: Manifest) => Promise<void> = async () => undefined,
): Promise<{ manifest: Manifest; rendered: RenderedOutput[]; store: SsmStore }> {
  const manifest = loadManifest(args.manifest, env);
  log.progress('start', { manifest: manifest.file, outputs: manifest.outputs.length }, `manifest ${manifest.file}: ${plural(manifest.outputs.length, 'output')}`);
  checkTemplates(manifest);
  await beforeFetch(manifest);
  // The jitter comes before the store exists: its wait must not count against --timeout.
  checkStoreArgs(args);
  if (args.jitter > 0) await new Promise((r) => setTimeout(r, Math.random() * args.jitter * 1000));
  const store = openStore(args, manifest.region, log, env);
  try {
    const plan = planFetch(manifest);
    log.progress('fetch_start', { names: plan.names.length, paths: plan.paths.length }, `fetching ${plan.names.length} names and ${plan.paths.length} paths`);
    const fetched = await fetchAll(store, plan);
    log.progress(
      'fetched',
      { names: fetched.byName.size, calls: store.stats.calls, retries: store.stats.retries },
      `fetched ${fetched.byName.size} names in ${totalCalls(store)} calls (${store.stats.retries} retries)`,
    );
    return { manifest, rendered: renderOutputs(resolveOutputs(manifest, fetched)), store };
  } finally {
    store.close();
  }
}

export function totalCalls(store: SsmStore): number {
  return Object.values(store.stats.calls).reduce((a, b) => a + b, 0);
}

export function modeString(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
