/**
 * `exec --refresh-signal SIGNAL` / `--refresh-every DURATION`: a running
 * child learns of changed values. On the signal (which is then ours, not
 * forwarded) or the timer, the store is read again; only when some value
 * changed is the child restarted with the new environment, or sent the
 * signal named by `--refresh-notify`. Nothing changed: the child is left
 * alone. A refresh that fails (store unavailable, a parameter missing or
 * denied) leaves the child running on the values it has and says so loudly,
 * as the single failure decision classes it (reportRefreshFailure); the
 * child never gets an empty or partial environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { CommandNotRunError, UsageError, exitCodeOf, ToolError } from '../errors.js';
import type { Logger } from '../log.js';
import { own } from '../records.js';
import { DEFAULT_TPS } from '../budget.js';
import { KeepLastGood } from '../trust/failures.js';

export interface RefreshOptions {
  /** This signal means "read the store again" and is not forwarded. */
  signal?: NodeJS.Signals;
  /** Read the store again about this often (seconds; each wait is shortened by up to a fifth at random, so a fleet spreads out). */
  everySeconds?: number;
  /** Send this signal instead of restarting the child when a value changed. */
  notify?: NodeJS.Signals;
  /** With everySeconds: the hosts polling alike and the account's quota, for the call budget's warning (budget.ts pollingCost). */
  hosts: number;
  tps: number;
}

/** Signals a process may take over for refreshing: not those that cannot be caught or that mean a fault. */
const REFRESH_SIGNALS = new Set(['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT', 'SIGINT', 'SIGTERM', 'SIGQUIT']);
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;
/** How long a child may take to exit on SIGTERM before a restart kills it. */
const STOP_GRACE_MS = 10_000;

export function refreshSignal(flag: string, raw: string | undefined): NodeJS.Signals | undefined {
  if (raw === undefined) return undefined;
  const name = (raw.toUpperCase().startsWith('SIG') ? raw.toUpperCase() : `SIG${raw.toUpperCase()}`) as NodeJS.Signals;
  if (!REFRESH_SIGNALS.has(name) || constants.signals[name] === undefined) {
    throw new UsageError(`${flag} ${JSON.stringify(raw)}: expected one of ${[...REFRESH_SIGNALS].join(', ')}`);
  }
  return name;
}

/** The refresh flags, checked before the store is read; undefined when none is given. */
/** `exec`'s refresh flags, as parsed (commands/exec.command.ts). */
export interface RefreshArgs {
  'refresh-signal'?: string | undefined;
  'refresh-notify'?: string | undefined;
  'refresh-every'?: string | undefined;
  hosts?: number | undefined;
  quota?: number | undefined;
}

export function refreshOptions(args: RefreshArgs): RefreshOptions | undefined {
  const signal = refreshSignal('--refresh-signal', args['refresh-signal']);
  const notify = refreshSignal('--refresh-notify', args['refresh-notify']);
  const every = args['refresh-every'];
  let everySeconds: number | undefined;
  if (every !== undefined) {
    const m = /^(\d+(?:\.\d+)?)(s|m|h|d)?$/.exec(every.trim());
    everySeconds = m ? Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'] : NaN;
    if (!(everySeconds >= 1) || everySeconds * 1000 > 2 ** 31 - 1)
      throw new UsageError(`--refresh-every ${JSON.stringify(every)}: expected a duration of at least 1 s, such as 30s, 15m, 1h`);
  }
  if (notify && !signal && everySeconds === undefined)
    throw new UsageError('--refresh-notify needs --refresh-signal or --refresh-every (what starts a refresh)');
  const hosts = args.hosts;
  const tps = args.quota ?? DEFAULT_TPS;
  if (hosts !== undefined && (!Number.isInteger(hosts) || hosts < 1)) throw new UsageError('--hosts must be a whole number of hosts >= 1');
  if (!(tps > 0)) throw new UsageError('--quota must be > 0');
  if (hosts !== undefined && everySeconds === undefined) throw new UsageError('--hosts sizes the polling of --refresh-every: give --refresh-every too');
  if (signal === undefined && everySeconds === undefined) return undefined;
  return { signal, everySeconds, notify, hosts: hosts ?? 1, tps };
}

type Environment = Record<string, string>;

export interface RefreshingChild {
  program: string;
  name: string;
  args: string[];
  baseEnv: NodeJS.ProcessEnv;
  values: Environment;
  /**
   * Reads the store again and returns the child's values, or throws: a
   * ToolError with its exit code, or KeepLastGood when the failure decision
   * says the current values stand (the read must ask it with keepLastGood).
   */
  load: () => Promise<Environment>;
  log: Logger;
}

/** Runs the child until it exits on its own (not for a restart); resolves with its exit code. */
export function runRefreshing(c: RefreshingChild, options: RefreshOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    let values = c.values;
    let child: ChildProcess;
    let restarting = false;
    let refreshing: Promise<void> | undefined;
    let again = false;
    let timer: NodeJS.Timeout | undefined;
    let done = false;

    const start = () => {
      child = spawn(c.program, c.args, { env: { ...c.baseEnv, ...values }, stdio: 'inherit', argv0: c.name });
      child.on('error', (err) =>
        finish(() =>
          reject(
            new CommandNotRunError(c.name, {
              notFound: (err as NodeJS.ErrnoException).code === 'ENOENT',
              reason: (err as NodeJS.ErrnoException).code ?? 'spawn failed',
            }),
          ),
        ),
      );
      child.on('exit', (code, signal) => {
        if (restarting) return;
        finish(() => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
      });
    };

    const refresh = async (trigger: string) => {
      let next: Environment;
      try {
        next = await c.load();
      } catch (err) {
        reportRefreshFailure(c.log, trigger, err);
        return;
      }
      // The child ended on its own while the store was read: nothing left to refresh.
      if (done) return;
      const changed = changedKeys(values, next);
      if (!changed.length) {
        c.log.result('refresh', { trigger, changed: [] }, `refresh (${trigger}): no value changed; the child is left running`);
        return;
      }
      values = next;
      if (options.notify) {
        c.log.result(
          'refresh',
          { trigger, changed, action: options.notify },
          `refresh (${trigger}): ${changed.length} key(s) changed (${changed.join(', ')}); sent ${options.notify} to the child`,
        );
        child.kill(options.notify);
        return;
      }
      c.log.result(
        'refresh',
        { trigger, changed, action: 'restart' },
        `refresh (${trigger}): ${changed.length} key(s) changed (${changed.join(', ')}); restarting the child`,
      );
      await stopChild();
      if (!done) start();
    };

    /** One refresh at a time; triggers during one fold into one more. */
    const trigger = (why: string) => {
      if (done) return;
      if (refreshing) {
        again = true;
        return;
      }
      refreshing = refresh(why).finally(() => {
        refreshing = undefined;
        if (again) {
          again = false;
          trigger(why);
        }
      });
    };

    const stopChild = () =>
      new Promise<void>((stopped) => {
        restarting = true;
        const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        child.once('exit', () => {
          clearTimeout(kill);
          restarting = false;
          stopped();
        });
        child.kill('SIGTERM');
      });

    const handlers = FORWARDED.filter((s) => s !== options.signal).map((s) => [s, () => child.kill(s)] as const);
    const onRefreshSignal = () => trigger(options.signal!);
    for (const [s, h] of handlers) process.on(s, h);
    if (options.signal) process.on(options.signal, onRefreshSignal);
    const schedule = () => {
      if (options.everySeconds === undefined || done) return;
      const wait = options.everySeconds * 1000 * (1 - Math.random() / 5);
      timer = setTimeout(() => {
        trigger('timer');
        schedule();
      }, wait);
    };

    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      for (const [s, h] of handlers) process.off(s, h);
      if (options.signal) process.off(options.signal, onRefreshSignal);
      settle();
    };

    start();
    schedule();
  });
}

/**
 * A refresh that failed changes nothing: the child keeps the environment it
 * has, whole (never an empty or partial one). How loudly, and as what, is the
 * trust issue's single failure decision (trust/failures.ts), which the
 * refresh's read asks with the child's environment as the last good values:
 * - every failure an outage: KeepLastGood, a degraded run, as
 *   `write --keep-last-good` reports it;
 * - a parameter missing, denied or otherwise refused: "stop", the same
 *   decision that makes `write` exit 3 or 4 and leave its files as they are.
 *   Here the refresh stops, not the child: the child already holds the old
 *   values, and killing it would add an outage without taking them back.
 * Both are printed whatever --quiet says, and again on every failed refresh.
 */
function reportRefreshFailure(log: Logger, trigger: string, err: unknown): void {
  if (err instanceof KeepLastGood) {
    const cause = err.unavailable;
    log.degraded(
      'refresh_failed',
      { trigger, code: cause.code, exit_code: cause.exitCode, message: cause.message, kept: 'child' },
      `refresh (${trigger}): the store is unavailable, the child keeps running on its values: ${cause.message}`,
    );
    return;
  }
  if (!(err instanceof ToolError)) {
    log.failed(
      'refresh_failed',
      { trigger, code: 'internal', exit_code: exitCodeOf(err), kept: 'child' },
      `refresh (${trigger}) failed with an internal error (a bug; please report it); the child keeps running on its values`,
    );
    return;
  }
  const fields = { trigger, code: err.code, exit_code: err.exitCode, message: err.message, kept: 'child', ...(err.hint ? { hint: err.hint } : {}) };
  log.failed(
    'refresh_failed',
    fields,
    `refresh (${trigger}) refused (exit class ${err.exitCode}), nothing applied, the child keeps running on its old values: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`,
  );
}

/** Keys added, removed or with another value; names only. */
function changedKeys(before: Environment, after: Environment): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => own(before, k) !== own(after, k)).sort();
}
