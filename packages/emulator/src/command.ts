/**
 * `ssm-emulator` and `ssm-materialize emulator`: start the emulator in the foreground, print how
 * to point a client at it, and on SIGINT/SIGTERM print the counters and stop.
 */
import { EmulatorUsageError } from './errors.js';

export { EmulatorError } from './errors.js';
import { startEmulator, type RunningEmulator } from './index.js';
import { loadSeedFile, resolveSeed } from './seed.js';
import { DEMO_CREDENTIAL, type Faults, type Seed } from './types.js';

export interface EmulatorCommandOptions {
  /** @default 4583 in the CLI; 0 = any free port */
  port?: number | undefined;
  /** Seed file (YAML or JSON). */
  seed?: string | undefined;
  tps?: number | undefined;
  latency?: number | undefined;
  errorRate?: number | undefined;
  dropRate?: number | undefined;
  anySignature?: boolean | undefined;
  /** Log one line per request to stderr: operation, parameter names, status (never values). */
  verbose?: boolean | undefined;
  /** How the banner names the command that started it. @default 'ssm-emulator' */
  program?: string | undefined;
}

export interface CommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** Resolves with exit code 0 once stopped by SIGINT/SIGTERM (or `stop`, for tests). */
export async function emulatorCommand(opts: EmulatorCommandOptions, io: CommandIo, stop?: AbortSignal): Promise<number> {
  const seed: Seed | undefined = opts.seed === undefined ? undefined : loadSeedFile(opts.seed);
  const resolved = resolveSeed(seed, opts.seed);
  const faults: Partial<Faults> = {};
  if (opts.tps !== undefined) faults.tps = opts.tps;
  if (opts.latency !== undefined) faults.latency_ms = opts.latency;
  if (opts.errorRate !== undefined) faults.error_rate = opts.errorRate;
  if (opts.dropRate !== undefined) faults.drop_rate = opts.dropRate;

  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator({
      port: opts.port ?? 0,
      ...(seed ? { seed } : {}),
      faults,
      ...(opts.anySignature ? { signature: 'any' as const } : {}),
      ...(opts.verbose ? { log: (line: string) => io.stderr(`emulator: ${line}\n`) } : {}),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new EmulatorUsageError(`port ${opts.port} is already in use`, { hint: 'pick another with --port N, or --port 0 for any free port', cause: err });
    if (err instanceof RangeError) throw new EmulatorUsageError(err.message, { cause: err });
    throw err;
  }

  const program = opts.program ?? 'ssm-emulator';
  const credential = resolved.credentials[0];
  const signature = opts.anySignature ? 'any' : resolved.signature;
  io.stdout(
    [
      `${program} listening on ${emulator.url}`,
      `${resolved.parameters.length} parameter${resolved.parameters.length === 1 ? '' : 's'}, region ${resolved.region}, account ${resolved.account}, signatures: ${signature === 'any' ? 'any accepted' : 'verified'}`,
      'Point a client at it with:',
      `  export AWS_ENDPOINT_URL_SSM=${emulator.url}`,
      // Only with roles: AssumeRole (--role-arn) goes to the STS endpoint.
      ...(resolved.roles.length > 0 ? [`  export AWS_ENDPOINT_URL_STS=${emulator.url}   # for --role-arn ${resolved.roles[0]?.arn ?? ''}`] : []),
      `  export AWS_ACCESS_KEY_ID=${credential?.access_key_id ?? DEMO_CREDENTIAL.access_key_id}`,
      `  export AWS_SECRET_ACCESS_KEY=${credential?.secret_access_key ?? DEMO_CREDENTIAL.secret_access_key}`,
      `  export AWS_REGION=${resolved.region}`,
      // With an instance role: run a deploy hook as on EC2, no keys or region in its environment.
      ...(resolved.instance_role
        ? [
            'Or, as an EC2 instance with the role ' + resolved.instance_role + ' (no keys, no region):',
            `  export AWS_ENDPOINT_URL_SSM=${emulator.url} AWS_EC2_METADATA_SERVICE_ENDPOINT=${emulator.url}/`,
          ]
        : []),
      `Counters: curl ${emulator.url}/_emulator/counters   Stop: Ctrl+C`,
      '',
    ].join('\n'),
  );

  await new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      stop?.removeEventListener('abort', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    stop?.addEventListener('abort', done, { once: true });
  });
  io.stdout(`${program} stopping; counters: ${JSON.stringify(emulator.counters())}\n`);
  await emulator.close();
  return 0;
}
