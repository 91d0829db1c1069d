/**
 * `policy`: the least-privilege IAM policy for a manifest (docs/policy.md):
 * GetParameters/GetParameter on each exact parameter ARN (selectors
 * stripped; public `/aws/service/` parameters without an account),
 * GetParametersByPath on each path's own ARN plus `path/*` (paths inside
 * another listed path left out), secretsmanager:GetSecretValue for
 * `/aws/reference/secretsmanager/` names, and kms:Decrypt on the given key,
 * conditioned on the encryption context and on the calling service.
 */
import { UsageError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { baseName, parameterArn } from '../names.js';
import { nullRecord, own } from '../records.js';
import { isRegionName } from '../regions.js';

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

/** `/aws/reference/secretsmanager/<secret-id>`: a Secrets Manager secret read through Parameter Store. */
const SECRET_REFERENCE = '/aws/reference/secretsmanager/';
/** `/aws/service/...`: public parameters owned by AWS, with no account in their ARN. */
const PUBLIC_PARAMETERS = '/aws/service/';

export function buildPolicy(manifest: Manifest, options: PolicyOptions): { Version: '2012-10-17'; Statement: Statement[] } {
  if (!/^\d{12}$/.test(options.account)) throw new UsageError(`--account must be a 12-digit AWS account id, not ${JSON.stringify(options.account)}`);
  if (!isRegionName(options.region)) throw new UsageError(`--region ${JSON.stringify(options.region)} is not an AWS region name`);
  const partition = options.partition ?? 'aws';
  const { region, account } = options;
  const arn = (name: string) =>
    baseName(name).startsWith(PUBLIC_PARAMETERS) ? parameterArn(name, region, '', partition) : parameterArn(name, region, account, partition);
  const wildcard = (path: string) => (path === '/' ? `${arn('/')}*` : `${arn(path)}/*`);

  const allNames = [...new Set(manifest.outputs.flatMap((o) => o.values.map((v) => baseName(v.parameter))))].sort();
  const secrets = allNames.filter((n) => n.startsWith(SECRET_REFERENCE)).map((n) => n.slice(SECRET_REFERENCE.length));
  const names = allNames;
  // A path below another listed path is already covered by that path's `/*` grant.
  const listed = [...new Set(manifest.outputs.flatMap((o) => o.paths.map((p) => p.path)))].sort();
  const paths = listed.filter((p) => !listed.some((q) => q !== p && isBelow(p, q)));
  const statements: Statement[] = [];
  if (names.length) {
    statements.push({ Sid: 'ReadNamedParameters', Effect: 'Allow', Action: ['ssm:GetParameters', 'ssm:GetParameter'], Resource: names.map(arn) });
  }
  if (paths.length) {
    statements.push({
      Sid: 'ReadParametersByPath',
      Effect: 'Allow',
      Action: 'ssm:GetParametersByPath',
      Resource: paths.flatMap((p) => (p === '/' ? [arn('/'), wildcard('/')] : [arn(p), wildcard(p)])),
    });
  }
  const secretArns = secrets.map((id) => secretArn(id, region, account, partition));
  if (secrets.length) {
    // Parameter Store passes these reads through to Secrets Manager, which
    // checks its own permission. A secret's ARN ends in `-` and six random
    // characters; `??????` matches exactly those (a `*` would also match
    // other secrets whose names merely start with this one).
    statements.push({ Sid: 'ReadReferencedSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretArns });
  }
  if (options.kmsKey) {
    const { resource, aliasCondition } = kmsResource(options.kmsKey, region, account, partition);
    // The encryption context SSM sends is the parameter's ARN: restrict the
    // key to exactly the parameters (and paths) this manifest reads. Names a
    // path's wildcard already matches are left out.
    const own = names.filter((n) => !n.startsWith(SECRET_REFERENCE) && !n.startsWith(PUBLIC_PARAMETERS));
    const context = [...own.filter((n) => !paths.some((p) => isBelow(n, p))).map(arn), ...paths.map(wildcard)];
    /** kms:Decrypt on the key, only through `service` and only for these encryption contexts. */
    const decrypt = (sid: string, service: string, contextKey: string, contexts: string[]) => {
      const condition: Record<string, Record<string, string | string[]>> = {
        StringEquals: { 'kms:ViaService': `${service}.${region}.amazonaws.com` },
        StringLike: { [`kms:EncryptionContext:${contextKey}`]: contexts },
      };
      if (aliasCondition) condition['ForAnyValue:StringEquals'] = { 'kms:ResourceAliases': aliasCondition };
      statements.push({ Sid: sid, Effect: 'Allow', Action: 'kms:Decrypt', Resource: resource, Condition: condition });
    };
    if (context.length) decrypt('DecryptParameters', 'ssm', 'PARAMETER_ARN', context);
    // Secrets Manager decrypts with its own encryption context (SecretARN).
    // Assumes the secrets use the same customer key; a secret under
    // aws/secretsmanager needs no grant.
    if (secrets.length) decrypt('DecryptReferencedSecrets', 'secretsmanager', 'SecretARN', secretArns);
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** What the printed policy cannot cover; for stderr, next to the policy. */
export function policyWarnings(manifest: Manifest, options: PolicyOptions): string[] {
  const warnings: string[] = [];
  const names = manifest.outputs.flatMap((o) => o.values.map((v) => baseName(v.parameter)));
  if (!options.kmsKey) {
    warnings.push(
      'no --kms-key: this policy grants no kms:Decrypt, so SecureStrings encrypted under a customer managed KMS key will be denied (only the AWS managed key alias/aws/ssm needs no grant); pass --kms-key KEY to add it',
    );
  }
  if (names.some((n) => n.startsWith(SECRET_REFERENCE))) {
    warnings.push(
      'Secrets Manager references: a secret under a customer managed key also needs kms:Decrypt on that key through secretsmanager; the DecryptReferencedSecrets statement assumes --kms-key is that key',
    );
  }
  return warnings;
}

/** `/a/b` is below `/a` (and below `/`); `/ab` is not below `/a`. */
export function isBelow(name: string, path: string): boolean {
  return path === '/' ? name !== '/' : name.startsWith(`${path}/`);
}

/** Secrets Manager ARN with the `-??????` wildcard for the random suffix it appends. */
function secretArn(secretId: string, region: string, account: string, partition: string): string {
  return `arn:${partition}:secretsmanager:${region}:${account}:secret:${secretId}-??????`;
}

/**
 * IAM cannot grant kms:Decrypt on an alias ARN; for an alias the grant is on
 * the account's keys, narrowed by the kms:ResourceAliases condition.
 */
export function kmsResource(key: string, region: string, account: string, partition: string): { resource: string; aliasCondition?: string } {
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

type Conditions = Record<string, Record<string, string | string[]>>;

/** The conditions of both statements, operator by operator, the values of a key united. */
function mergeConditions(a: Conditions, b: Conditions, union: (a: string | string[], b: string | string[]) => string | string[]): Conditions {
  const merged = nullRecord<Record<string, string | string[]>>();
  for (const [op, entries] of [...Object.entries(a), ...Object.entries(b)]) {
    const target = nullRecord<string | string[]>();
    Object.assign(target, own(merged, op));
    for (const [key, value] of Object.entries(entries)) {
      const before = target[key];
      target[key] = before === undefined ? value : union(before, value);
    }
    merged[op] = target;
  }
  return merged;
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
      if (s.Condition) into.Condition = mergeConditions(into.Condition ?? {}, s.Condition, union);
    }
  }
  return first;
}
