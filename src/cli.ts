/**
 * The command line: the only module that knows argv and exit codes. yargs
 * parses; `runCommand` dispatches to src/commands/ (the store-backed ones
 * run src/pipeline.ts). `main` returns the exit code instead of exiting, and
 * takes its output, environment and, optionally, the store factory from
 * `io`, so every command is testable in-process as well as through the
 * built binary.
 */
import yargs, { type Argv } from 'yargs';
import { ExitCode, UsageError, exitCodeOf } from './errors.js';
import { Logger, type Io, type LogFormat, type Verbosity } from './log.js';
import { DEFAULT_HEADROOM, DEFAULT_HOOK_TIMEOUT_S, DEFAULT_RUN_SECONDS, DEFAULT_TPS } from './budget.js';
import { formatNames } from './formats/index.js';
import { storeOpener, type StoreArgs, type StoreFactory } from './commands/common.js';
import type { PipelineOptions } from './pipeline.js';
import type { BudgetArgs } from './commands/plan.js';
import type { FleetArgs } from './commands/fleet.js';
import type { PutArgs, PutIo } from './commands/put.js';
import packageJson from '../package.json' with { type: 'json' };

export interface MainIo extends Io {
  env: NodeJS.ProcessEnv;
  stdin?: PutIo['stdin'];
  /** Opens the store for write/plan/check/exec; default: the AWS store (src/ssm.ts). Tests inject an in-memory one. */
  openStore?: StoreFactory;
}

/** The one place the version lives is package.json; the bundles carry it from there. */
export const VERSION: string = packageJson.version;
const DEFAULT_MANIFEST = 'materialize.yaml';

/** Options every command has, plus those of the commands dispatched below (yargs has checked their types). */
interface ParsedArgs extends Partial<StoreArgs> {
  _: Array<string | number>;
  quiet?: boolean;
  verbose?: boolean;
  'log-format'?: string;
  manifest: string;
  [option: string]: unknown;
}

export async function main(argv: string[], io: MainIo): Promise<number> {
  let log = new Logger(io);
  // `exec -m F -- CMD ARGS`: everything after `--` is the child's, untouched by yargs.
  const dashDash = argv.indexOf('--');
  const childCommand = dashDash >= 0 ? argv.slice(dashDash + 1) : [];
  const ownArgv = dashDash >= 0 ? argv.slice(0, dashDash) : argv;
  try {
    // With a parse callback, yargs hands --help and --version text over instead of printing it to the console.
    let shown = '';
    const args = (await parser(ownArgv).parseAsync(ownArgv, {}, (_err, _argv, output) => {
      shown = output;
    })) as unknown as ParsedArgs;
    if (shown) {
      io.stdout(shown.endsWith('\n') ? shown : `${shown}\n`);
      return ExitCode.ok;
    }
    const command = String(args._[0] ?? 'write');
    // Before the command runs: it must not act (init writes a file) and only then be told its argv was wrong.
    if (dashDash >= 0 && command !== 'exec') throw new UsageError('`--` and the arguments after it are only for `exec` (exec -m FILE -- CMD ARGS)');
    log = loggerFor(args, io);
    return await runCommand(command, args, { io, log, childCommand });
  } catch (err) {
    log.error(err);
    return exitCodeOf(err);
  }
}

interface CommandContext {
  io: MainIo;
  log: Logger;
  childCommand: string[];
}

/**
 * Each command's module is imported when it runs: start-up then compiles and
 * runs only what `--version`, `--help` and the chosen command need (Node
 * built-ins such as child_process and crypto included).
 */
async function runCommand(command: string, args: ParsedArgs, { io, log, childCommand }: CommandContext): Promise<number> {
  const pipeline = (): PipelineOptions => ({
    manifest: args.manifest,
    env: io.env,
    log,
    openStore: storeOpener(args as unknown as StoreArgs, log, io.env, io.openStore),
    region: args.region,
    fallbackRegions: args['fallback-region'] as string[] | undefined,
    locked: args.locked as string | undefined,
  });
  switch (command) {
    case 'write': {
      const { writeCommand } = await import('./commands/write.js');
      return writeCommand(pipeline(), { lock: args.lock as string | undefined, keepLastGood: args['keep-last-good'] as string | undefined });
    }
    case 'plan':
    case 'check': {
      const { planCommand } = await import('./commands/plan.js');
      return planCommand(pipeline(), command, command === 'plan' ? (args as unknown as BudgetArgs) : undefined);
    }
    case 'exec': {
      const { execCommand } = await import('./commands/exec.js');
      const { refreshOptions } = await import('./exec-refresh.js');
      return execCommand(pipeline(), { output: args.output as string[] | undefined, command: childCommand, refresh: refreshOptions(args) });
    }
    case 'policy':
      return policyCommand(args, io, log);
    case 'fleet': {
      const { fleetCommand } = await import('./commands/fleet.js');
      return fleetCommand(args as unknown as FleetArgs, io, log);
    }
    case 'put': {
      if (!io.stdin) throw new UsageError('put needs standard input');
      const { putCommand } = await import('./commands/put.js');
      return putCommand(args as unknown as PutArgs, { stdin: io.stdin, prompt: io.stderr }, log, io.env);
    }
    case 'validate':
      return validateCommand(args, io, log);
    case 'init': {
      const { initCommand } = await import('./commands/init.js');
      return initCommand(args as never, log);
    }
    case 'emulator': {
      // Loaded only here, from a file of its own: the product's commands never load emulator code.
      const { emulatorCommand } = await import('./commands/emulator.js');
      return emulatorCommand(
        {
          port: args.port as number,
          seed: args.seed as string | undefined,
          tps: args.tps as number | undefined,
          latency: args.latency as number | undefined,
          errorRate: args['error-rate'] as number | undefined,
          dropRate: args['drop-rate'] as number | undefined,
          anySignature: args['any-signature'] as boolean,
          verbose: args.verbose,
        },
        io,
      );
    }
    default:
      throw new UsageError(`unknown command ${command} (see --help)`);
  }
}

async function policyCommand(args: ParsedArgs, io: MainIo, log: Logger): Promise<number> {
  const [{ loadManifest }, { buildPolicyForRegions, policyWarnings }, { firstRegion, regionsMayRead }] = await Promise.all([
    import('./manifest.js'),
    import('./commands/policy.js'),
    import('./regions.js'),
  ]);
  const manifest = loadManifest(args.manifest, io.env);
  const region = firstRegion(manifest, args.region);
  if (!region) throw new UsageError('policy needs --region (or `region:` in the manifest)');
  const options = { account: String(args.account), region, kmsKey: args['kms-key'] as string | undefined, partition: args.partition as string };
  // Every region the manifest may fall back to is granted too.
  const regions = regionsMayRead(manifest, region, args['fallback-region'] as string[] | undefined);
  if (args['key-policy'] || args['deny-for'] !== undefined) {
    const { buildKeyPolicy, buildDenyPolicy } = await import('./commands/key-policy.js');
    if (args['key-policy'] && args['deny-for'] !== undefined) throw new UsageError('--key-policy and --deny-for print two different policies: one at a time');
    buildPolicyForRegions(manifest, options, regions); // the same account/region checks as the read policy
    const extra = args['key-policy']
      ? buildKeyPolicy(manifest, { ...options, regions, users: (args['instance-role'] as string[] | undefined) ?? [], admins: (args['key-admin'] as string[] | undefined) ?? [] })
      : buildDenyPolicy(manifest, { ...options, regions });
    if (args['deny-for'] !== undefined) {
      log.warn('policy_note', { role: args['deny-for'] }, `attach it to ${String(args['deny-for'])}: aws iam put-role-policy --role-name ${String(args['deny-for'])} --policy-name deny-app-parameters --policy-document file://deny.json`);
    }
    io.stdout(JSON.stringify(extra, null, 2) + '\n');
    return ExitCode.ok;
  }
  const policy = buildPolicyForRegions(manifest, options, regions);
  for (const w of policyWarnings(manifest, options)) log.warn('policy_warning', { message: w }, w);
  io.stdout(JSON.stringify(policy, null, 2) + '\n');
  return ExitCode.ok;
}

async function validateCommand(args: ParsedArgs, io: MainIo, log: Logger): Promise<number> {
  const [{ loadManifest }, { checkTemplates }] = await Promise.all([import('./manifest.js'), import('./template-files.js')]);
  const manifest = loadManifest(args.manifest, io.env);
  checkTemplates(manifest);
  const values = manifest.outputs.reduce((n, o) => n + o.values.length, 0);
  const paths = manifest.outputs.reduce((n, o) => n + o.paths.length, 0);
  log.result(
    'manifest_valid',
    { manifest: manifest.file, outputs: manifest.outputs.length, values, paths },
    `${manifest.file}: valid (${manifest.outputs.length} output${manifest.outputs.length === 1 ? '' : 's'}, ${values} named values, ${paths} paths)`,
  );
  return ExitCode.ok;
}

/**
 * The options and commands, for parsing and --help only. Longer than most
 * functions here because it is one declarative table; handlers are in
 * `runCommand`.
 */
function parser(argv: string[]) {
  const y = yargs(argv);
  skipHelpCache(y);
  return y
    .scriptName('ssm-materialize')
    .usage(
      [
        'ssm-materialize: write configuration and secrets from AWS SSM Parameter Store into local files,',
        'atomically and with restricted permissions, at deploy time.',
        '',
        'Usage: ssm-materialize [command] [options]   (the default command is `write`)',
      ].join('\n'),
    )
    .version(VERSION)
    .strict()
    .exitProcess(false)
    .showHelpOnFail(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new UsageError(`${msg} (see --help)`);
    })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Print only errors, and the warnings of a degraded run (fallback region, last good files kept)' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'Also print API calls, counts and timings (never values)' })
    .option('log-format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'text for people; json: one object per line, for deploy logs' })
    .command(
      ['write', '$0'],
      'Fetch every parameter the manifest names and write the outputs atomically (default command)',
      (y) =>
        runOptions(storeOptions(manifestOption(y)))
          .option('lock', { type: 'string', describe: 'After writing, record the version of every parameter used in this file (no values)' })
          .option('keep-last-good', { type: 'string', describe: 'When the store is unavailable, keep outputs last fetched within this age (e.g. 24h), with a warning' })
          .example('$0 write -m /var/www/app/materialize.yaml', 'The CodeDeploy AfterInstall step'),
    )
    .command(
      'plan',
      'Fetch and render, write nothing; list per output the keys added, removed and changed (never values), and the call budget',
      (y) =>
        runOptions(storeOptions(manifestOption(y)))
          .option('hosts', { alias: 'fleet', type: 'number', default: 1, describe: 'Call budget: hosts running this manifest (--fleet is the old name)' })
          .option('tps', { type: 'number', default: DEFAULT_TPS, describe: "Call budget: the account's GetParameter* quota, calls per second" })
          .option('every', { type: 'string', describe: 'Call budget: each host also runs it this often (check from cron, a refresh timer), e.g. 5m' })
          .option('hook-timeout', { type: 'number', default: DEFAULT_HOOK_TIMEOUT_S, describe: "Call budget: the deploy hook's timeout, in seconds" })
          .options(rolloutFlags)
          .example('$0 plan -m materialize.yaml --hosts 200 --every 5m', 'Does a 200-host deploy fit the quota, next to a 5-minute refresh?'),
    )
    .command(
      'check',
      'Like plan; exit 0 when every output is up to date, 1 when one would change (drift alarms)',
      (y) => runOptions(storeOptions(manifestOption(y))),
    )
    .command(
      'exec',
      'Run a command with the values in its environment; nothing is written to disk. Usage: exec -m FILE -- CMD [ARGS]',
      (y) =>
        runOptions(storeOptions(manifestOption(y)))
          .option('output', { type: 'string', array: true, describe: 'Only the keys of this output (its path or file name); repeatable' })
          .option('refresh-signal', { type: 'string', describe: 'This signal (e.g. SIGHUP) means: read the store again, restart the child only if a value changed; it is then not forwarded' })
          .option('refresh-every', { type: 'string', describe: 'Read the store again about this often (e.g. 15m, with jitter); restart the child only if a value changed' })
          .option('refresh-notify', { type: 'string', describe: 'When a refresh changed a value, send the child this signal instead of restarting it' })
          .option('hosts', { type: 'number', describe: 'With --refresh-every: hosts polling this manifest alike; warns when their polling takes too much of the quota' })
          .option('tps', { type: 'number', default: DEFAULT_TPS, describe: "With --refresh-every: the account's GetParameter* quota, calls per second" })
          .example('$0 exec -m materialize.yaml -- node server.js', 'A container entrypoint that keeps secrets off disk'),
    )
    .command(
      'policy',
      'Print the least-privilege IAM policy (JSON) that lets a role read what the manifest names',
      (y) =>
        manifestOption(y)
          .option('account', { type: 'string', demandOption: true, describe: 'AWS account id (12 digits)' })
          .option('region', { type: 'string', describe: 'Region (else the manifest\'s region)' })
          .option('kms-key', { type: 'string', describe: 'Customer KMS key the SecureStrings use: key id, key ARN, alias ARN or alias/NAME' })
          .option('partition', { type: 'string', default: 'aws', describe: 'aws, aws-cn or aws-us-gov' })
          .option('fallback-region', { type: 'string', array: true, describe: 'Also grant reads in these regions (every region of the manifest\'s regions: is always granted)' })
          .option('key-policy', { type: 'boolean', default: false, describe: "Print the KMS key policy instead: admins manage, the instance role decrypts only through Parameter Store, for the manifest's parameters" })
          .option('instance-role', { type: 'string', array: true, describe: '--key-policy: the role ARN that decrypts (repeatable)' })
          .option('key-admin', { type: 'string', array: true, describe: '--key-policy: role ARNs that administer the key without using it (repeatable)' })
          .option('deny-for', { type: 'string', describe: "Print an explicit-deny policy for this broad role (e.g. PowerUserAccess): no reading the manifest's parameters, no use of --kms-key" }),
    )
    .command(
      'fleet',
      'Print a CloudFormation template (YAML) that refreshes the tagged hosts when a parameter changes and checks them on a schedule; offline',
      (y) =>
        manifestOption(y)
          .option('target', { type: 'string', demandOption: true, describe: 'The hosts: tag:KEY=VALUE' })
          .option('hosts', { type: 'number', default: 1, describe: 'Hosts in the fleet (for the predicted refresh time)' })
          .option('schedule', { type: 'string', default: 'rate(1 hour)', describe: 'How often each host runs check: rate(...) or cron(...)' })
          .option('tps', { type: 'number', default: DEFAULT_TPS, describe: "The account's GetParameter* quota, calls per second" })
          .options(rolloutFlags)
          .option('calls-per-host', { type: 'number', describe: 'API calls one run makes, as `plan` counts them (default: estimated offline)' })
          .option('host-manifest', { type: 'string', describe: "The manifest's absolute path on the hosts (default: -m when absolute)" })
          .option('settle', { type: 'number', default: 60, describe: 'Seconds the runbook waits after a change before sending, so a burst ends first' })
          .option('name-prefix', { type: 'string', default: 'ssm-materialize', describe: 'Prefix of the document names (stack parameters)' })
          .option('kms-key', { type: 'string', describe: 'Customer KMS key of the SecureStrings, for the instance policy (as in `policy`)' })
          .option('create-key', { type: 'string', describe: 'Create the app\'s KMS key under this alias (alias/NAME) with the key policy of `policy --key-policy`' })
          .option('key-admin', { type: 'string', array: true, describe: '--create-key: role ARNs that administer the key without using it (repeatable)' })
          .option('deny-for', { type: 'string', array: true, describe: "Attach `policy --deny-for`'s explicit deny to these broad role names (repeatable; a stack parameter)" })
          .option('keep-last-good', { type: 'string', describe: 'The write document keeps outputs this young when the store is down (e.g. 24h)' })
          .option('lock', { type: 'string', describe: 'The write document records the versions it wrote in this file on each host (rollback: LockedVersions)' })
          .option('jitter', { type: 'number', default: 0, describe: 'The write document waits a random 0..N seconds first' })
          .option('state-dir', { type: 'string', describe: 'Where each host keeps its request counters and lock (default /var/lib/ssm-materialize/fleet)' })
          .example('$0 fleet -m /etc/myapp/materialize.yaml --target tag:App=myapp --hosts 200 > fleet.yaml', 'Then: aws cloudformation deploy --template-file fleet.yaml --stack-name myapp-fleet --capabilities CAPABILITY_IAM'),
    )
    .command(
      'put <name> [value..]',
      'Store a parameter; the value is read from stdin or a hidden prompt, never from the command line',
      (y) =>
        storeOptions(y)
          .positional('name', { type: 'string', demandOption: true, describe: 'Parameter name, e.g. /myapp/prod/db/password' })
          // Declared only so that a value typed here is refused without being echoed (yargs quotes unknown arguments).
          .positional('value', { type: 'string', array: true, hidden: true, describe: 'Not accepted: the value comes from stdin or the prompt' })
          .option('type', { choices: ['SecureString', 'String', 'StringList'] as const, default: 'SecureString' as const })
          .option('key-id', { type: 'string', describe: 'KMS key for a SecureString (default: alias/aws/ssm)' })
          .option('overwrite', { type: 'boolean', default: false, describe: 'Store a new version of an existing parameter' })
          .option('keep-trailing-newline', { type: 'boolean', default: false, describe: 'Keep a final newline read from stdin' })
          .option('manifest', { alias: 'm', type: 'string', describe: 'Warn before storing a value that an output of this manifest cannot write (by output and key)' })
          .example('$0 put /myapp/prod/db/password --key-id alias/MyApplicationKey < password.txt', ''),
    )
    .command(
      'validate',
      'Check the manifest offline: syntax, names, formats, environment variables',
      (y) => manifestOption(y),
    )
    .command(
      'init',
      'Write a commented starter manifest; with --from .env, propose parameter names and the put commands',
      (y) =>
        y
          .option('output', { alias: 'o', type: 'string', default: DEFAULT_MANIFEST, describe: 'Where to write the manifest' })
          .option('from', { type: 'string', describe: 'An existing .env file to take the keys from (values are not printed)' })
          .option('prefix', { type: 'string', default: '/myapp/${STAGE}', describe: 'Parameter name prefix' })
          .option('key-id', { type: 'string', default: 'alias/MyApplicationKey', describe: 'KMS key for the proposed put commands' })
          .option('force', { type: 'boolean', default: false, describe: 'Replace an existing manifest' }),
    )
    .command(
      'emulator',
      'Start the local Parameter Store emulator on 127.0.0.1 (demos, tests, deploy hooks without AWS)',
      (y) =>
        y
          .option('port', { type: 'number', default: 4583, describe: 'Port to listen on (0 = any free port)' })
          .option('seed', { type: 'string', describe: 'Seed file (YAML/JSON): parameters, KMS keys, credentials, access rules, faults' })
          .option('tps', { type: 'number', describe: 'Token-bucket limit on Get* calls per second (40 models the default quota)' })
          .option('latency', { type: 'number', describe: 'Added latency per request, in milliseconds' })
          .option('error-rate', { type: 'number', describe: 'Fraction of requests answered with InternalServerError (0..1)' })
          .option('drop-rate', { type: 'number', describe: 'Fraction of connections dropped without an answer (0..1)' })
          .option('any-signature', { type: 'boolean', default: false, describe: 'Accept any SigV4 signature and access key' })
          .example('$0 emulator --seed examples/seed.yaml', 'Start it with the example parameters'),
    )
    .epilogue(
      [
        `Formats: ${formatNames.join(', ')}.`,
        'Exit codes: 0 ok | 1 check: would change | 2 usage or invalid manifest | 3 parameters missing |',
        '4 access denied or bad credentials | 5 store unavailable | 6 output not writable or value not representable | 70 bug.',
        'Docs: README.md; the emulator: packages/emulator/README.md.',
      ].join('\n'),
    )
    .help()
    .alias('help', 'h');
}

/**
 * After parsing a command given by name, yargs renders the whole help text
 * in advance, in case the command's handler fails and help is to be shown
 * (yargs 18, lib/command.js: cacheHelpMessage). Our handlers are empty
 * (runCommand dispatches) and help is never shown on a failure
 * (showHelpOnFail(false)), but that rendering, which measures the width of
 * every help line, cost tens of milliseconds of every `write`. `--help`
 * itself renders as before. yargs is pinned; should the internal method
 * move, this does nothing and only the time comes back.
 */
function skipHelpCache(y: Argv): void {
  type Usage = { cacheHelpMessage?: () => void };
  const internals = (y as unknown as { getInternalMethods?: () => { getUsageInstance?: () => Usage } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

/** How a fleet refresh is sized (budget.ts `rollout`): `plan --hosts` prints it, `fleet` writes it into the template. */
const rolloutFlags = {
  headroom: { type: 'number', default: DEFAULT_HEADROOM, describe: "Share of the quota left to the app's own calls (0..1)" },
  'run-seconds': { type: 'number', default: DEFAULT_RUN_SECONDS, describe: "The shortest time one host's run takes, seconds" },
} as const;

function manifestOption<T>(y: Argv<T>) {
  return y.option('manifest', { alias: 'm', type: 'string', default: DEFAULT_MANIFEST, describe: 'Manifest file (YAML or JSON)' });
}

/** Options of the commands that run the pipeline: which versions, which regions. */
function runOptions<T>(y: Argv<T>) {
  return y
    .option('locked', { type: 'string', describe: 'Fetch exactly the parameter versions recorded by `write --lock FILE`' })
    .option('fallback-region', { type: 'string', array: true, describe: 'When the region is unavailable, read everything from this one (repeatable; else the manifest\'s regions:)' });
}

function storeOptions<T>(y: Argv<T>): Argv<T & StoreArgs> {
  return y
    .option('region', { type: 'string', describe: 'AWS region (else the manifest, then AWS_REGION / the profile)' })
    .option('profile', { type: 'string', describe: 'Shared config/credentials profile' })
    .option('endpoint-url', { type: 'string', describe: 'SSM endpoint, e.g. the emulator (AWS_ENDPOINT_URL_SSM also works)' })
    .option('role-arn', { type: 'string', describe: 'Assume this IAM role first' })
    .option('timeout', { type: 'number', default: 30, describe: 'Overall deadline for all API calls, in seconds' })
    .option('max-attempts', { type: 'number', describe: 'Attempts per API call (default: 5 on faults; on throttling, until --timeout)' })
    .option('concurrency', { type: 'number', default: 4, describe: 'API calls in flight at once' })
    .option('jitter', { type: 'number', default: 0, describe: 'Wait a random 0..N seconds before the first call (spreads a fleet)' });
}

function loggerFor(args: { quiet?: boolean; verbose?: boolean; 'log-format'?: string }, io: Io): Logger {
  const verbosity: Verbosity = args.quiet ? 'quiet' : args.verbose ? 'verbose' : 'normal';
  return new Logger(io, (args['log-format'] as LogFormat | undefined) ?? 'text', verbosity);
}
