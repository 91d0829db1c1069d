/**
 * The library entry point, for Node build scripts (docs/library.md):
 * `materialize` is the CLI's `write` and `plan` its `plan`, run through the
 * same pipeline (src/pipeline.ts) and the same store opener, so the same
 * guarantees hold: atomic writes, 0600 from creation, nothing written when
 * anything failed. What differs is only the edge, here:
 *
 * - options are an object, checked by name (an unknown one is refused, not ignored);
 * - nothing is printed: log entries go to the caller's `onLog`, if any;
 * - every rejection is a ToolError, and its `cause` chain holds only our
 *   errors: a foreign error (the SDK's, Node's) is replaced by its name, code
 *   and stack frames, since its message may quote a value and a caller's
 *   `console.error(err)` prints causes.
 *
 * The shipped types are src/library-types.d.ts; the `satisfies` below keeps
 * this file and them in step. The AWS SDK is loaded on the first call that
 * needs it (commands/common.ts), never by importing this module.
 */
import { resolve } from 'node:path';
import type * as Api from './library-types.js';
import { ExitCode, ToolError, UsageError } from './errors.js';
import { Logger, type Fields, type LogLevel } from './log.js';
import { runPipeline, type PipelineOptions } from './pipeline.js';
import { storeOpener, type StoreArgs } from './commands/common.js';
import { failedHooksError } from './commands/write.js';
import { wouldChange } from './commands/plan.js';
import { staleSince } from './files/lastgood.js';
import { describeInternalError } from './redact.js';
import { own } from './records.js';
import type { OutputDiff } from './diff.js';

export { ExitCode, ToolError };
export type * from './library-types.js';

/** The CLI's defaults for the same options (src/cli.ts). */
const DEFAULT_MANIFEST = 'materialize.yaml';
const DEFAULT_TIMEOUT_S = 30;
const DEFAULT_CONCURRENCY = 4;

export async function materialize(options?: Api.MaterializeOptions): Promise<Api.MaterializeResult> {
  return guarded(async () => {
    const run = await runPipeline('write', pipelineOptions('materialize', options));
    const hookFailure = failedHooksError(run.outcome);
    if (hookFailure) throw hookFailure;
    const outputs = run.outcome.map(({ path, format, changed, reasons, keys, mode, owner, group, hook }): Api.WrittenOutput => ({
      path,
      format,
      changed,
      reasons,
      keys,
      mode,
      owner,
      group,
      ...(hook ? { hook } : {}),
    }));
    return { outputs, region: run.region };
  });
}

export async function plan(options?: Api.PlanOptions): Promise<Api.PlanResult> {
  return guarded(async () => {
    const run = await runPipeline('diff', pipelineOptions('plan', options));
    const outputs = run.outcome.map(plannedOutput);
    return { outputs, wouldChange: outputs.filter((o) => o.wouldChange).length, region: run.region };
  });
}

// The shipped declarations describe exactly these values: tsc fails here when they part.
({ materialize, plan, ToolError, ExitCode }) satisfies typeof Api;

type OptionKind = 'string' | 'strings' | 'number' | 'function';

/** Every option by name, with its kind: the one list both the check and the types follow. */
const OPTION_KINDS: Readonly<Record<keyof Api.RunOptions, OptionKind>> = {
  manifest: 'string',
  manifestText: 'string',
  baseDir: 'string',
  region: 'string',
  fallbackRegions: 'strings',
  profile: 'string',
  endpointUrl: 'string',
  roleArn: 'string',
  timeoutSeconds: 'number',
  maxAttempts: 'number',
  concurrency: 'number',
  onLog: 'function',
};

const KIND_CHECKS: Readonly<Record<OptionKind, (value: unknown) => boolean>> = {
  string: (v) => typeof v === 'string',
  strings: (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'),
  number: (v) => typeof v === 'number',
  function: (v) => typeof v === 'function',
};

/**
 * A caller in plain JavaScript gets no compile-time check: a misspelt option
 * would otherwise be ignored and the run go elsewhere (another region, the
 * real AWS instead of an emulator). Option names are quoted, never values.
 */
function checkOptions(fn: string, options: Api.RunOptions | undefined): Api.RunOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new UsageError(`${fn}(): options must be an object`);
  const bad: string[] = [];
  for (const [name, value] of Object.entries(options)) {
    const kind = own(OPTION_KINDS, name);
    if (kind === undefined) bad.push(`unknown option ${JSON.stringify(name)}`);
    else if (value !== undefined && !KIND_CHECKS[kind](value)) bad.push(`option ${name} must be ${kind === 'strings' ? 'an array of strings' : `a ${kind}`}`);
  }
  if (options.manifest !== undefined && options.manifestText !== undefined) bad.push('give manifest (a file) or manifestText, not both');
  if (options.baseDir !== undefined && options.manifestText === undefined) bad.push('baseDir goes with manifestText');
  if (bad.length) throw new UsageError(`${fn}(): ${bad.join('; ')}`, { hint: `the options are ${Object.keys(OPTION_KINDS).join(', ')} (docs/library.md)` });
  return options;
}

/** What the CLI builds from its flags (src/cli.ts), built from the options object. */
function pipelineOptions(fn: string, given: Api.RunOptions | undefined): PipelineOptions {
  const options = checkOptions(fn, given);
  // The environment as it is when the run starts: `${VAR}` in the manifest, and the hooks'.
  const env: NodeJS.ProcessEnv = { ...process.env };
  const log = new CallbackLogger(options.onLog);
  const storeArgs: StoreArgs = {
    timeout: options.timeoutSeconds ?? DEFAULT_TIMEOUT_S,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    jitter: 0,
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.endpointUrl === undefined ? {} : { 'endpoint-url': options.endpointUrl }),
    ...(options.roleArn === undefined ? {} : { 'role-arn': options.roleArn }),
    ...(options.maxAttempts === undefined ? {} : { 'max-attempts': options.maxAttempts }),
  };
  const text = options.manifestText;
  const baseDir = resolve(options.baseDir ?? '.');
  return {
    // Inline text has no file: its name in messages says so, and where its paths are anchored.
    manifest: text === undefined ? (options.manifest ?? DEFAULT_MANIFEST) : resolve(baseDir, '<manifestText>'),
    manifestText: text === undefined ? undefined : { text, baseDir },
    env,
    log,
    openStore: storeOpener(storeArgs, log, env),
    region: options.region,
    fallbackRegions: options.fallbackRegions,
  };
}

/** The CLI's logger at its most verbose (`--log-format json --verbose`), handing each entry to the caller instead of printing it. */
class CallbackLogger extends Logger {
  constructor(private readonly onLog: Api.RunOptions['onLog']) {
    const ignore = (): void => undefined;
    super({ stdout: ignore, stderr: ignore }, 'json', onLog ? 'verbose' : 'quiet');
  }

  protected override emit(_write: (s: string) => void, level: LogLevel, event: string, fields: Fields, message: string): void {
    try {
      this.onLog?.({ level, event, fields, message });
    } catch {
      // Documented: a logger that throws must not turn a good run into a failed one, or stop one midway.
    }
  }
}

function plannedOutput(d: OutputDiff): Api.PlannedOutput {
  const stale = staleSince(d.path);
  return {
    path: d.path,
    format: d.format,
    status: d.status,
    added: d.added,
    removed: d.removed,
    changed: d.changed,
    unchanged: d.unchanged,
    opaque: d.opaque,
    ...(d.formatChangedFrom === undefined ? {} : { formatChangedFrom: d.formatChangedFrom }),
    reasons: d.reasons,
    mode: d.mode,
    hookPending: d.hookPending,
    ...(stale ? { stale } : {}),
    wouldChange: wouldChange(d, stale !== undefined),
  };
}

/** Runs one call; whatever it throws leaves as a ToolError whose causes quote no foreign message. */
async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw publicError(err);
  }
}

function publicError(err: unknown): ToolError {
  if (!(err instanceof ToolError)) {
    return new ToolError('internal', ExitCode.internal, `internal error (a bug; please report it):\n${describeInternalError(err)}`);
  }
  const seen = new Set<ToolError>();
  for (let e: ToolError = err; !seen.has(e);) {
    seen.add(e);
    const cause: unknown = e.cause;
    if (cause instanceof ToolError) {
      e = cause;
      continue;
    }
    if (cause !== undefined) Object.defineProperty(e, 'cause', { value: new ForeignCause(cause), writable: true, configurable: true, enumerable: false });
    break;
  }
  return err;
}

/** Stands in for an error we did not write: its name, code and stack frames (src/redact.ts), not its message. */
class ForeignCause extends Error {
  constructor(err: unknown) {
    const description = describeInternalError(err);
    super(description.split('\n')[0]);
    this.name = 'ForeignCause';
    this.stack = description;
  }
}
