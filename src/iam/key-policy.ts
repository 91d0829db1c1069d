/**
 * The two policies operators otherwise write by hand in the console, from
 * the same manifest as `policy` (docs/policy.md, with their AWS sources):
 *
 * - `policy --key-policy`: the customer KMS key's key policy. The account
 *   keeps control of the key (without that statement a key can become
 *   unmanageable); key administrators manage it but cannot use it; the
 *   instance role may decrypt only through Parameter Store in this region and
 *   only for the manifest's parameters.
 * - `policy --deny-for ROLE`: an explicit deny to attach to a broad role
 *   (PowerUserAccess, say): no reading the manifest's parameters by any read
 *   operation (history and ancestor paths included) and no use of the key.
 *   An explicit deny wins over every allow.
 */
import { UsageError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { baseName, parameterArn } from '../names.js';
import { buildPolicyForRegions, isBelow, kmsResource } from './policy.js';

interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal?: { AWS: string | string[] };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface KeyPolicyOptions {
  account: string;
  region: string;
  partition: string;
  /** Roles that read the parameters (the hosts' instance role). */
  users: string[];
  /** Roles that manage the key and never use it. */
  admins: string[];
  /** Every region the manifest may read from. */
  regions: string[];
}

const ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;
/** Key administration without use: AWS's default key policy for key administrators. */
const ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

function checkRoles(flag: string, roles: string[]): void {
  const bad = roles.filter((r) => !ROLE_ARN.test(r));
  if (bad.length) throw new UsageError(`${flag} ${bad.map((r) => JSON.stringify(r)).join(', ')}: expected an IAM role ARN, arn:aws:iam::ACCOUNT:role/NAME`);
}

export function buildKeyPolicy(manifest: Manifest, o: KeyPolicyOptions): { Version: '2012-10-17'; Statement: Statement[] } {
  if (!o.users.length) throw new UsageError('--key-policy needs --instance-role ARN: the role that decrypts the parameters (repeatable)');
  checkRoles('--instance-role', o.users);
  checkRoles('--key-admin', o.admins);
  // The `policy` output's own decrypt conditions: the same encryption contexts, the same services.
  const read = buildPolicyForRegions(
    manifest,
    { account: o.account, region: o.region, partition: o.partition, kmsKey: '00000000-0000-0000-0000-000000000000' },
    o.regions,
  );
  const root = `arn:${o.partition}:iam::${o.account}:root`;
  const statements: Statement[] = [{ Sid: 'AccountControlsTheKey', Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' }];
  if (o.admins.length)
    statements.push({ Sid: 'KeyAdministratorsManageNotUse', Effect: 'Allow', Principal: { AWS: one(o.admins) }, Action: ADMIN_ACTIONS, Resource: '*' });
  for (const s of read.Statement.filter((x) => x.Action === 'kms:Decrypt')) {
    statements.push({
      Sid: s.Sid === 'DecryptParameters' ? 'InstanceRoleDecryptsThroughParameterStore' : 'InstanceRoleDecryptsThroughSecretsManager',
      Effect: 'Allow',
      Principal: { AWS: one(o.users) },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { ...s.Condition, StringEquals: { ...(s.Condition?.StringEquals ?? {}), 'kms:CallerAccount': o.account } },
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

export interface DenyOptions {
  account: string;
  region: string;
  partition: string;
  kmsKey?: string;
  regions: string[];
}

/** Every read of the manifest's parameters and of its key, denied. */
export function buildDenyPolicy(manifest: Manifest, o: DenyOptions): { Version: '2012-10-17'; Statement: Statement[] } {
  const allow = buildPolicyForRegions(manifest, { account: o.account, region: o.region, partition: o.partition }, o.regions);
  const resources = (sid: string) => [allow.Statement.find((s) => s.Sid === sid)?.Resource ?? []].flat();
  const names = resources('ReadNamedParameters');
  const paths = resources('ReadParametersByPath');
  const statements: Statement[] = [];
  if (names.length || paths.length) {
    statements.push({
      Sid: 'DenyReadingTheAppsParameters',
      Effect: 'Deny',
      // GetParameterHistory returns values too.
      Action: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParameterHistory', 'ssm:GetParametersByPath'],
      Resource: [...names, ...paths],
    });
    // A deny on a parameter's ARN does not stop GetParametersByPath on an ancestor path.
    const ancestors = ancestorArns(manifest, o);
    if (ancestors.length) statements.push({ Sid: 'DenyListingAncestorPaths', Effect: 'Deny', Action: 'ssm:GetParametersByPath', Resource: ancestors });
  }
  const secrets = resources('ReadReferencedSecrets');
  if (secrets.length) statements.push({ Sid: 'DenyReadingReferencedSecrets', Effect: 'Deny', Action: 'secretsmanager:GetSecretValue', Resource: secrets });
  if (o.kmsKey) {
    for (const region of o.regions) {
      const { resource, aliasCondition } = kmsResource(o.kmsKey, region, o.account, o.partition);
      statements.push({
        Sid: `DenyUsingTheAppsKey${o.regions.length > 1 ? region.replaceAll('-', '') : ''}`,
        Effect: 'Deny',
        Action: ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:CreateGrant'],
        Resource: resource,
        ...(aliasCondition ? { Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': aliasCondition } } } : {}),
      });
    }
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** `/a/b/c` and path `/a/x` -> the ARNs of `/`, `/a`, `/a/b` (every path a listing could start from). */
function ancestorArns(manifest: Manifest, o: DenyOptions): string[] {
  const names = manifest.outputs
    .flatMap((out) => [...out.values.map((v) => baseName(v.parameter)), ...out.paths.map((p) => p.path)])
    .filter((n) => n.startsWith('/') && !n.startsWith('/aws/'));
  const ancestors = new Set<string>();
  for (const n of names) {
    const parts = n.split('/').filter(Boolean);
    for (let i = 0; i < parts.length; i++) ancestors.add(`/${parts.slice(0, i).join('/')}`);
  }
  const listed = [...ancestors].filter((a) => !names.some((n) => n !== a && isBelow(a, n))).sort();
  return o.regions.flatMap((region) => listed.map((a) => parameterArn(a, region, o.account, o.partition)));
}

const one = (xs: string[]): string | string[] => (xs.length === 1 ? xs[0]! : xs);
