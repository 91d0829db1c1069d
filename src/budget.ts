/**
 * The call budget `plan` reports: how many API calls one run of this manifest
 * makes, the least time a fleet of hosts needs for them at the account's
 * quota, and the share of the quota a periodic check or refresh takes all day.
 * Every Get* call of every host draws on one quota per account and region (40
 * per second by default), so these numbers decide whether a deploy fits its
 * hook's timeout before the fleet finds out the hard way.
 *
 * Pure arithmetic: no I/O, no clock.
 */
import { UsageError } from './errors.js';

/** The default GetParameter* quota per account and region, calls per second. */
export const DEFAULT_TPS = 40;
/** CodeDeploy's longest hook timeout (appspec `timeout`), seconds. */
export const DEFAULT_HOOK_TIMEOUT_S = 3600;
/** Periodic use above this share of the quota leaves deploys too little room. */
const PERIODIC_SHARE_WARNING = 0.25;
/**
 * Hosts that start together finish within about this multiple of the
 * floor (measured in BENCHMARKS.md); advice about --timeout keeps this margin.
 */
const FLEET_MARGIN = 1.5;

export interface CallCounts {
  GetParameters: number;
  GetParametersByPath: number;
}

export interface BudgetOptions {
  /** Hosts running the same manifest at the same time. */
  fleet: number;
  /** The account's quota in calls per second. */
  tps: number;
  /** Each host runs it every this many seconds (a cron `check`, a refresh timer). */
  everySeconds?: number;
  /** This tool's own --timeout, seconds. */
  timeoutSeconds: number;
  /** The deploy hook's timeout, seconds. */
  hookTimeoutSeconds: number;
}

export interface CallBudget {
  /** API calls one host makes per run. */
  calls: number;
  by_operation: CallCounts;
  fleet: number;
  tps: number;
  /** Calls the whole fleet makes per deploy. */
  fleet_calls: number;
  /** The floor: fleet calls / quota, seconds (nothing can be faster). */
  min_seconds: number;
  periodic?: { every_seconds: number; calls_per_second: number; quota_share: number };
  advice: string[];
}

export function callBudget(counts: CallCounts, options: BudgetOptions): CallBudget {
  const calls = counts.GetParameters + counts.GetParametersByPath;
  const fleetCalls = calls * options.fleet;
  const minSeconds = fleetCalls / options.tps;
  const budget: CallBudget = {
    calls,
    by_operation: { ...counts },
    fleet: options.fleet,
    tps: options.tps,
    fleet_calls: fleetCalls,
    min_seconds: round(minSeconds),
    advice: [],
  };
  const advice = budget.advice;
  const byPathNote = counts.GetParametersByPath > 0 ? ' (GetParametersByPath stays near 100 TPS even then: explicit names scale further than paths)' : '';
  if (minSeconds > options.hookTimeoutSeconds) {
    const batch = Math.max(1, Math.floor((options.hookTimeoutSeconds * options.tps) / Math.max(1, calls) / FLEET_MARGIN));
    advice.push(
      `a fleet of ${options.fleet} needs at least ${seconds(minSeconds)} at ${options.tps} TPS, more than the deploy hook's ${seconds(options.hookTimeoutSeconds)}: ` +
        `raise the quota (Parameter Store's higher-throughput setting)${byPathNote}, or deploy in batches of at most ${batch} hosts`,
    );
  } else if (minSeconds * FLEET_MARGIN > options.timeoutSeconds) {
    advice.push(
      `hosts starting together need about ${seconds(minSeconds * FLEET_MARGIN)}, more than --timeout ${options.timeoutSeconds}: ` +
        `pass --timeout ${Math.ceil(minSeconds * FLEET_MARGIN)} or more, or spread the starts with --jitter ${Math.ceil(minSeconds)} (the wait does not count against --timeout)`,
    );
  }
  if (options.everySeconds !== undefined) {
    const cost = pollingCost(calls, { hosts: options.fleet, tps: options.tps, everySeconds: options.everySeconds });
    budget.periodic = cost.periodic;
    if (cost.advice) advice.push(cost.advice);
  }
  return budget;
}

export interface PollingOptions {
  hosts: number;
  tps: number;
  /** Each host reads the store every this many seconds. */
  everySeconds: number;
}

/**
 * What a fleet's polling (a cron `check`, `exec --refresh-every`) costs the
 * quota all day, and advice when that is too much. The one place this is
 * judged: `plan --every` and `exec --refresh-every` print the same numbers.
 */
export function pollingCost(callsPerRun: number, options: PollingOptions): { periodic: NonNullable<CallBudget['periodic']>; advice?: string } {
  const fleetCalls = callsPerRun * options.hosts;
  const perSecond = fleetCalls / options.everySeconds;
  const share = perSecond / options.tps;
  const periodic = { every_seconds: options.everySeconds, calls_per_second: round(perSecond), quota_share: round(share) };
  const on = `running every ${seconds(options.everySeconds)} on ${options.hosts} host${options.hosts === 1 ? '' : 's'}`;
  if (share >= 1) {
    return {
      periodic,
      advice: `${on} needs ${round(perSecond)} calls/s, over the ${options.tps} TPS quota: every run will be throttled and deploys will stall; run less often or raise the quota`,
    };
  }
  if (share > PERIODIC_SHARE_WARNING) {
    return {
      periodic,
      advice:
        `${on} takes ${percent(share)} of the quota all day, and deploys compete with it (${round(perSecond)} calls/s against ${options.tps} TPS): ` +
        `run less often (every ${seconds(Math.ceil(fleetCalls / (options.tps * PERIODIC_SHARE_WARNING)))} keeps it at ${percent(PERIODIC_SHARE_WARNING)}), or raise the quota`,
    };
  }
  return { periodic };
}

/** Share of the quota a fleet refresh leaves to the application's own Get* calls, by default. */
export const DEFAULT_HEADROOM = 0.25;
/**
 * The shortest time one host's run takes under Run Command (agent hand-off,
 * process start-up, the calls themselves), seconds. A lower bound on purpose:
 * hosts that finish sooner free their slot sooner and raise the rate, so the
 * concurrency is sized for the fastest plausible run.
 */
export const DEFAULT_RUN_SECONDS = 1;

export interface RolloutOptions {
  /** The account's quota in calls per second. */
  tps: number;
  /** Share of the quota kept for the application's own calls (0..1). */
  headroom: number;
  /** Lower bound of one host's run, seconds. */
  runSeconds: number;
  /** Hosts the refresh reaches. */
  hosts: number;
}

/**
 * How Run Command rolls a refresh out without throttling itself: hosts at
 * once (`MaxConcurrency`), failures tolerated (`MaxErrors`), and the wall
 * time for every host. The one place these numbers are computed: `plan`
 * prints them and `fleet` writes them into the template.
 */
export interface Rollout {
  calls_per_host: number;
  /** The rate the refresh may use: quota minus headroom, calls per second. */
  rate_limit: number;
  max_concurrency: number;
  /**
   * A wave's worth: hosts already in flight may all fail (a missing or denied
   * parameter fails every host alike), and then no further wave starts.
   */
  max_errors: number;
  hosts: number;
  waves: number;
  /** Predicted time for every host, seconds: the waves, or the calls at the rate limit, whichever is longer. */
  wall_seconds: number;
}

export function rollout(callsPerHost: number, options: RolloutOptions): Rollout {
  const calls = Math.max(1, callsPerHost);
  const rateLimit = options.tps * (1 - options.headroom);
  // k hosts at once, each making `calls` calls within at least runSeconds: k * calls / runSeconds <= rateLimit.
  const maxConcurrency = Math.max(1, Math.floor((rateLimit * options.runSeconds) / calls + 1e-9));
  const waves = Math.ceil(options.hosts / maxConcurrency);
  const wall = Math.max(waves * options.runSeconds, (options.hosts * calls) / rateLimit);
  return {
    calls_per_host: calls,
    rate_limit: round(rateLimit),
    max_concurrency: maxConcurrency,
    max_errors: maxConcurrency,
    hosts: options.hosts,
    waves,
    wall_seconds: round(wall),
  };
}

/** The rollout options, checked before any call is made. */
export function rolloutOptions(args: { tps: number; headroom: number; 'run-seconds': number; hosts: number }): RolloutOptions {
  const bad: string[] = [];
  if (!(args.headroom >= 0 && args.headroom < 1)) bad.push('--headroom must be a share of the quota, 0 <= h < 1 (e.g. 0.25)');
  if (!(args['run-seconds'] > 0)) bad.push('--run-seconds must be > 0');
  if (!(args.tps > 0)) bad.push('--quota must be > 0');
  if (!Number.isInteger(args.hosts) || args.hosts < 1) bad.push('--hosts must be a whole number of hosts >= 1');
  if (bad.length) throw new UsageError(bad.join('; '));
  return { tps: args.tps, headroom: args.headroom, runSeconds: args['run-seconds'], hosts: args.hosts };
}

export function describeRollout(r: Rollout): string {
  return [
    `fleet refresh: at most ${r.max_concurrency} host${r.max_concurrency === 1 ? '' : 's'} at once (MaxConcurrency), MaxErrors ${r.max_errors}, ` +
      `keeps ${r.calls_per_host} call${r.calls_per_host === 1 ? '' : 's'} per host under ${r.rate_limit} calls/s`,
    `  ${r.hosts} host${r.hosts === 1 ? '' : 's'} in ${r.waves} wave${r.waves === 1 ? '' : 's'}: about ${seconds(r.wall_seconds)}`,
  ].join('\n');
}

/** One line per fact, for people; the JSON log carries the CallBudget itself. */
export function describeBudget(b: CallBudget): string {
  const lines = [
    `call budget: ${b.calls} API call${b.calls === 1 ? '' : 's'} per run (${b.by_operation.GetParameters} GetParameters, ${b.by_operation.GetParametersByPath} GetParametersByPath)`,
    `  fleet of ${b.fleet} host${b.fleet === 1 ? '' : 's'} at ${b.tps} TPS: ${b.fleet_calls} calls, at least ${seconds(b.min_seconds)}`,
  ];
  if (b.periodic) {
    lines.push(
      `  every ${seconds(b.periodic.every_seconds)} on ${b.fleet} host${b.fleet === 1 ? '' : 's'}: ${b.periodic.calls_per_second} calls/s, ${percent(b.periodic.quota_share)} of the quota`,
    );
  }
  for (const a of b.advice) lines.push(`  advice: ${a}`);
  return lines.join('\n');
}

/** "300", "90s", "5m", "1.5h", "1d" -> seconds. */
export function parseInterval(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$/i.exec(text);
  const value = match ? Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd'] : NaN;
  if (!(value > 0)) throw new UsageError(`--every ${JSON.stringify(text)}: expected a duration such as 300, 90s, 5m, 1h`);
  return value;
}

/** The numbers `plan` takes for its budget, checked before any call is made. */
export function budgetOptions(args: { fleet: number; tps: number; every?: string; 'hook-timeout': number; timeout: number }): BudgetOptions {
  const bad: string[] = [];
  if (!Number.isInteger(args.fleet) || args.fleet < 1) bad.push('--hosts must be a whole number of hosts >= 1');
  if (!(args.tps > 0)) bad.push('--quota must be > 0');
  if (!(args['hook-timeout'] > 0)) bad.push('--hook-timeout must be > 0');
  if (bad.length) throw new UsageError(bad.join('; '));
  return {
    fleet: args.fleet,
    tps: args.tps,
    everySeconds: args.every === undefined ? undefined : parseInterval(args.every),
    timeoutSeconds: args.timeout,
    hookTimeoutSeconds: args['hook-timeout'],
  };
}

const round = (n: number): number => Math.round(n * 1000) / 1000;
const percent = (share: number): string => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;

function seconds(s: number): string {
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600} h`;
  if (s >= 120 && s % 60 === 0) return `${s / 60} min`;
  return `${Number(s.toFixed(1))} s`;
}
