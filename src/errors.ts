/**
 * Typed errors. Each carries a stable exit code, the parameter names or keys
 * involved, a hint that says how to fix the problem, and the original error
 * as `cause`. None of them ever carries a parameter value: messages are built
 * only from names, keys, paths and codes.
 */

export const ExitCode = {
  ok: 0,
  /** `check`: an output would change. */
  changed: 1,
  /** Usage error or invalid manifest. */
  usage: 2,
  /** Required parameters missing. */
  missing: 3,
  /** Access denied (IAM or KMS) or bad credentials. */
  accessDenied: 4,
  /** Store unavailable: throttled, timed out, network failure after retries. */
  unavailable: 5,
  /** An output could not be written, or a value cannot be represented in its format. */
  output: 6,
  /** `exec`: the command exists but cannot be run (as a shell reports it). */
  commandNotExecutable: 126,
  /** `exec`: the command is not found (as a shell reports it). */
  commandNotFound: 127,
  /** A bug. */
  internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ToolErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Structured names, keys and paths for the JSON log's `error` event; never a value. */
  details?: Record<string, unknown>;
}

export class ToolError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  /** A short, stable identifier for logs (`--log-format json`). */
  readonly code: string;
  /** Parameter names, keys, paths or manifest positions involved (see ToolErrorOptions.details). */
  readonly details: Record<string, unknown>;

  constructor(code: string, exitCode: ExitCodeValue, message: string, options: ToolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }
}

/** Bad command line. */
export class UsageError extends ToolError {
  constructor(message: string, options: ToolErrorOptions = {}) {
    super('usage', ExitCode.usage, message, options);
  }
}

/** `exec` could not start its command: 127 when it is not found, 126 when it cannot be run. */
export class CommandNotRunError extends ToolError {
  constructor(command: string, { notFound, reason }: { notFound: boolean; reason: string }, options: ToolErrorOptions = {}) {
    super('command_not_run', notFound ? ExitCode.commandNotFound : ExitCode.commandNotExecutable, `cannot run ${command}: ${reason}`, {
      hint: notFound ? "the command is looked up in ssm-materialize's own PATH, never in one from the values" : undefined,
      ...options,
      details: { command, reason, ...options.details },
    });
  }
}

/** One problem found in a manifest, with its position. */
export interface ManifestProblem {
  file: string;
  /** 1-based; 0 when the position is unknown. */
  line: number;
  column?: number;
  /** Dotted location in the document, e.g. `outputs[0].values.API_KEY`. */
  at?: string;
  message: string;
}

export function formatProblem(p: ManifestProblem): string {
  const pos = p.line > 0 ? `${p.file}:${p.line}${p.column ? `:${p.column}` : ''}` : p.file;
  return `${pos}: ${p.at ? `${p.at}: ` : ''}${p.message}`;
}

/** The manifest is invalid; every problem found is reported at once. */
export class ManifestError extends ToolError {
  readonly problems: ManifestProblem[];
  constructor(problems: ManifestProblem[], options: ToolErrorOptions = {}) {
    const head = problems.length === 1 ? 'invalid manifest' : `invalid manifest (${problems.length} problems)`;
    super('invalid_manifest', ExitCode.usage, [head, ...problems.map((p) => '  ' + formatProblem(p))].join('\n'), {
      ...options,
      details: { problems, ...options.details },
    });
    this.problems = problems;
  }
}

/** Required parameters do not exist (or the version/label does not). */
export class MissingParametersError extends ToolError {
  readonly names: string[];
  constructor(names: string[], options: ToolErrorOptions = {}) {
    const sorted = [...names].sort();
    super(
      'missing_parameters',
      ExitCode.missing,
      `${sorted.length} required parameter${sorted.length === 1 ? '' : 's'} not found:\n${sorted.map((n) => '  ' + n).join('\n')}`,
      {
        hint:
          options.hint ??
          'create them (ssm-materialize put NAME, or aws ssm put-parameter), fix the names or the prefix/region in the manifest, or mark them `optional: true` with a `default`',
        cause: options.cause,
        details: { names: sorted },
      },
    );
    this.names = sorted;
  }
}

/** IAM or KMS said no, or the credentials are invalid. */
export class AccessDeniedError extends ToolError {
  readonly names: string[];
  constructor(message: string, names: string[], options: ToolErrorOptions = {}) {
    super('access_denied', ExitCode.accessDenied, message, { ...options, details: { names, ...options.details } });
    this.names = names;
  }
}

/** Throttling, timeouts, network failures or server faults outlasted the retries. */
export class StoreUnavailableError extends ToolError {
  constructor(message: string, options: ToolErrorOptions = {}) {
    super('store_unavailable', ExitCode.unavailable, message, options);
  }
}

/**
 * Several calls of one store request failed, or one failed while others
 * answered names as missing: every one is kept, so that the failure decision
 * (src/trust/failures.ts) sees the whole set rather than the first to fail.
 * The pipeline always takes it apart; should one escape, it is a bug (70).
 */
export class StoreCallsFailed extends ToolError {
  readonly errors: ToolError[];
  /** Names the calls that did answer reported as missing. */
  readonly missing: string[];
  constructor(errors: ToolError[], missing: string[]) {
    super(
      'store_calls_failed',
      ExitCode.internal,
      `internal: ${errors.length} store calls failed and were not decided on:\n${errors.map((e) => `  ${e.message}`).join('\n')}`,
    );
    this.errors = errors;
    this.missing = missing;
  }
}

/**
 * The store answered a parameter without a `Value` (moto so answers a binary
 * Secrets Manager secret). Never turned into an empty value: refused by name,
 * exit 6 ("a value cannot be represented"), since the parameter exists (not
 * 3), nothing was denied (not 4), and asking again gets the same answer (not
 * 5, which could fall back or keep the last good files).
 */
export class NoValueError extends ToolError {
  readonly names: string[];
  constructor(names: string[]) {
    super(
      'no_value',
      ExitCode.output,
      `the store answered ${names.length === 1 ? names[0] : `${names.length} parameters (${names.join(', ')})`} without a value`,
      {
        hint: 'a Secrets Manager secret stored as binary (SecretBinary) has no text value through Parameter Store: write it with `format: file` when the store gives its bytes, or store it as a SecretString (base64, then `decode: base64`)',
        details: { names },
      },
    );
    this.names = names;
  }
}

/** An output could not be written (permissions, disk, unsafe directory, verify failed). */
export class OutputError extends ToolError {
  readonly path: string;
  constructor(path: string, message: string, options: ToolErrorOptions = {}) {
    super('output_failed', ExitCode.output, `${path}: ${message}`, { ...options, details: { path, ...options.details } });
    this.path = path;
  }
}

/** Values that a format cannot express; names the keys, never the values. */
export class UnrepresentableValueError extends ToolError {
  readonly keys: string[];
  readonly format: string;
  constructor(format: string, keys: string[], reason: string, options: ToolErrorOptions = {}) {
    super('unrepresentable_value', ExitCode.output, `${format}: cannot represent the value of ${keys.map((k) => JSON.stringify(k)).join(', ')}: ${reason}`, {
      hint: options.hint ?? 'use a format that can hold it (json, yaml), or change the value',
      cause: options.cause,
      details: { format, keys },
    });
    this.keys = keys;
    this.format = format;
  }
}

/** One key the gate (src/trust/keys.ts) refused, with where it came from and the opt-in that would allow it. */
export interface RefusedKey {
  output: string;
  key: string;
  parameter: string;
  /** Manifest line of the entry that produced the key. */
  line: number;
  family: string;
  /** `allow_keys` widens an entry past a family; `keys` is the entry's own list, which this key is not in. */
  optIn: 'allow_keys' | 'keys' | 'none';
  /** A `paths:` entry, or a `json: "*"` entry under `values:`. */
  entry: 'path' | 'json';
}

/**
 * A key an untrusted writer chose (a parameter name under `paths:`, a field
 * name under `json: "*"`) is in a family the gate refuses. Each line names
 * the key, the family, the parameter and the manifest line to change.
 */
export class ReservedKeyError extends ToolError {
  readonly refused: ReadonlyArray<{ output: string; key: string; parameter: string; family: string }>;
  constructor(manifestFile: string, refused: readonly RefusedKey[]) {
    super(
      'reserved_key',
      ExitCode.output,
      [
        `${refused.length === 1 ? 'a key' : `${refused.length} keys`} chosen by whoever writes the parameters would be refused by its readers' rules:`,
        ...refused.map((r) => `  ${manifestFile}:${r.line}: ${r.output}: key ${r.key} from parameter ${r.parameter}: ${describeRefusal(r, manifestFile)}`),
      ].join('\n'),
      {
        hint:
          'these names were chosen by whoever can write the parameters, not by the manifest; delete or rename those parameters, or opt in on the entry named above. ' +
          'Since the key gate judges by families (docs/untrusted-keys.md), keys such as NODE_ENV, AWS_REGION or *_URL of package indexes that were accepted before need the opt-in; keys you name under `values:` need none',
        details: { refused: refused.map(({ output, key, parameter, family, line }) => ({ output, key, parameter, family, line })) },
      },
    );
    this.refused = refused.map(({ output, key, parameter, family }) => ({ output, key, parameter, family }));
  }
}

function describeRefusal(r: RefusedKey, manifestFile: string): string {
  const where = `on the ${r.entry === 'path' ? 'path entry' : 'json "*" entry'} at ${manifestFile}:${r.line}`;
  if (r.optIn === 'keys') return `${r.family}; to take it, add ${r.key} to \`keys:\` ${where}`;
  if (r.optIn === 'none') return `${r.family}; no opt-in exists for it: rename the field`;
  return `family "${r.family}"; to allow it, add \`allow_keys: [${r.key}]\` ${where}`;
}

/** Exit code for anything thrown: ToolErrors carry theirs, the rest are bugs. */
export function exitCodeOf(err: unknown): ExitCodeValue {
  return err instanceof ToolError ? err.exitCode : ExitCode.internal;
}
