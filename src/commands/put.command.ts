/** `put` on the command line: its flags, help and examples; the job itself is put.ts, loaded when it runs. */
import { UsageError } from '../errors.js';
import { defineCommand } from './definition.js';
import { storeOptions } from './options.js';

export const put = defineCommand({
  name: 'put',
  description: 'Store a parameter; the value is read from stdin or a hidden prompt, never from the command line',
  options: {
    name: { positional: true, type: 'string', demandOption: true, describe: 'Parameter name, e.g. /myapp/prod/db/password' },
    // Declared only so that a value typed here is refused without being echoed.
    value: { positional: true, type: 'string', array: true, describe: 'Not accepted: the value comes from stdin or the prompt' },
    ...storeOptions,
    type: { choices: ['SecureString', 'String', 'StringList'], default: 'SecureString' },
    'kms-key': { type: 'string', describe: 'KMS key for a SecureString (default: alias/aws/ssm)' },
    overwrite: { type: 'boolean', default: false, describe: 'Store a new version of an existing parameter' },
    'keep-trailing-newline': { type: 'boolean', default: false, describe: 'Keep a final newline read from stdin' },
    manifest: { alias: 'm', type: 'string', describe: 'Warn before storing a value that an output of this manifest cannot write (by output and key)' },
  },
  deprecated: { 'key-id': { use: 'kms-key' } },
  examples: [['$0 put /myapp/prod/db/password --kms-key alias/MyApplicationKey < password.txt', '']],
  async run(args, { io, log }) {
    if (!io.stdin) throw new UsageError('put needs standard input');
    const { putCommand } = await import('./put.js');
    return putCommand(args, { stdin: io.stdin, prompt: io.stderr }, log, io.env);
  },
});
