/**
 * ssm-materialize as a library, for Node build scripts (docs/library.md):
 *
 *   import { materialize, plan } from 'ssm-materialize';        // ES module
 *   const { materialize, plan } = require('ssm-materialize');   // CommonJS
 *
 * `materialize` does what `ssm-materialize write` does and `plan` what
 * `ssm-materialize plan` does, through the same pipeline, with the same
 * guarantees: every output is written atomically, 0600 (or the manifest's
 * mode) from creation; nothing is written when anything failed; no parameter
 * value appears in a result, an error or a log entry.
 *
 * This file is shipped as the package's types (dist/ssm-materialize.d.mts and
 * .d.cts) and is checked against the implementation by tsc (src/library.ts).
 * It needs no @types/node.
 */

/** Where the manifest comes from and how Parameter Store is reached; shared by `materialize` and `plan`. */
export interface RunOptions {
  /**
   * Path of the manifest file, relative to the working directory; its
   * directory anchors the manifest's relative output and template paths.
   * @default 'materialize.yaml'
   */
  manifest?: string;
  /**
   * The manifest itself, as YAML text, instead of a file. Give `manifest` or
   * `manifestText`, not both. Its relative paths are anchored at `baseDir`.
   */
  manifestText?: string;
  /**
   * With `manifestText`: the directory its relative output and template paths
   * are resolved against.
   * @default the working directory
   */
  baseDir?: string;
  /** Read from this region rather than the manifest's (`--region`); else the manifest's, then AWS_REGION, the profile's, the instance's. */
  region?: string;
  /** Regions to read from, in order, when one is unavailable (`--fallback-region`); else the manifest's `regions:`. */
  fallbackRegions?: string[];
  /** A shared config/credentials profile (`--profile`); else AWS_PROFILE, then the default chain. */
  profile?: string;
  /** Parameter Store's endpoint, e.g. the emulator's (`--endpoint-url`); AWS_ENDPOINT_URL_SSM also works. */
  endpointUrl?: string;
  /** Assume this IAM role first (`--role-arn`). */
  roleArn?: string;
  /**
   * Overall deadline for every API call of the run, in seconds (`--timeout`).
   * @default 30
   */
  timeoutSeconds?: number;
  /** Attempts per API call (`--max-attempts`); unset: 5 on faults, and on throttling as many as the deadline allows. */
  maxAttempts?: number;
  /**
   * API calls in flight at once (`--concurrency`).
   * @default 4
   */
  concurrency?: number;
  /**
   * Told about each step of the run (what `--log-format json --verbose`
   * prints). Entries carry names, keys, counts and paths, never a value. An
   * exception thrown here is ignored.
   * @default none: the library prints nothing
   */
  onLog?: (entry: LogEntry) => void;
}

/** Options of `materialize` (the shared ones, for now; any later one will be optional). */
export type MaterializeOptions = RunOptions;

/** Options of `plan`. */
export type PlanOptions = RunOptions;

/** One log entry: the fields `--log-format json` prints, and the line the text log would print. */
export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  /** A stable name: `start`, `fetch_start`, `api_call`, `fetched`, ... (a degraded run, such as a fallback to another region, logs at level `warn`). */
  event: string;
  fields: Record<string, unknown>;
  message: string;
}

/** Why an output changed: it did not exist, its content, its mode, its owner or group. */
export type ChangeReason = 'new' | 'content' | 'mode' | 'owner';

/** One output as `materialize` left it. */
export interface WrittenOutput {
  /** Absolute path. */
  path: string;
  format: string;
  /** Whether the file was replaced (an unchanged file is not touched). */
  changed: boolean;
  /** Why it was replaced; empty when unchanged. */
  reasons: ChangeReason[];
  /** How many keys (entries) the output holds. */
  keys: number;
  /** Its permission bits, e.g. 0o600. */
  mode: number;
  /** Owner and group as the manifest names them (names or ids); undefined: the process's. */
  owner: string | undefined;
  group: string | undefined;
  /** Its `on_change` hook: ran, ran again after an earlier failure, or failed (the run then rejects). */
  hook?: 'ran' | 'retried' | 'failed';
}

export interface MaterializeResult {
  /** One per output, in manifest order. */
  outputs: WrittenOutput[];
  /** The region every parameter came from (after a fallback, the fallback); undefined when none was needed. */
  region: string | undefined;
}

/** One output as `plan` found it: which keys would be added, removed or changed (names only). */
export interface PlannedOutput {
  /** Absolute path. */
  path: string;
  format: string;
  status: 'new' | 'changed' | 'unchanged';
  added: string[];
  removed: string[];
  changed: string[];
  /** How many keys stay as they are. */
  unchanged: number;
  /** The current file cannot be compared key by key (a template, or edited by hand). */
  opaque: boolean;
  /** The format that wrote the current file, when it is another one (every key is then in `added`). */
  formatChangedFrom?: string;
  reasons: ChangeReason[];
  /** Octal strings, e.g. `0600`; `from` is undefined when the file does not exist. */
  mode: { from: string | undefined; to: string };
  /** An earlier run's `on_change` failed; `materialize` will run it again. */
  hookPending: boolean;
  /** Set when the file was kept by `write --keep-last-good` while the store was down, and not fetched since. */
  stale?: { fetchedAt: string; staleSince: string };
  /** Whether `materialize` has work to do for it: a change, a pending hook, or a stale file. */
  wouldChange: boolean;
}

export interface PlanResult {
  /** One per output, in manifest order. */
  outputs: PlannedOutput[];
  /** How many outputs would change (what `check` exits 1 for). */
  wouldChange: number;
  /** The region every parameter came from; undefined when none was needed. */
  region: string | undefined;
}

/**
 * Write every output of the manifest from Parameter Store, as
 * `ssm-materialize write` does: all outputs are staged and checked first,
 * then replaced by rename, or none is. Rejects with a ToolError.
 */
export declare function materialize(options?: MaterializeOptions): Promise<MaterializeResult>;

/** Fetch and render like `materialize`, write nothing, and say per output what would change (`ssm-materialize plan`). Rejects with a ToolError. */
export declare function plan(options?: PlanOptions): Promise<PlanResult>;

/** The exit code the CLI would end with for each kind of failure; `ToolError.exitCode` is one of these. */
export declare const ExitCode: {
  readonly ok: 0;
  readonly changed: 1;
  /** Bad options, or an invalid manifest. */
  readonly usage: 2;
  /** Required parameters missing. */
  readonly missing: 3;
  /** Access denied (IAM or KMS) or bad credentials. */
  readonly accessDenied: 4;
  /** Store unavailable: throttled, timed out, network failure after retries. */
  readonly unavailable: 5;
  /** An output could not be written, or a value cannot be represented in its format. */
  readonly output: 6;
  readonly commandNotExecutable: 126;
  readonly commandNotFound: 127;
  /** A bug. */
  readonly internal: 70;
};
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ToolErrorOptions {
  hint?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/**
 * Every rejection of `materialize` and `plan`. Its message names parameters,
 * keys and paths, never a value; `cause` is another ToolError or a
 * description of a foreign error without its message (which could quote a
 * value).
 */
export declare class ToolError extends Error {
  constructor(code: string, exitCode: ExitCodeValue, message: string, options?: ToolErrorOptions);
  /** The CLI's exit code for this failure. */
  readonly exitCode: ExitCodeValue;
  /** How to fix it, when known. */
  readonly hint: string | undefined;
  /**
   * A stable identifier: `usage`, `invalid_manifest`, `missing_parameters`,
   * `access_denied`, `store_unavailable`, `output_failed`,
   * `unrepresentable_value`, `reserved_key`, `no_value`, `on_change_failed`,
   * `internal`, ...
   */
  readonly code: string;
  /** Names, keys, paths and manifest positions involved (e.g. `names` of missing parameters); never a value. */
  readonly details: Record<string, unknown>;
}
