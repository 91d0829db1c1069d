/**
 * A file for `docker run --env-file` (and `docker create`, `docker service
 * create`): docker/cli `opts/envfile.go` -> `parseKeyValueFile`.
 *
 * Docker does no quoting or escaping at all: each line is read with Go's
 * bufio.Scanner (split on LF, one trailing CR dropped), leading Unicode
 * whitespace of the line is trimmed, empty lines and lines starting with `#`
 * are skipped, and the line is cut at the first `=`. Everything after the `=`
 * is the value, byte for byte: quotes stay part of the value, and leading or
 * trailing spaces of the value are kept (only the start of the line is
 * trimmed, and the line starts with the key).
 *
 * Refused: values containing LF or CR (no way to continue a line), NUL
 * (cannot be passed in an environment), lone surrogates (docker rejects
 * invalid UTF-8), and lines of 64 KiB or more (bufio.Scanner's token limit
 * makes docker fail on them).
 *
 * Note: docker compose's `env_file:` is a different parser (it interprets
 * quotes and `$`); this format is for the docker CLI's `--env-file`.
 */
import { HEADER, Refusals, assertUniqueKeys, isWellFormed, reasons, selfCheck } from './common.js';
import { nullRecord } from '../records.js';
import type { Entries, Format } from './types.js';

/**
 * Docker only requires a key without spaces, `=` or a leading `#`; we also
 * require a letter or `_` first and allow `.` and `-`, which containers (Java
 * system properties, Spring) commonly use.
 */
export const DOCKER_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** bufio.MaxScanTokenSize: a line plus its LF must fit in 64 KiB. */
const MAX_LINE_BYTES = 64 * 1024 - 1;

/** Go's unicode.IsSpace. */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/**
 * Reimplementation of docker's parseKeyValueFile. Returns undefined where
 * docker would fail (empty key, key with whitespace, over-long line, invalid
 * UTF-8). A line without `=` takes its value from the docker client's own
 * environment, which is not in the file, so it is skipped here.
 */
export function parseDockerEnvFile(content: string): Record<string, string> | undefined {
  if (!isWellFormed(content)) return undefined;
  const out = nullRecord<string>();
  const lines = content.split('\n');
  // A final LF ends the last line; it does not start an empty one.
  if (lines[lines.length - 1] === '') lines.pop();
  for (let n = 0; n < lines.length; n++) {
    let raw = lines[n]!;
    if (Buffer.byteLength(raw, 'utf8') > MAX_LINE_BYTES) return undefined;
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (n === 0 && raw.startsWith('\ufeff')) raw = raw.slice(1);
    const line = raw.replace(GO_SPACE, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq === -1 ? line : line.slice(0, eq);
    if (key === '' || /[ \t]/.test(key)) return undefined;
    if (eq === -1) continue;
    out[key] = line.slice(eq + 1);
  }
  return out;
}

export const dockerFormat: Format = {
  name: 'docker',
  kind: 'keys',
  consumer: 'docker run --env-file (docker CLI parseKeyValueFile)',
  nests: false,
  invalidKeys: (keys) => keys.filter((k) => !DOCKER_KEY.test(k)),
  render(entries: Entries) {
    assertUniqueKeys(entries);
    const refusals = new Refusals('docker');
    const lines = [`# ${HEADER}`];
    for (const [key, value] of entries) {
      const line = `${key}=${value}`;
      if (!DOCKER_KEY.test(key)) refusals.add(key, `the key is not a valid docker env-file name (${DOCKER_KEY.source})`);
      else if (!isWellFormed(value)) refusals.add(key, reasons.malformed);
      else if (/[\n\r]/.test(value)) refusals.add(key, 'it contains a line break, which docker --env-file cannot express');
      else if (value.includes('\0')) refusals.add(key, reasons.nul);
      else if (Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES) refusals.add(key, 'the KEY=value line is longer than the 64 KiB docker reads');
      else lines.push(line);
    }
    refusals.throwIfAny('use the systemd or shell format, or mount a json/yaml file instead');
    const content = lines.join('\n') + '\n';
    selfCheck('docker', entries, content, parseDockerEnvFile);
    return content;
  },
  parse: parseDockerEnvFile,
};
