/** `exec` on the command line: its flags, help and examples; the job itself is exec.ts, loaded when it runs. */
import { defineCommand } from './definition.js';
import { pipelineFor, pipelineOptions, quotaOption } from './options.js';

export const exec = defineCommand({
  name: 'exec',
  description: 'Run a command with the values in its environment; nothing is written to disk. Usage: exec -m FILE -- CMD [ARGS]',
  options: {
    ...pipelineOptions,
    output: { type: 'string', array: true, describe: 'Only the keys of this output (its path or file name); repeatable' },
    'refresh-signal': {
      type: 'string',
      describe: 'This signal (e.g. SIGHUP) means: read the store again, restart the child only if a value changed; it is then not forwarded',
    },
    'refresh-every': { type: 'string', describe: 'Read the store again about this often (e.g. 15m, with jitter); restart the child only if a value changed' },
    'refresh-notify': { type: 'string', describe: 'When a refresh changed a value, send the child this signal instead of restarting it' },
    hosts: { type: 'number', describe: 'With --refresh-every: hosts polling this manifest alike; warns when their polling takes too much of the quota' },
    ...quotaOption("With --refresh-every: the account's GetParameter* quota, calls per second"),
  },
  deprecated: { tps: { use: 'quota' } },
  examples: [['$0 exec -m materialize.yaml -- node server.js', 'A container entrypoint that keeps secrets off disk']],
  async run(args, context) {
    const [{ execCommand }, { refreshOptions }] = await Promise.all([import('./exec.js'), import('./exec-refresh.js')]);
    return execCommand(pipelineFor(args, context), { output: args.output, command: context.childCommand, refresh: refreshOptions(args) });
  },
});
