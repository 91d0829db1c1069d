/** Option groups several commands share, declared once (definition.ts explains the tables). */
import { DEFAULT_HEADROOM, DEFAULT_RUN_SECONDS, DEFAULT_TPS } from '../budget.js';
import type { PipelineOptions } from '../pipeline.js';
import type { CommandContext, OptionTable } from './definition.js';
import { storeOpener, type StoreArgs } from './common.js';

export const DEFAULT_MANIFEST = 'materialize.yaml';

export const manifestOption = {
  manifest: { alias: 'm', type: 'string', default: DEFAULT_MANIFEST, describe: 'Manifest file (YAML or JSON)' },
} as const satisfies OptionTable;

/** How to reach the store: the commands that read or write parameters. */
export const storeOptions = {
  region: { type: 'string', describe: 'AWS region (else the manifest, then AWS_REGION / the profile)' },
  profile: { type: 'string', describe: 'Shared config/credentials profile' },
  'endpoint-url': { type: 'string', describe: 'SSM endpoint, e.g. the emulator (AWS_ENDPOINT_URL_SSM also works)' },
  'role-arn': { type: 'string', describe: 'Assume this IAM role first' },
  timeout: { type: 'number', default: 30, describe: 'Overall deadline for all API calls, in seconds' },
  'max-attempts': { type: 'number', describe: 'Attempts per API call (default: 5 on faults; on throttling, until --timeout)' },
  concurrency: { type: 'number', default: 4, describe: 'API calls in flight at once' },
  jitter: { type: 'number', default: 0, describe: 'Wait a random 0..N seconds before the first call (spreads a fleet)' },
} as const satisfies OptionTable;

/** Options of the commands that run the pipeline: which versions, which regions. */
export const runOptions = {
  locked: { type: 'string', describe: 'Fetch exactly the parameter versions recorded by `write --lock FILE`' },
  'fallback-region': {
    type: 'string',
    array: true,
    describe: "When the region is unavailable, read everything from this one (repeatable; else the manifest's regions:)",
  },
} as const satisfies OptionTable;

/** The pipeline commands: write, plan, check, exec. */
export const pipelineOptions = { ...manifestOption, ...storeOptions, ...runOptions } as const satisfies OptionTable;

/** The account's GetParameter* quota, an input of the call budget (the emulator's own --tps is the rate it enforces). */
export function quotaOption(describe: string) {
  return { quota: { type: 'number', default: DEFAULT_TPS, describe } } as const satisfies OptionTable;
}

/** How a fleet refresh is sized (budget.ts `rollout`): `plan --hosts` prints it, `fleet` writes it into the template. */
export const rolloutOptions = {
  headroom: { type: 'number', default: DEFAULT_HEADROOM, describe: "Share of the quota left to the app's own calls (0..1)" },
  'run-seconds': { type: 'number', default: DEFAULT_RUN_SECONDS, describe: "The shortest time one host's run takes, seconds" },
} as const satisfies OptionTable;

/** What the pipeline commands parsed, as the pipeline takes it (src/pipeline.ts). */
export function pipelineFor(
  args: StoreArgs & { manifest: string; locked?: string | undefined; 'fallback-region'?: string[] | undefined },
  { io, log }: CommandContext,
): PipelineOptions {
  return {
    manifest: args.manifest,
    env: io.env,
    log,
    openStore: storeOpener(args, log, io.env, io.openStore),
    region: args.region,
    fallbackRegions: args['fallback-region'],
    locked: args.locked,
  };
}
