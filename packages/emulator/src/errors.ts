/**
 * The emulator's errors for whoever started it: a bad seed file, a bad
 * option, a port in use. Each carries a stable code, exit code 2 (the
 * caller's input is wrong), a hint, and names only files, lines and
 * parameter names, never a value. ssm-materialize reports them as its own
 * usage errors; the `ssm-emulator` bin prints them itself.
 */

/** One problem found in a seed file, with its position. */
export interface SeedProblem {
  file: string;
  /** 1-based; 0 when the position is unknown. */
  line: number;
  column?: number;
  /** Dotted location in the document, e.g. `parameters[2].name`. */
  at?: string;
  message: string;
}

export function formatProblem(p: SeedProblem): string {
  const pos = p.line > 0 ? `${p.file}:${p.line}${p.column ? `:${p.column}` : ''}` : p.file;
  return `${pos}: ${p.at ? `${p.at}: ` : ''}${p.message}`;
}

export interface EmulatorErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Structured names and positions for a JSON log; never a value. */
  details?: Record<string, unknown>;
}

export class EmulatorError extends Error {
  /** What the caller got wrong: the same exit code as ssm-materialize's usage errors. */
  readonly exitCode = 2;
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: EmulatorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }
}

/** A bad option or a port in use. */
export class EmulatorUsageError extends EmulatorError {
  constructor(message: string, options: EmulatorErrorOptions = {}) {
    super('usage', message, options);
  }
}
