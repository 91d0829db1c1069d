/**
 * Errors we did not write may quote what they were given. Node's argument
 * checks embed the argument (`ERR_INVALID_ARG_VALUE` prints up to 128
 * characters of an environment value with a NUL in it), `JSON.parse` puts the
 * start of its input in a SyntaxError, the yaml parser quotes the source
 * line. When such an input is a parameter value, printing the message prints
 * the secret. So a message is shown only when we know who wrote it: our
 * ToolErrors (built from names and keys, never values) and our own
 * `internal: ...` assertions; any other error is shown by its name, its code
 * and its stack frames, never its message.
 */

/** Prefix of the messages of our own assertion errors (`throw new Error('internal: ...')`): built from keys and names only. */
const OWN_ASSERTION = 'internal: ';

/** Whether the message of `err` may be shown: only our own assertions' messages. */
export function isOwnAssertion(err: unknown): err is Error {
  return err instanceof Error && err.constructor === Error && err.message.startsWith(OWN_ASSERTION);
}

/** The error's stable code, when it has one that is an identifier (`ERR_INVALID_ARG_VALUE`, `ENOENT`). */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(code) ? code : undefined;
}

/**
 * A bug report for an error that is not a ToolError: its kind, code and
 * stack frames; the message only for our own assertions.
 */
export function describeInternalError(err: unknown): string {
  if (!(err instanceof Error)) return `a ${typeof err} was thrown (its text is not shown: it may quote a parameter value)`;
  const code = codeOf(err);
  const kind = `${safeName(err)}${code ? ` [${code}]` : ''}`;
  const head = isOwnAssertion(err) ? `${kind}: ${err.message}` : `${kind} (message not shown: it may quote a parameter value)`;
  const frames = (err.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return [head, ...frames].join('\n');
}

/** `SyntaxError`, `TypeError`, `YAMLParseError`: a class name, or `Error` when the name is not one. */
function safeName(err: Error): string {
  return /^[A-Za-z_$][\w$]{0,63}$/.test(err.name) ? err.name : 'Error';
}

/**
 * The message of an error from a library we call (the AWS SDK), when it is
 * safe to quote: not when the library failed to parse a response (the parser's
 * SyntaxError quotes the body, which holds values), and not when Node rejected
 * an argument.
 */
export function quotableMessage(err: { name?: string; message?: string; code?: unknown }): string {
  const code = typeof err.code === 'string' ? err.code : '';
  if (err.name === 'SyntaxError' || code.startsWith('ERR_')) return '(message not shown: it may quote the response)';
  return (err.message ?? '').trim();
}
