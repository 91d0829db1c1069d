/**
 * `fleet`: print the CloudFormation template (YAML) that runs this manifest
 * across a fleet with AWS's own engines (src/fleet/). Offline: no
 * credentials, no API call. The rollout numbers come from the call budget
 * (budget.ts `rollout`), the same function `plan --hosts` prints.
 */
import { stringify } from 'yaml';
import { ExitCode, UsageError } from '../errors.js';
import type { Io, Logger } from '../log.js';
import { loadManifest, type Env } from '../manifest.js';
import { batchNames, NAMES_PER_CALL } from '../aws/batches.js';
import { callBudget, rollout, rolloutOptions, DEFAULT_HOOK_TIMEOUT_S } from '../budget.js';
import { planFetch } from '../fetch.js';
import { DEFAULT_STATE_DIRECTORY } from '../fleet/documents.js';
import { changeMatching } from '../fleet/events.js';
import { fleetTemplate } from '../fleet/template.js';

export interface FleetArgs {
  manifest: string;
  target: string;
  hosts: number;
  schedule: string;
  tps: number;
  headroom: number;
  'run-seconds': number;
  'calls-per-host'?: number;
  'host-manifest'?: string;
  settle: number;
  'name-prefix': string;
  'kms-key'?: string;
  'create-key'?: string;
  'key-admin'?: string[];
  'deny-for'?: string[];
  'keep-last-good'?: string;
  lock?: string;
  jitter: number;
  'state-dir'?: string;
}

/** Tag keys as Run Command targets and IAM condition keys accept them, without characters YAML or IAM would read specially. */
const TAG_KEY = /^[A-Za-z0-9_.:/+@-]{1,128}$/;
const TAG_VALUE = /^[A-Za-z0-9 _.:/=+@-]{1,256}$/;
const HOST_PATH = /^\/[A-Za-z0-9_./-]{0,1023}$/;
const AGE = /^[0-9]{1,6}[smhd]?$/;
/** State Manager runs associations at most every 30 minutes by rate. */
const MIN_ASSOCIATION_RATE_S = 30 * 60;

export function fleetCommand(args: FleetArgs, io: Io & { env: Env }, log: Logger): number {
  const options = checkFleetArgs(args);
  const manifest = loadManifest(args.manifest, io.env);
  const plan = planFetch(manifest);
  // Offline, a path counts one page; `plan` measures the real number (--calls-per-host).
  const estimated = batchNames(plan.names, NAMES_PER_CALL).length + plan.paths.length;
  const calls = args['calls-per-host'] ?? estimated;
  const r = rollout(calls, options.rollout);
  const matching = changeMatching(manifest);
  const notes = [...matching.notes];
  if (!matching.patterns.length)
    notes.push('nothing the manifest reads can be matched by a "Parameter Store Change" rule: no rule is created; the check association alone finds changes');
  if (args['calls-per-host'] === undefined && plan.paths.length) {
    notes.push(
      `calls per host estimated offline as ${estimated}, one page per path; \`plan --hosts ${args.hosts}\` counts the real pages, then pass --calls-per-host`,
    );
  }
  const every = options.everySeconds;
  if (every !== undefined) {
    const b = callBudget(
      { GetParameters: calls, GetParametersByPath: 0 },
      { fleet: args.hosts, tps: args.tps, everySeconds: every, timeoutSeconds: 60, hookTimeoutSeconds: DEFAULT_HOOK_TIMEOUT_S },
    );
    notes.push(...b.advice.filter((a) => a.startsWith('running every')).map((a) => `check association: ${a}`));
    if (r.wall_seconds > every) notes.push(`check association: one round over ${args.hosts} hosts takes about ${r.wall_seconds} s, longer than its schedule`);
  }
  notes.push(
    `rollout: MaxConcurrency ${r.max_concurrency}, MaxErrors ${r.max_errors} keep ${r.calls_per_host} call(s) per host under ${r.rate_limit} calls/s (quota ${args.tps}, headroom ${args.headroom}); ${args.hosts} host(s) in about ${r.wall_seconds} s`,
  );
  const template = fleetTemplate(manifest, {
    tagKey: options.tagKey,
    tagValue: options.tagValue,
    schedule: args.schedule,
    settleSeconds: args.settle,
    namePrefix: args['name-prefix'],
    kmsKey: args['create-key'] ?? args['kms-key'],
    createKey: args['create-key'],
    keyAdmins: args['key-admin'] ?? [],
    denyFor: args['deny-for'] ?? [],
    documents: {
      manifestPath: options.hostManifest,
      jitterSeconds: args.jitter,
      lockFile: args.lock ?? '',
      keepLastGood: args['keep-last-good'] ?? '',
      stateDirectory: args['state-dir'] ?? DEFAULT_STATE_DIRECTORY,
    },
    rollout: r,
    matching,
    notes,
  });
  for (const note of notes) log.warn('fleet_note', { message: note }, note);
  // YAML 1.1 quoting: readers such as PyYAML would take an unquoted 2010-09-09 for a date.
  io.stdout(stringify(template, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false }));
  return ExitCode.ok;
}

interface CheckedFleetArgs {
  tagKey: string;
  tagValue: string;
  hostManifest: string;
  everySeconds: number | undefined;
  rollout: ReturnType<typeof rolloutOptions>;
}

/** Every bad flag at once, before the manifest is read. */
function checkFleetArgs(args: FleetArgs): CheckedFleetArgs {
  const bad: string[] = [];
  // A repeated flag arrives as a list; one stack serves one tag.
  const target = typeof args.target === 'string' ? /^tag:([^=]+)=(.*)$/.exec(args.target) : null;
  if (typeof args.target !== 'string') bad.push('--target: give it once (tag:KEY=VALUE); one stack serves one tag');
  else if (!target || !TAG_KEY.test(target[1]!) || !TAG_VALUE.test(target[2]!)) {
    bad.push(`--target ${JSON.stringify(args.target)}: expected tag:KEY=VALUE (key: letters, digits and _ . : / + @ -; value: also spaces and =)`);
  }
  const hostManifest = args['host-manifest'] ?? (args.manifest.startsWith('/') ? args.manifest : '');
  if (!HOST_PATH.test(hostManifest))
    bad.push(`--host-manifest ${JSON.stringify(hostManifest)}: the manifest's absolute path on the hosts, letters, digits and _ . / - only`);
  for (const [flag, value] of [
    ['--lock', args.lock],
    ['--state-dir', args['state-dir']],
  ] as const) {
    if (value !== undefined && !HOST_PATH.test(value)) bad.push(`${flag} ${JSON.stringify(value)}: an absolute path of letters, digits and _ . / - only`);
  }
  if (args['keep-last-good'] !== undefined && !AGE.test(args['keep-last-good']))
    bad.push(`--keep-last-good ${JSON.stringify(args['keep-last-good'])}: an age such as 90s, 30m, 24h or 7d`);
  if (!Number.isInteger(args.jitter) || args.jitter < 0 || args.jitter > 99_999) bad.push('--jitter must be whole seconds, 0..99999');
  if (!Number.isInteger(args.settle) || args.settle < 0 || args.settle > 86_400) bad.push('--settle must be whole seconds, 0..86400');
  if (!/^[a-zA-Z0-9_.-]{3,120}$/.test(args['name-prefix']) || /^(aws|amazon|amzn)/i.test(args['name-prefix'])) {
    bad.push(
      `--name-prefix ${JSON.stringify(args['name-prefix'])}: 3..120 letters, digits, _ . -, not starting with aws, amazon or amzn (reserved document names)`,
    );
  }
  if (args['create-key'] !== undefined && !/^alias\/[A-Za-z0-9/_-]{1,250}$/.test(args['create-key']))
    bad.push(`--create-key ${JSON.stringify(args['create-key'])}: an alias, alias/NAME`);
  if (args['create-key'] !== undefined && args['kms-key'] !== undefined)
    bad.push('--create-key and --kms-key: the stack creates the key or uses yours, not both');
  if (args['key-admin']?.length && args['create-key'] === undefined) bad.push('--key-admin needs --create-key (the key policy of a key the stack creates)');
  for (const role of args['deny-for'] ?? [])
    if (!/^[A-Za-z0-9+=,.@_-]{1,64}$/.test(role)) bad.push(`--deny-for ${JSON.stringify(role)}: a role name (not an ARN)`);
  const calls = args['calls-per-host'];
  if (calls !== undefined && (!Number.isInteger(calls) || calls < 1)) bad.push('--calls-per-host must be a whole number >= 1');
  let everySeconds: number | undefined;
  try {
    everySeconds = scheduleSeconds(args.schedule);
  } catch (err) {
    bad.push((err as Error).message);
  }
  let rolloutArgs: CheckedFleetArgs['rollout'] | undefined;
  try {
    rolloutArgs = rolloutOptions(args);
  } catch (err) {
    bad.push((err as Error).message);
  }
  if (bad.length || !target || !rolloutArgs) throw new UsageError(bad.join('; '));
  return { tagKey: target[1]!, tagValue: target[2]!, hostManifest, everySeconds, rollout: rolloutArgs };
}

/** `rate(2 hours)` -> 7200; `cron(...)` -> undefined (no fixed period). */
export function scheduleSeconds(schedule: string): number | undefined {
  if (/^cron\([0-9A-Za-z*?,/#L -]+\)$/.test(schedule)) return undefined;
  const m = /^rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule);
  if (!m) throw new UsageError(`--schedule ${JSON.stringify(schedule)}: expected rate(N minutes|hours|days) or cron(...)`);
  const seconds = Number(m[1]) * { minute: 60, hour: 3600, day: 86400 }[m[2]!.replace(/s$/, '') as 'minute' | 'hour' | 'day'];
  if (seconds < MIN_ASSOCIATION_RATE_S) throw new UsageError(`--schedule ${schedule}: State Manager runs an association at most every 30 minutes`);
  return seconds;
}
