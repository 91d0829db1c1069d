/** `ssm-emulator`'s options: the same as `ssm-materialize emulator`'s. */
import { parseArgs } from 'node:util';
import type { EmulatorCommandOptions } from './command.js';
import { EmulatorUsageError } from './errors.js';
import { own } from './records.js';

export const USAGE = `Usage: ssm-emulator [options]

Start the local Parameter Store emulator on 127.0.0.1 (demos, tests, deploy hooks without AWS).

Options:
  --port N          Port to listen on (0 = any free port)                      [default: 4583]
  --seed FILE       Seed file (YAML/JSON): parameters, KMS keys, credentials, access rules, faults
  --tps N           Token-bucket limit on Get* calls per second (40 models the default quota)
  --latency MS      Added latency per request, in milliseconds
  --error-rate F    Fraction of requests answered with InternalServerError (0..1)
  --drop-rate F     Fraction of connections dropped without an answer (0..1)
  --any-signature   Accept any SigV4 signature and access key
  --verbose         One line per request on stderr: operation, names, status (never values)
  -h, --help        Show this help
`;

const NUMBERS = { port: 'port', tps: 'tps', latency: 'latency', 'error-rate': 'errorRate', 'drop-rate': 'dropRate' } as const;

/** The options as emulatorCommand takes them; throws EmulatorUsageError for anything else. */
export function parseEmulatorArgs(argv: string[]): EmulatorCommandOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      options: {
        ...Object.fromEntries(Object.keys(NUMBERS).map((k) => [k, { type: 'string' as const }])),
        seed: { type: 'string' },
        'any-signature': { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new EmulatorUsageError((err as Error).message, { hint: 'see ssm-emulator --help', cause: err });
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return 'help';
  const opts: EmulatorCommandOptions = { port: 4583, program: 'ssm-emulator' };
  for (const [flag, key] of Object.entries(NUMBERS)) {
    const text = own(values, flag);
    if (typeof text !== 'string') continue;
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n)) throw new EmulatorUsageError(`--${flag} takes a number, not ${JSON.stringify(text)}`);
    opts[key] = n;
  }
  if (typeof values.seed === 'string') opts.seed = values.seed;
  opts.anySignature = values['any-signature'] === true;
  opts.verbose = values.verbose === true;
  return opts;
}
