/**
 * `policy`: the least-privilege IAM policy for a manifest (AWS's "Restricting access to Parameter Store parameters using IAM policies"):
 * GetParameters/GetParameter on each exact parameter ARN (selectors
 * stripped), GetParametersByPath on each path's own ARN plus `path/*`, and
 * kms:Decrypt on the given key, conditioned on the parameters' encryption
 * context and on being called through SSM.
 */
import { UsageError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { baseName, isSecretReference, parameterArn, secretIdOf } from '../names.js';

export interface PolicyOptions {
  account: string;
  region: string;
  kmsKey?: string;
  partition?: string;
}

interface Statement {
  Sid: string;
  Effect: 'Allow';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export function buildPolicy(manifest: Manifest, options: PolicyOptions): { Version: '2012-10-17'; Statement: Statement[] } {
  if (!/^\d{12}$/.test(options.account)) throw new UsageError(`--account must be a 12-digit AWS account id, not ${JSON.stringify(options.account)}`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(options.region)) throw new UsageError(`--region ${JSON.stringify(options.region)} is not an AWS region name`);
  const partition = options.partition ?? 'aws';
  const arn = (name: string) => parameterArn(name, options.region, options.account, partition);

  const names = [...new Set(manifest.outputs.flatMap((o) => o.values.map((v) => baseName(v.parameter))))].sort();
  const paths = [...new Set(manifest.outputs.flatMap((o) => o.paths.map((p) => p.path)))].sort();
  const statements: Statement[] = [];
  if (names.length) {
    statements.push({ Sid: 'ReadNamedParameters', Effect: 'Allow', Action: ['ssm:GetParameters', 'ssm:GetParameter'], Resource: names.map(arn) });
  }
  if (paths.length) {
    statements.push({
      Sid: 'ReadParametersByPath',
      Effect: 'Allow',
      Action: 'ssm:GetParametersByPath',
      Resource: paths.flatMap((p) => (p === '/' ? [arn('/'), `${arn('/')}*`] : [arn(p), `${arn(p)}/*`])),
    });
  }
  // A secret read through Parameter Store needs the SSM read above on its
  // reference name and GetSecretValue on the secret itself, whose ARN ends
  // in a dash and six random characters.
  const secrets = names.filter(isSecretReference).map((n) => `arn:${partition}:secretsmanager:${options.region}:${options.account}:secret:${secretIdOf(n)}-??????`);
  if (secrets.length) {
    statements.push({ Sid: 'ReadSecretsThroughParameterStore', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secrets });
  }
  if (options.kmsKey) {
    // The encryption context SSM sends is the parameter's ARN: restrict the
    // key to exactly the parameters (and paths) this manifest reads.
    const parameters = names.filter((n) => !isSecretReference(n));
    const context = [...parameters.map(arn), ...paths.map((p) => (p === '/' ? `${arn('/')}*` : `${arn(p)}/*`))];
    const condition: Record<string, Record<string, string | string[]>> = {
      StringEquals: { 'kms:ViaService': `ssm.${options.region}.amazonaws.com` },
      StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': context },
    };
    const { resource, aliasCondition } = kmsResource(options.kmsKey, options.region, options.account, partition);
    if (aliasCondition) condition['ForAnyValue:StringEquals'] = { 'kms:ResourceAliases': aliasCondition };
    if (context.length) statements.push({ Sid: 'DecryptParameters', Effect: 'Allow', Action: 'kms:Decrypt', Resource: resource, Condition: condition });
    if (secrets.length) {
      // Secrets Manager decrypts with the secret's ARN as encryption context.
      const secretCondition: Record<string, Record<string, string | string[]>> = {
        StringEquals: { 'kms:ViaService': `secretsmanager.${options.region}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:SecretARN': secrets },
      };
      if (aliasCondition) secretCondition['ForAnyValue:StringEquals'] = { 'kms:ResourceAliases': aliasCondition };
      statements.push({ Sid: 'DecryptSecrets', Effect: 'Allow', Action: 'kms:Decrypt', Resource: resource, Condition: secretCondition });
    }
  }
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * IAM cannot grant kms:Decrypt on an alias ARN; for an alias the grant is on
 * the account's keys, narrowed by the kms:ResourceAliases condition.
 */
function kmsResource(key: string, region: string, account: string, partition: string): { resource: string; aliasCondition?: string } {
  if (key.startsWith('arn:')) {
    const alias = /:alias\/(.+)$/.exec(key);
    return alias ? { resource: `arn:${partition}:kms:${region}:${account}:key/*`, aliasCondition: `alias/${alias[1]}` } : { resource: key };
  }
  if (key.startsWith('alias/')) {
    if (key === 'alias/aws/ssm') throw new UsageError('alias/aws/ssm is the AWS managed key: it needs no kms:Decrypt grant; omit --kms-key');
    return { resource: `arn:${partition}:kms:${region}:${account}:key/*`, aliasCondition: key };
  }
  if (/^[0-9a-f-]{36}$|^mrk-[0-9a-f]{32}$/.test(key)) return { resource: `arn:${partition}:kms:${region}:${account}:key/${key}` };
  throw new UsageError(`--kms-key ${JSON.stringify(key)}: expected a key id, key ARN, alias ARN or alias/NAME`);
}

/**
 * One policy for every region a manifest may read from (`regions:`, or
 * `--fallback-region`): the single-region policy for each, statements with
 * the same Sid merged (resources and condition values united), so a fallback
 * is granted exactly what the first region is.
 */
export function buildPolicyForRegions(manifest: Manifest, options: PolicyOptions, regions: string[]): ReturnType<typeof buildPolicy> {
  const [first, ...rest] = regions.map((region) => buildPolicy(manifest, { ...options, region }));
  if (!first) throw new UsageError('policy needs a region');
  const union = (a: string | string[], b: string | string[]): string | string[] => {
    const all = [...new Set([...[a].flat(), ...[b].flat()])];
    return all.length === 1 ? all[0]! : all;
  };
  for (const policy of rest) {
    for (const s of policy.Statement) {
      const into = first.Statement.find((x) => x.Sid === s.Sid);
      if (!into) {
        first.Statement.push(s);
        continue;
      }
      into.Resource = union(into.Resource, s.Resource);
      for (const [op, entries] of Object.entries(s.Condition ?? {})) {
        const target = ((into.Condition ??= {})[op] ??= {});
        for (const [key, value] of Object.entries(entries)) target[key] = target[key] === undefined ? value : union(target[key]!, value);
      }
    }
  }
  return first;
}
