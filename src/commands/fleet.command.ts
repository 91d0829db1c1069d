/** `fleet` on the command line: its flags, help and examples; the template itself is fleet.ts, loaded when it runs. */
import { defineCommand } from './definition.js';
import { manifestOption, quotaOption, rolloutOptions } from './options.js';

export const fleet = defineCommand({
  name: 'fleet',
  description: 'Print a CloudFormation template (YAML) that refreshes the tagged hosts when a parameter changes and checks them on a schedule; offline',
  options: {
    ...manifestOption,
    target: { type: 'string', demandOption: true, describe: 'The hosts: tag:KEY=VALUE' },
    hosts: { type: 'number', default: 1, describe: 'Hosts in the fleet (for the predicted refresh time)' },
    schedule: { type: 'string', default: 'rate(1 hour)', describe: 'How often each host runs check: rate(...) or cron(...)' },
    ...quotaOption("The account's GetParameter* quota, calls per second"),
    ...rolloutOptions,
    'calls-per-host': { type: 'number', describe: 'API calls one run makes, as `plan` counts them (default: estimated offline)' },
    'host-manifest': { type: 'string', describe: "The manifest's absolute path on the hosts (default: -m when absolute)" },
    settle: { type: 'number', default: 60, describe: 'Seconds the runbook waits after a change before sending, so a burst ends first' },
    'name-prefix': { type: 'string', default: 'ssm-materialize', describe: 'Prefix of the document names (stack parameters)' },
    'kms-key': { type: 'string', describe: 'Customer KMS key of the SecureStrings, for the instance policy (as in `policy`)' },
    'create-key': { type: 'string', describe: "Create the app's KMS key under this alias (alias/NAME) with the key policy of `policy --key-policy`" },
    'key-admin': { type: 'string', array: true, describe: '--create-key: role ARNs that administer the key without using it (repeatable)' },
    'deny-for': {
      type: 'string',
      array: true,
      describe: "Attach `policy --deny-for`'s explicit deny to these broad role names (repeatable; a stack parameter)",
    },
    'keep-last-good': { type: 'string', describe: 'The write document keeps outputs this young when the store is down (e.g. 24h)' },
    lock: { type: 'string', describe: 'The write document records the versions it wrote in this file on each host (rollback: LockedVersions)' },
    jitter: { type: 'number', default: 0, describe: 'The write document waits a random 0..N seconds first' },
    'state-dir': { type: 'string', describe: 'Where each host keeps its request counters and lock (default /var/lib/ssm-materialize/fleet)' },
  },
  deprecated: { tps: { use: 'quota' } },
  examples: [
    [
      '$0 fleet -m /etc/myapp/materialize.yaml --target tag:App=myapp --hosts 200 > fleet.yaml',
      'Then: aws cloudformation deploy --template-file fleet.yaml --stack-name myapp-fleet --capabilities CAPABILITY_IAM',
    ],
  ],
  async run(args, { io, log }) {
    const { fleetCommand } = await import('./fleet.js');
    return fleetCommand({ ...args, tps: args.quota }, io, log);
  },
});
