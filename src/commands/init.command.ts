/** `init` on the command line: its flags and help; the job itself is init.ts, loaded when it runs. */
import { defineCommand } from './definition.js';
import { DEFAULT_MANIFEST } from './options.js';

export const init = defineCommand({
  name: 'init',
  description: 'Write a commented starter manifest; with --from .env, propose parameter names and the put commands',
  options: {
    // -m/--manifest, as every other command names the manifest file (it was -o/--output).
    manifest: { alias: 'm', type: 'string', default: DEFAULT_MANIFEST, describe: 'Where to write the manifest' },
    from: { type: 'string', describe: 'An existing .env file to take the keys from (values are not printed)' },
    prefix: { type: 'string', default: '/myapp/${STAGE}', describe: 'Parameter name prefix' },
    'kms-key': { type: 'string', default: 'alias/MyApplicationKey', describe: 'KMS key for the proposed put commands' },
    force: { type: 'boolean', default: false, describe: 'Replace an existing manifest' },
  },
  deprecated: { output: { use: 'manifest', alias: 'o' }, 'key-id': { use: 'kms-key' } },
  async run(args, { log }) {
    const { initCommand } = await import('./init.js');
    return initCommand(args, log);
  },
});
