/**
 * yargs's "Unknown argument: X" quotes the stray word, and a stray word is
 * often a value typed in the wrong place (a password after a flag that takes
 * none). The message names the word's position instead, never its text.
 */

const UNKNOWN = /^Unknown arguments?: /;

/** `message` unchanged unless it is yargs's unknown-argument message; then the positions (1 = first word after the program name). */
export function unknownArgumentMessage(message: string, argv: readonly string[]): string {
  const match = UNKNOWN.exec(message);
  if (!match) return message;
  const listed = message.slice(match[0].length);
  const positions = argv.flatMap((word, i) => (reported(listed, word) ? [i + 1] : []));
  if (positions.length === 0) return 'an unknown argument (not shown: it may be a value typed by mistake)';
  const where = positions.length === 1 ? `position ${positions[0]}` : `positions ${positions.join(', ')}`;
  const which = positions.length === 1 ? 'unknown argument' : 'unknown arguments';
  return `${which} at ${where} of the command line (not shown: ${positions.length === 1 ? 'it may be a value' : 'they may be values'} typed by mistake)`;
}

/** Whether yargs's comma-separated list names this word: a stray word itself, or an option's name (`--name`, `--name=V`, `--no-name`, `-n`). */
function reported(listed: string, word: string): boolean {
  const name = /^--?([^=]+)/.exec(word)?.[1];
  const names = name === undefined ? [] : [name, name.replace(/^no-/, '')];
  return [word, ...names].some(
    (candidate) => listed === candidate || listed.startsWith(`${candidate}, `) || listed.endsWith(`, ${candidate}`) || listed.includes(`, ${candidate}, `),
  );
}
