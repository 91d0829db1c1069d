/**
 * Output for humans (`text`) and for deploy logs / CloudWatch (`json`, one
 * object per line). Callers pass names, keys, counts and paths only; nothing
 * here ever receives a parameter value.
 */
import { ToolError, exitCodeOf } from './errors.js';
import { describeInternalError } from './redact.js';

export type LogFormat = 'text' | 'json';
export type Verbosity = 'quiet' | 'normal' | 'verbose';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export type Fields = Record<string, unknown>;

export class Logger {
  constructor(
    private readonly io: Io,
    readonly format: LogFormat = 'text',
    readonly verbosity: Verbosity = 'normal',
  ) {}

  /** A result the user asked for (summary, plan): stdout, unless --quiet. */
  result(event: string, fields: Fields, text: string): void {
    if (this.verbosity === 'quiet') return;
    this.emit(this.io.stdout, 'info', event, fields, text);
  }

  /**
   * A step of the run (start, fetched N names in K calls): part of a JSON
   * deploy log unless --quiet; in text mode only with --verbose.
   */
  progress(event: string, fields: Fields, text: string): void {
    if (this.verbosity === 'quiet' || (this.format === 'text' && this.verbosity !== 'verbose')) return;
    this.emit(this.io.stderr, 'info', event, fields, text);
  }

  /** Fine detail for --verbose (each API call and its timing): stderr. */
  detail(event: string, fields: Fields, text: string): void {
    if (this.verbosity !== 'verbose') return;
    this.emit(this.io.stderr, 'debug', event, fields, text);
  }

  /** Something the user should know even when things work: stderr. */
  warn(event: string, fields: Fields, text: string): void {
    if (this.verbosity === 'quiet' && this.format === 'text') return;
    this.emit(this.io.stderr, 'warn', event, fields, `warning: ${text}`);
  }

  /**
   * The run succeeded in a degraded state (read from a fallback region, kept
   * the last good files): stderr, always, --quiet included. `--quiet` is what
   * a cron job or a deploy hook runs with, and that is exactly who must see it.
   */
  degraded(event: string, fields: Fields, text: string): void {
    this.emit(this.io.stderr, 'warn', event, { degraded: true, ...fields }, `warning: ${text}`);
  }

  /**
   * Something failed but the process goes on (a refresh that exec refused to
   * apply): level error, stderr, always, --quiet included; the run itself
   * reports its own end through error().
   */
  failed(event: string, fields: Fields, text: string): void {
    this.emit(this.io.stderr, 'error', event, fields, `error: ${text}`);
  }

  /**
   * A failure: always printed, to stderr. Internal errors get their stack
   * frames, but not their message unless we wrote it (see src/redact.ts).
   */
  error(err: unknown): void {
    if (err instanceof ToolError) {
      const fields: Fields = { code: err.code, exit_code: err.exitCode, message: err.message, ...err.details };
      if (err.hint) fields.hint = err.hint;
      const text = `ssm-materialize: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`;
      this.emit(this.io.stderr, 'error', 'error', fields, text);
      return;
    }
    const stack = describeInternalError(err);
    this.emit(
      this.io.stderr,
      'error',
      'error',
      { code: 'internal', exit_code: exitCodeOf(err), message: stack },
      `ssm-materialize: internal error (a bug; please report it):\n${stack}`,
    );
  }

  /** Every entry passes here; the library's logger (src/library.ts) hands them to its caller instead of a stream. */
  protected emit(write: (s: string) => void, level: LogLevel, event: string, fields: Fields, text: string): void {
    if (this.format === 'json') write(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }) + '\n');
    else write(text.endsWith('\n') ? text : text + '\n');
  }
}
