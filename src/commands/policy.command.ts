/**
 * `policy` on the command line: its flags and the handler that prints the
 * read policy, the KMS key policy or the explicit deny (policy.ts and
 * key-policy.ts build them, loaded when it runs).
 */
import { ExitCode, UsageError } from '../errors.js';
import { defineCommand } from './definition.js';
import { manifestOption } from './options.js';

export const policy = defineCommand({
  name: 'policy',
  description: 'Print the least-privilege IAM policy (JSON) that lets a role read what the manifest names',
  options: {
    ...manifestOption,
    account: { type: 'string', demandOption: true, describe: 'AWS account id (12 digits)' },
    region: { type: 'string', describe: "Region (else the manifest's region)" },
    'kms-key': { type: 'string', describe: 'Customer KMS key the SecureStrings use: key id, key ARN, alias ARN or alias/NAME' },
    partition: { type: 'string', default: 'aws', describe: 'aws, aws-cn or aws-us-gov' },
    'fallback-region': {
      type: 'string',
      array: true,
      describe: "Also grant reads in these regions (every region of the manifest's regions: is always granted)",
    },
    'key-policy': {
      type: 'boolean',
      default: false,
      describe: "Print the KMS key policy instead: admins manage, the instance role decrypts only through Parameter Store, for the manifest's parameters",
    },
    'instance-role': { type: 'string', array: true, describe: '--key-policy: the role ARN that decrypts (repeatable)' },
    'key-admin': { type: 'string', array: true, describe: '--key-policy: role ARNs that administer the key without using it (repeatable)' },
    'deny-for': {
      type: 'string',
      describe: "Print an explicit-deny policy for this broad role (e.g. PowerUserAccess): no reading the manifest's parameters, no use of --kms-key",
    },
  },
  async run(args, { io, log }) {
    const [{ loadManifest }, { buildPolicyForRegions, policyWarnings }, { firstRegion, regionsMayRead }] = await Promise.all([
      import('../manifest.js'),
      import('../iam/policy.js'),
      import('../regions.js'),
    ]);
    const manifest = loadManifest(args.manifest, io.env);
    const region = firstRegion(manifest, args.region);
    if (!region) throw new UsageError('policy needs --region (or `region:` in the manifest)');
    const options = { account: String(args.account), region, kmsKey: args['kms-key'], partition: args.partition };
    // Every region the manifest may fall back to is granted too.
    const regions = regionsMayRead(manifest, region, args['fallback-region']);
    const denyFor = args['deny-for'];
    if (args['key-policy'] || denyFor !== undefined) {
      const { buildKeyPolicy, buildDenyPolicy } = await import('../iam/key-policy.js');
      if (args['key-policy'] && denyFor !== undefined) throw new UsageError('--key-policy and --deny-for print two different policies: one at a time');
      buildPolicyForRegions(manifest, options, regions); // the same account/region checks as the read policy
      const extra = args['key-policy']
        ? buildKeyPolicy(manifest, { ...options, regions, users: args['instance-role'] ?? [], admins: args['key-admin'] ?? [] })
        : buildDenyPolicy(manifest, { ...options, regions });
      if (denyFor !== undefined) {
        log.warn(
          'policy_note',
          { role: denyFor },
          `attach it to ${String(denyFor)}: aws iam put-role-policy --role-name ${String(denyFor)} --policy-name deny-app-parameters --policy-document file://deny.json`,
        );
      }
      io.stdout(JSON.stringify(extra, null, 2) + '\n');
      return ExitCode.ok;
    }
    const policy = buildPolicyForRegions(manifest, options, regions);
    for (const w of policyWarnings(manifest, options)) log.warn('policy_warning', { message: w }, w);
    io.stdout(JSON.stringify(policy, null, 2) + '\n');
    return ExitCode.ok;
  },
});
