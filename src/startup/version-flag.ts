/**
 * `ssm-materialize --version` answered before the rest of the tool loads.
 *
 * Why: through yargs, `--version` pays for initializing yargs and every
 * module the command table imports, to print one line. A host's install
 * check and many deploy scripts run it. The text is exactly what yargs
 * prints for it (src/cli.ts: the same package.json field, one newline).
 * Only the argv `--version` alone takes this path: with anything beside it,
 * yargs decides, as before.
 */
import packageJson from '../../package.json' with { type: 'json' };

/** What `--version` prints, when `argv` (without node and the script) is that flag alone; otherwise undefined. */
export function versionOnly(argv: readonly string[]): string | undefined {
  return argv.length === 1 && argv[0] === '--version' ? `${packageJson.version}\n` : undefined;
}
