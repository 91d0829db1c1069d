/**
 * `plan` and `check` on the command line: their flags, help and examples;
 * the job itself is plan.ts, loaded when they run.
 */
import { DEFAULT_HOOK_TIMEOUT_S } from '../budget.js';
import { defineCommand } from './definition.js';
import { pipelineFor, pipelineOptions, quotaOption, rolloutOptions } from './options.js';

export const plan = defineCommand({
  name: 'plan',
  description: 'Fetch and render, write nothing; list per output the keys added, removed and changed (never values), and the call budget',
  options: {
    ...pipelineOptions,
    hosts: { alias: 'fleet', type: 'number', default: 1, describe: 'Call budget: hosts running this manifest (--fleet is the old name)' },
    ...quotaOption("Call budget: the account's GetParameter* quota, calls per second"),
    every: { type: 'string', describe: 'Call budget: each host also runs it this often (check from cron, a refresh timer), e.g. 5m' },
    'hook-timeout': { type: 'number', default: DEFAULT_HOOK_TIMEOUT_S, describe: "Call budget: the deploy hook's timeout, in seconds" },
    ...rolloutOptions,
  },
  deprecated: { tps: { use: 'quota' } },
  examples: [['$0 plan -m materialize.yaml --hosts 200 --every 5m', 'Does a 200-host deploy fit the quota, next to a 5-minute refresh?']],
  async run(args, context) {
    const { planCommand } = await import('./plan.js');
    return planCommand(pipelineFor(args, context), 'plan', { ...args, fleet: args.hosts, tps: args.quota });
  },
});

export const check = defineCommand({
  name: 'check',
  description: 'Like plan; exit 0 when every output is up to date, 1 when one would change (drift alarms)',
  options: pipelineOptions,
  async run(args, context) {
    const { planCommand } = await import('./plan.js');
    return planCommand(pipelineFor(args, context), 'check');
  },
});
