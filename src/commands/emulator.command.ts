/**
 * `emulator` on the command line: the flags of the emulator package's own
 * `ssm-emulator` (packages/emulator/src/args.ts), the same names and
 * meanings; emulator.ts loads the package only when this command runs.
 */
import { defineCommand } from './definition.js';

export const emulator = defineCommand({
  name: 'emulator',
  description: 'Start the local Parameter Store emulator on 127.0.0.1 (demos, tests, deploy hooks without AWS)',
  options: {
    port: { type: 'number', default: 4583, describe: 'Port to listen on (0 = any free port)' },
    seed: { type: 'string', describe: 'Seed file (YAML/JSON): parameters, KMS keys, credentials, access rules, faults' },
    tps: { type: 'number', describe: 'Token-bucket limit on Get* calls per second (40 models the default quota)' },
    latency: { type: 'number', describe: 'Added latency per request, in milliseconds' },
    'error-rate': { type: 'number', describe: 'Fraction of requests answered with InternalServerError (0..1)' },
    'drop-rate': { type: 'number', describe: 'Fraction of connections dropped without an answer (0..1)' },
    'any-signature': { type: 'boolean', default: false, describe: 'Accept any SigV4 signature and access key' },
  },
  examples: [['$0 emulator --seed examples/seed.yaml', 'Start it with the example parameters']],
  async run(args, { io }) {
    // Loaded only here, from a file of its own: the product's commands never load emulator code.
    const { emulatorCommand } = await import('./emulator.js');
    return emulatorCommand(
      {
        port: args.port,
        seed: args.seed,
        tps: args.tps,
        latency: args.latency,
        errorRate: args['error-rate'],
        dropRate: args['drop-rate'],
        anySignature: args['any-signature'],
        verbose: args.verbose,
      },
      io,
    );
  },
});
