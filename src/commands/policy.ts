/**
 * `policy`: the least-privilege IAM policy for a manifest (AWS's "Restricting access to Parameter Store parameters using IAM policies"):
 * GetParameters/GetParameter on each exact parameter ARN (selectors
 * stripped), GetParametersByPath on each path's own ARN plus `path/*`, and
 * kms:Decrypt on the given key, conditioned on the parameters' encryption
 * context and on being called through SSM.
 */
import { UsageError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { baseName, parameterArn } from '../names.js';

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
  if (options.kmsKey) {
    // The encryption context SSM sends is the parameter's ARN: restrict the
    // key to exactly the parameters (and paths) this manifest reads.
    const context = [...names.map(arn), ...paths.map((p) => (p === '/' ? `${arn('/')}*` : `${arn(p)}/*`))];
    const condition: Record<string, Record<string, string | string[]>> = {
      StringEquals: { 'kms:ViaService': `ssm.${options.region}.amazonaws.com` },
      StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': context },
    };
    const { resource, aliasCondition } = kmsResource(options.kmsKey, options.region, options.account, partition);
    if (aliasCondition) condition['ForAnyValue:StringEquals'] = { 'kms:ResourceAliases': aliasCondition };
    statements.push({ Sid: 'DecryptParameters', Effect: 'Allow', Action: 'kms:Decrypt', Resource: resource, Condition: condition });
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
