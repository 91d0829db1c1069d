/**
 * The read operations: GetParameter, GetParameters, GetParametersByPath and
 * DescribeParameters. Order inside each follows AWS: model constraints,
 * then IAM (and KMS), then lookups.
 */
import { arnOf, raise, type OpContext, type Operation } from './context.js';
import { checkRange, optionalBoolean, optionalInteger, optionalString, requiredString, stringList } from './input.js';
import { matchesFilter, paginate, readFilters } from './listing.js';
import { SsmError, parameterNotFound, validation } from './ssm-error.js';
import type { Version } from './state.js';
import { SECRET_NAME, SECRETS_REFERENCE_PREFIX } from './secrets.js';
import { checkPath, checkReadName, parseRef, storageKey, type ParameterRef } from './validate.js';

/** The wire shape of one parameter version (GetParameter, GetParameters, GetParametersByPath). */
function wire(ctx: OpContext, name: string, v: Version, decrypt: boolean, selector?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Name: name,
    Type: v.type,
    Value: v.type === 'SecureString' && !decrypt ? v.ciphertext : v.value,
    Version: v.version,
    LastModifiedDate: v.modified,
    ARN: arnOf(ctx, name),
    DataType: v.dataType,
  };
  if (selector !== undefined) out.Selector = selector;
  return out;
}

/** kms:Decrypt is checked only when a SecureString is actually decrypted. */
function checkDecrypt(ctx: OpContext, v: Version, decrypt: boolean): void {
  if (decrypt && v.type === 'SecureString' && v.key) raise(ctx.access.checkKms(ctx.principal, v.key, 'Decrypt'));
}

export function versionNotFound(ref: ParameterRef, version: number): SsmError {
  return new SsmError('ParameterVersionNotFound', `Systems Manager could not find version ${version} of ${ref.name}. Verify the version and try again.`);
}

/**
 * A name as GetParameter(s) reads it: a plain name (with selector), a
 * parameter ARN, or a Secrets Manager reference. `answerName` is the Name
 * the answer carries (AWS echoes an ARN as written), `iamArn` what IAM
 * checks. An ARN of another account or region names a parameter nobody
 * shared with this emulator: `foreign`, answered as not found.
 */
interface ReadRef extends ParameterRef {
  answerName: string;
  iamArn: string;
  foreign?: boolean;
  secret?: { name: string };
}

const PARAMETER_ARN = /^arn:aws:ssm:([^:]+):([^:]+):parameter\/(.+)$/;

function readRef(ctx: OpContext, raw: string): ReadRef {
  if (raw.startsWith('arn:')) {
    const at = raw.indexOf(':parameter/') + 1;
    const colon = raw.lastIndexOf(':');
    const arn = colon >= at && at > 0 ? raw.slice(0, colon) : raw;
    const m = PARAMETER_ARN.exec(arn);
    if (!m) throw validation(`Parameter ARN is not valid: ${arn}`);
    const ref = parseRef(`/${m[3]!}${raw.slice(arn.length)}`);
    raise(checkReadName(ref.name));
    return { ...ref, raw, answerName: arn, iamArn: arn, foreign: m[1] !== ctx.region || m[2] !== ctx.account };
  }
  const ref = parseRef(raw);
  if (ref.name.startsWith(SECRETS_REFERENCE_PREFIX)) {
    const name = ref.name.slice(SECRETS_REFERENCE_PREFIX.length);
    if (!SECRET_NAME.test(name)) throw validation(`Invalid secret name in ${ref.name}`);
    return { ...ref, answerName: ref.name, iamArn: arnOf(ctx, ref.name), secret: { name } };
  }
  raise(checkReadName(ref.name));
  return { ...ref, answerName: ref.name, iamArn: arnOf(ctx, ref.name) };
}

/** IAM for a read: the SSM action on the parameter, and for a secret also GetSecretValue on the secret. */
function checkReadAccess(ctx: OpContext, action: string, ref: ReadRef): void {
  raise(ctx.access.checkSsm(ctx.principal, action, ref.iamArn));
  if (ref.secret) {
    const secret = ctx.secrets.get(ref.secret.name);
    raise(ctx.access.check(ctx.principal, 'secretsmanager:GetSecretValue', secret?.arn ?? ctx.secrets.arnPattern(ref.secret.name)));
  }
}

/** A secret's answer, shaped like AWS's: Version 0, the secret's ARN, its metadata in SourceResult. */
function readSecret(ctx: OpContext, ref: ReadRef, decrypt: boolean): Record<string, unknown> | undefined {
  if (!decrypt) throw validation('WithDecryption flag must be True for retrieving a Secret Manager secret.');
  const secret = ref.secret && !ref.selector ? ctx.secrets.get(ref.secret.name) : undefined;
  if (!secret) return undefined;
  return {
    Name: ref.answerName,
    Type: 'SecureString',
    // A binary secret has no text value: its bytes are in SourceResult only.
    ...(secret.binary ? {} : { Value: secret.value }),
    Version: 0,
    SourceResult: ctx.secrets.sourceResult(secret),
    LastModifiedDate: secret.created,
    ARN: secret.arn,
    DataType: 'text',
  };
}

export const getParameter: Operation = (body, ctx) => {
  const raw = requiredString(body, 'Name');
  const decrypt = optionalBoolean(body, 'WithDecryption') ?? false;
  const ref = readRef(ctx, raw);
  checkReadAccess(ctx, 'GetParameter', ref);
  if (ref.secret) {
    const answer = readSecret(ctx, ref, decrypt);
    if (!answer) throw parameterNotFound();
    return { Parameter: answer };
  }
  const parameter = ref.foreign ? undefined : ctx.state.get(ref.name);
  if (!parameter || ref.impossible) throw parameterNotFound();
  const v = ctx.state.resolve(parameter, ref.selector);
  if (!v) throw ref.selector?.kind === 'version' ? versionNotFound(ref, ref.selector.version) : parameterNotFound();
  checkDecrypt(ctx, v, decrypt);
  return { Parameter: { ...wire(ctx, ref.name, v, decrypt, ref.selector?.text), Name: ref.answerName } };
};

export const getParameters: Operation = (body, ctx) => {
  const names = stringList(body, 'Names', true) ?? [];
  const decrypt = optionalBoolean(body, 'WithDecryption') ?? false;
  if (names.length < 1 || names.length > 10) {
    const bound = names.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 10';
    throw validation(`1 validation error detected: Value '[${names.join(', ')}]' at 'names' failed to satisfy constraint: Member must have length ${bound}`);
  }
  const refs = [...new Set(names)].map((raw) => readRef(ctx, raw));
  // Like IAM: one denied name denies the whole call.
  for (const ref of refs) checkReadAccess(ctx, 'GetParameters', ref);

  const found: Record<string, unknown>[] = [];
  const invalid: string[] = [];
  for (const ref of refs) {
    if (ref.secret) {
      const answer = readSecret(ctx, ref, decrypt);
      if (answer) found.push(answer);
      else invalid.push(ref.raw);
      continue;
    }
    const parameter = ref.foreign ? undefined : ctx.state.get(ref.name);
    const v = parameter && !ref.impossible ? ctx.state.resolve(parameter, ref.selector) : undefined;
    if (!v) {
      invalid.push(ref.raw);
      continue;
    }
    checkDecrypt(ctx, v, decrypt);
    found.push({ ...wire(ctx, ref.name, v, decrypt, ref.selector?.text), Name: ref.answerName });
  }
  const sortKey = (p: Record<string, unknown>): string => `${String(p.Name)}\u0000${String(p.Selector ?? '')}`;
  found.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  return { Parameters: found, InvalidParameters: invalid };
};

export const getParametersByPath: Operation = (body, ctx) => {
  const path = requiredString(body, 'Path');
  const recursive = optionalBoolean(body, 'Recursive') ?? false;
  const decrypt = optionalBoolean(body, 'WithDecryption') ?? false;
  const max = optionalInteger(body, 'MaxResults') ?? 10;
  checkRange('MaxResults', max, 1, 10);
  const filters = readFilters(body, 'ParameterFilters', ['Type', 'KeyId', 'Label']);
  raise(checkPath(path));
  // IAM checks the path's own ARN: parameter/app for /app and /app/.
  const own = path === '/' ? '/' : path.replace(/\/$/, '');
  raise(ctx.access.checkSsm(ctx.principal, 'GetParametersByPath', `arn:aws:ssm:${ctx.region}:${ctx.account}:parameter/${storageKey(own)}`));

  const labels = filters.filter((f) => f.Key === 'Label').flatMap((f) => f.Values);
  const others = filters.filter((f) => f.Key !== 'Label');
  const candidates = (after: string | undefined, limit: number) => ctx.state.scan(path, recursive, after, limit, () => (ctx.counters.scanned += 1));
  const scope = `path:${storageKey(own)}:${recursive}`;
  const { page, next } = paginate(candidates, max, optionalString(body, 'NextToken'), scope, (p) => {
    if (!others.every((f) => matchesFilter(p, f))) return false;
    return labels.length === 0 || p.versions.some((v) => v.labels.some((l) => labels.includes(l)));
  });
  const out = page.map((p) => {
    // With a Label filter AWS returns the labelled version, else the latest.
    const v = (labels.length > 0 ? p.versions.findLast((x) => x.labels.some((l) => labels.includes(l))) : undefined) ?? p.versions.at(-1);
    if (!v) throw new SsmError('InternalServerError', 'parameter without versions', 500);
    checkDecrypt(ctx, v, decrypt);
    return wire(ctx, p.name, v, decrypt);
  });
  return next === undefined ? { Parameters: out } : { Parameters: out, NextToken: next };
};

export const describeParameters: Operation = (body, ctx) => {
  const max = optionalInteger(body, 'MaxResults') ?? 10;
  checkRange('MaxResults', max, 1, 50);
  const legacy = readFilters(body, 'Filters', ['Name', 'Type', 'KeyId']).map((f) => ({ ...f, Option: f.Key === 'Name' ? 'BeginsWith' : 'Equals' }));
  const filters = readFilters(body, 'ParameterFilters', ['Name', 'Type', 'KeyId', 'Path', 'Tier', 'DataType']);
  if (legacy.length > 0 && filters.length > 0) throw validation('You can use either Filters or ParameterFilters in a single request.');
  raise(ctx.access.checkSsm(ctx.principal, 'DescribeParameters', `arn:aws:ssm:${ctx.region}:${ctx.account}:*`));

  const all = [...legacy, ...filters];
  const candidates = (after: string | undefined, limit: number) => ctx.state.scan('', true, after, limit, () => (ctx.counters.scanned += 1));
  const { page, next } = paginate(candidates, max, optionalString(body, 'NextToken'), 'describe', (p) => all.every((f) => matchesFilter(p, f)));
  const out = page.map((p) => {
    const v = p.versions.at(-1);
    if (!v) throw new SsmError('InternalServerError', 'parameter without versions', 500);
    const meta: Record<string, unknown> = {
      Name: p.name,
      ARN: arnOf(ctx, p.name),
      Type: v.type,
      LastModifiedDate: v.modified,
      LastModifiedUser: v.modifiedBy,
      Version: v.version,
      Tier: v.tier,
      Policies: [],
      DataType: v.dataType,
    };
    if (v.keyId !== undefined) meta.KeyId = v.keyId;
    if (v.description !== undefined) meta.Description = v.description;
    if (v.allowedPattern !== undefined) meta.AllowedPattern = v.allowedPattern;
    return meta;
  });
  return next === undefined ? { Parameters: out } : { Parameters: out, NextToken: next };
};
