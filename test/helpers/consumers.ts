/** The real consumers' parsers, used to prove a written file means what was stored. */
import { execFileSync } from 'node:child_process';
import dotenv from 'dotenv';
import { parse as parseYaml } from 'yaml';

export const readDotenv = (content: string): Record<string, string> => dotenv.parse(content);
export const readJson = (content: string): unknown => JSON.parse(content);
export const readYaml = (content: string): unknown => parseYaml(content);

/** Source the file in bash with `set -a` and read back the named variables exactly (NUL-separated). */
export function readShell(file: string, keys: string[]): Record<string, string> {
  const script = 'set -a; . "$1"; set +a; shift; for k in "$@"; do printf "%s\\0" "${!k}"; done';
  const out = execFileSync('bash', ['-c', script, 'bash', file, ...keys], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  const values = out.split('\0').slice(0, keys.length);
  return Object.fromEntries(keys.map((k, i) => [k, values[i] ?? '']));
}
