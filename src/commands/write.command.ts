/** `write` on the command line: its flags, help and examples; the job itself is write.ts, loaded when it runs. */
import { defineCommand } from './definition.js';
import { pipelineFor, pipelineOptions } from './options.js';

export const write = defineCommand({
  name: 'write',
  aliases: ['$0'],
  description: 'Fetch every parameter the manifest names and write the outputs atomically (default command)',
  options: {
    ...pipelineOptions,
    lock: { type: 'string', describe: 'After writing, record the version of every parameter used in this file (no values)' },
    'keep-last-good': { type: 'string', describe: 'When the store is unavailable, keep outputs last fetched within this age (e.g. 24h), with a warning' },
  },
  examples: [['$0 write -m /var/www/app/materialize.yaml', 'The CodeDeploy AfterInstall step']],
  async run(args, context) {
    const { writeCommand } = await import('./write.js');
    return writeCommand(pipelineFor(args, context), { lock: args.lock, keepLastGood: args['keep-last-good'] });
  },
});
