/**
 * `exec`: run a command with the values in its environment; nothing is
 * written to disk. The container-entrypoint mode: secrets stay out of image
 * layers and off the file system.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { CommandNotRunError, ManifestError, UsageError } from '../errors.js';
import { Refusals, envStringTooLong, reasons } from '../formats/common.js';
import { getFormat } from '../formats/index.js';
import type { ResolvedOutput } from '../resolve.js';
import { runPipeline, type PipelineOptions } from '../pipeline.js';
import { runRefreshing, type RefreshOptions } from './exec-refresh.js';
import { pollingCost } from '../budget.js';
import type { Logger } from '../log.js';

export interface ExecArgs {
  output?: string[];
  command: string[];
  /** `--refresh-signal`, `--refresh-every`, `--refresh-notify` (exec-refresh.ts). */
  refresh?: RefreshOptions;
}

export async function execCommand(options: PipelineOptions, args: ExecArgs): Promise<number> {
  if (args.command.length === 0) throw new UsageError('exec needs a command after --, e.g. ssm-materialize exec -m FILE -- node server.js');
  // Also how a refresh reads the store again: the same outputs, the same checks.
  // A refresh has last good values (the child's), so an outage may keep them (trust/failures.ts).
  let callsPerRun = 0;
  const load = async (refresh = false): Promise<Record<string, string>> => {
    const { outcome: resolved, stats } = await runPipeline('resolve', refresh ? { ...options, keepLastGood: true } : options);
    callsPerRun = (stats.calls.GetParameters ?? 0) + (stats.calls.GetParametersByPath ?? 0);
    const loaded = environmentFrom(chooseOutputs(resolved, args.output));
    checkEnvironment(loaded);
    return loaded;
  };
  const values = await load();
  // Found through our own PATH before the child's environment exists: a PATH
  // among the values (from the store) must never choose the program.
  const [name, ...rest] = args.command as [string, ...string[]];
  const program = findProgram(name, options.env.PATH);
  options.log.detail('exec', { command: name, keys: Object.keys(values).length }, `exec ${name} with ${Object.keys(values).length} keys`);
  if (program === undefined) throw new CommandNotRunError(name, { notFound: true, reason: 'not found in PATH' });
  if (args.refresh?.everySeconds !== undefined) warnPollingCost(options.log, callsPerRun, args.refresh);
  if (args.refresh?.signal || args.refresh?.everySeconds !== undefined) {
    return runRefreshing({ program, name, args: rest, baseEnv: options.env, values, load: () => load(true), log: options.log }, args.refresh);
  }
  return runChild(program, name, rest, { ...options.env, ...values });
}

/**
 * Every host of a fleet polling with --refresh-every draws on one quota: the
 * call budget's judgement of that (the same as `plan --every`), warned before
 * the child starts. The calls are those the first read just made.
 */
function warnPollingCost(log: Logger, callsPerRun: number, refresh: RefreshOptions): void {
  const cost = pollingCost(callsPerRun, { hosts: refresh.hosts, tps: refresh.tps, everySeconds: refresh.everySeconds! });
  if (cost.advice)
    log.warn('refresh_budget', { calls_per_run: callsPerRun, hosts: refresh.hosts, tps: refresh.tps, ...cost.periodic, advice: cost.advice }, cost.advice);
}

/**
 * Refuse, by key, what no process environment can hold, before spawning:
 * Node would throw ERR_INVALID_ARG_VALUE quoting the value (NUL), or execve
 * would fail with E2BIG (an over-long string).
 */
function checkEnvironment(values: Record<string, string>): void {
  const refusals = new Refusals('exec');
  for (const [key, value] of Object.entries(values)) {
    if (key.includes('\0') || key.includes('=')) refusals.add(key, 'the key cannot be an environment variable name (NUL or =)');
    else if (value.includes('\0')) refusals.add(key, reasons.nul);
    else if (envStringTooLong(key, value)) refusals.add(key, reasons.tooLong);
  }
  refusals.throwIfAny('exec passes values in the environment: change the value, or write this output to a file with `write` instead');
}

/**
 * The program `name` names, resolved like execvp does (a name with a slash
 * is used as is; else the first executable regular file in PATH, an empty
 * entry meaning the current directory), but through `path`, our own PATH.
 */
export function findProgram(name: string, path: string | undefined): string | undefined {
  if (name.includes('/')) return name;
  for (const dir of (path ?? '/usr/bin:/bin').split(':')) {
    const candidate = resolvePath(dir || '.', name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function chooseOutputs(rendered: ResolvedOutput[], wanted: string[] | undefined): ResolvedOutput[] {
  // A raw output (`file`: a certificate, a key) is no environment variable: left out unless asked for by --output.
  if (!wanted?.length) return rendered.filter((r) => getFormat(r.spec.format).kind !== 'raw');
  const chosen = rendered.filter((r) => wanted.some((w) => r.spec.path === w || r.spec.path.endsWith(`/${w}`)));
  const unknown = wanted.filter((w) => !rendered.some((r) => r.spec.path === w || r.spec.path.endsWith(`/${w}`)));
  if (unknown.length)
    throw new UsageError(`--output ${unknown.join(', ')} matches no output path in the manifest (outputs: ${rendered.map((r) => r.spec.path).join(', ')})`);
  return chosen;
}

/**
 * Flatten the chosen outputs to one environment: each output's keys and
 * values as resolved, never through its file format, which exec does not
 * write (a value dotenv cannot quote is still a value an environment holds;
 * the key names were checked for the format when they were resolved). A key
 * with different values in two outputs is an error, not a guess.
 */
function environmentFrom(outputs: ResolvedOutput[]): Record<string, string> {
  // Maps, not plain objects: keys such as `constructor` or `toString` are
  // ordinary names here, not inherited members that look like earlier keys.
  const values = new Map<string, string>();
  const from = new Map<string, string>();
  const conflicts: string[] = [];
  for (const out of outputs) {
    if (getFormat(out.spec.format).kind !== 'keys')
      throw new UsageError(`${out.spec.path}: format ${out.spec.format} has no key/value form for exec; pick other outputs with --output`);
    for (const [key, value] of out.entries) {
      if (values.has(key) && values.get(key) !== value) conflicts.push(`key ${key} differs between ${from.get(key)} and ${out.spec.path}`);
      values.set(key, value);
      from.set(key, out.spec.path);
    }
  }
  if (conflicts.length) {
    throw new ManifestError(
      conflicts.map((message) => ({ file: outputs[0]?.spec.path ?? '', line: 0, message })),
      { hint: 'choose outputs with --output PATH' },
    );
  }
  return Object.fromEntries(values);
}

/** Run the child with inherited stdio, forward signals, return its exit code (128+n when killed). */
function runChild(program: string, name: string, rest: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    // argv[0] stays the name the user typed, as a shell would pass it.
    const child = spawn(program, rest, { env, stdio: 'inherit', argv0: name });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    const stopForwarding = () => {
      for (const [s, h] of handlers) process.off(s, h);
    };
    // Only the error's code is kept: Node's message for a failed spawn is ours to word.
    child.on('error', (err) => {
      stopForwarding();
      const code = (err as NodeJS.ErrnoException).code;
      reject(new CommandNotRunError(name, { notFound: code === 'ENOENT', reason: code ?? 'spawn failed' }));
    });
    child.on('exit', (code, signal) => {
      stopForwarding();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
