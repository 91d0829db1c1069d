/**
 * The tool's standard output and error, written straight to file
 * descriptors 1 and 2.
 *
 * Why: Node makes process.stdout and process.stderr on first use, and for a
 * pipe (a deploy agent, a CI log, `| tee`) that builds a socket handle and
 * loads the stream and net modules: a visible share of a short command such
 * as `validate` (BENCHMARKS.md, runtime section). A blocking write(2) does
 * the same job. The stream is still made, and takes over, the first time a
 * direct write cannot finish (a descriptor some parent left non-blocking
 * answers EAGAIN; a closed pipe EPIPE): from then on the output behaves
 * exactly as Node's own, errors included. On Linux Node's writes to pipes,
 * files and terminals are synchronous too, so the order of lines is the
 * same either way.
 */
import { writeSync } from 'node:fs';

export type Write = (text: string) => void;

/** A writer for descriptor `fd` (1 or 2; tests give others): direct while that works, then `stream()` (made only then) for the rest of the run. */
export function directWriter(fd: number, stream: () => NodeJS.WritableStream): Write {
  let fallback: NodeJS.WritableStream | undefined;
  return (text) => {
    if (fallback) {
      fallback.write(text);
      return;
    }
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    } catch {
      // Whatever stopped the direct write, the stream gets the rest and reports as it always did.
      fallback = stream();
      fallback.write(bytes.subarray(written));
    }
  };
}

/** Standard output and error as the tool writes them. */
export const stdoutWriter = (): Write => directWriter(1, () => process.stdout);
export const stderrWriter = (): Write => directWriter(2, () => process.stderr);
