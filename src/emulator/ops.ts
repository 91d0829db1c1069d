/**
 * The seven operations, each a function from the parsed request body to the
 * response body, throwing SsmError for AWS errors. Order inside each one
 * follows AWS: model constraints, then IAM (and KMS), then business rules.
 */
import type { AccessPolicy, Principal } from './access.js';
import { DEFAULT_KEY_ALIAS, type Kms, type KmsKey } from './kms.js';
import { SsmError, parameterNotFound, validation } from './ssm-error.js';
import type { ParameterState, StoredParameter, Version } from './state.js';
import {
  characters,
  checkLabel,
  checkPath,
  checkReadName,
  checkWriteName,
  MAX_VALUE,
  parameterArn,
  parseRef,
  storageKey,
  type ParameterRef,
} from './validate.js';
import { checkRange, objectList, optionalBoolean, optionalInteger, optionalString, requiredString, stringList, type Body } from './input.js';
import type { ParameterType, Tier } from './types.js';

export interface OpContext {
  state: ParameterState;
  kms: Kms;
  access: AccessPolicy;
  principal: Principal;
  region: string;
  account: string;
}

export type Operation = (body: Body, ctx: OpContext) => unknown;

const TYPES: ParameterType[] = ['String', 'StringList', 'SecureString'];
const DATA_TYPES = ['text', 'aws:ec2:image', 'aws:ssm:integration'];
const MAX_PARAMETERS = 10_000;

const arnOf = (ctx: OpContext, name: string): string => parameterArn(ctx.region, ctx.account, name);
const raise = (e: SsmError | undefined): void => {
  if (e) throw e;
};

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

function versionNotFound(ref: ParameterRef, version: number): SsmError {
  return new SsmError('ParameterVersionNotFound', `Systems Manager could not find version ${version} of ${ref.name}. Verify the version and try again.`);
}

/** Secrets Manager references need WithDecryption; the secrets themselves are not emulated. */
function checkSecretsManagerReference(name: string, decrypt: boolean): void {
  if (!name.startsWith('/aws/reference/secretsmanager/')) return;
  if (!decrypt) throw validation('WithDecryption flag must be True for retrieving a Secret Manager secret.');
  throw parameterNotFound();
}

const getParameter: Operation = (body, ctx) => {
  const raw = requiredString(body, 'Name');
  const decrypt = optionalBoolean(body, 'WithDecryption') ?? false;
  const ref = parseRef(raw);
  raise(checkReadName(ref.name));
  raise(ctx.access.checkSsm(ctx.principal, 'GetParameter', arnOf(ctx, ref.name)));
  checkSecretsManagerReference(ref.name, decrypt);
  const parameter = ctx.state.get(ref.name);
  if (!parameter || ref.impossible) throw parameterNotFound();
  const v = ctx.state.resolve(parameter, ref.selector);
  if (!v) throw ref.selector?.kind === 'version' ? versionNotFound(ref, ref.selector.version) : parameterNotFound();
  checkDecrypt(ctx, v, decrypt);
  return { Parameter: wire(ctx, ref.name, v, decrypt, ref.selector?.text) };
};

const getParameters: Operation = (body, ctx) => {
  const names = stringList(body, 'Names', true) ?? [];
  const decrypt = optionalBoolean(body, 'WithDecryption') ?? false;
  if (names.length < 1 || names.length > 10) {
    const bound = names.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 10';
    throw validation(`1 validation error detected: Value '[${names.join(', ')}]' at 'names' failed to satisfy constraint: Member must have length ${bound}`);
  }
  const refs = [...new Set(names)].map(parseRef);
  for (const ref of refs) raise(checkReadName(ref.name));
  // Like IAM: one denied name denies the whole call.
  for (const ref of refs) raise(ctx.access.checkSsm(ctx.principal, 'GetParameters', arnOf(ctx, ref.name)));

  const found: Record<string, unknown>[] = [];
  const invalid: string[] = [];
  for (const ref of refs) {
    const parameter = ctx.state.get(ref.name);
    const v = parameter && !ref.impossible ? ctx.state.resolve(parameter, ref.selector) : undefined;
    if (!v) {
      invalid.push(ref.raw);
      continue;
    }
    checkDecrypt(ctx, v, decrypt);
    found.push(wire(ctx, ref.name, v, decrypt, ref.selector?.text));
  }
  const sortKey = (p: Record<string, unknown>): string => `${String(p.Name)}\u0000${String(p.Selector ?? '')}`;
  found.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  return { Parameters: found, InvalidParameters: invalid };
};

// --- pagination ------------------------------------------------------------

interface Cursor {
  /** Storage key of the last parameter already scanned. */
  after: string;
  /** What the token was issued for: a token is only valid for the same listing. */
  scope: string;
}

function decodeToken(token: string | undefined, scope: string): string | undefined {
  if (token === undefined) return undefined;
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.after === 'string' && c.scope === scope) return c.after;
  } catch {
    // fall through
  }
  throw new SsmError('InvalidNextToken', "The specified token isn't valid.");
}

/**
 * One page. Like AWS, a page scans `max` candidates and returns those that
 * pass the filters, so a filtered page may be short, even empty, and still
 * carry a NextToken.
 */
function paginate(
  candidates: StoredParameter[],
  max: number,
  token: string | undefined,
  scope: string,
  keep: (p: StoredParameter) => boolean,
): { page: StoredParameter[]; next?: string } {
  const after = decodeToken(token, scope);
  const rest = after === undefined ? candidates : candidates.filter((p) => storageKey(p.name) > after);
  const window = rest.slice(0, max);
  const last = window.at(-1);
  const page = window.filter(keep);
  if (rest.length <= max || !last) return { page };
  const next = Buffer.from(JSON.stringify({ after: storageKey(last.name), scope } satisfies Cursor)).toString('base64url');
  return { page, next };
}

type Filter = { Key: string; Option: string; Values: string[] };

function readFilters(body: Body, field: string, allowedKeys: string[]): Filter[] {
  return (objectList(body, field) ?? []).map((f) => {
    const key = requiredString(f, 'Key');
    const option = optionalString(f, 'Option') ?? (key === 'Path' ? 'OneLevel' : 'Equals');
    const values = stringList(f, 'Values', false) ?? [];
    if (!allowedKeys.includes(key) && !key.startsWith('tag:')) {
      throw new SsmError('InvalidFilterKey', `The following filter key is not valid: ${key}. Valid filter keys include: [${allowedKeys.join(', ')}].`);
    }
    return { Key: key, Option: option, Values: values };
  });
}

function matchesFilter(p: StoredParameter, f: Filter): boolean {
  const v = p.versions.at(-1);
  if (!v) return false;
  const one = (actual: string | undefined): boolean => {
    if (actual === undefined) return false;
    if (f.Option === 'BeginsWith') return f.Values.some((x) => actual.startsWith(x));
    if (f.Option === 'Contains') return f.Values.some((x) => actual.includes(x));
    return f.Values.includes(actual);
  };
  switch (f.Key) {
    case 'Name':
      return one(p.name) || one('/' + storageKey(p.name));
    case 'Type':
      return one(v.type);
    case 'KeyId':
      return one(v.keyId);
    case 'Tier':
      return one(v.tier);
    case 'DataType':
      return one(v.dataType);
    case 'Path': {
      const key = storageKey(p.name);
      return f.Values.some((path) => {
        let prefix = storageKey(path);
        if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
        return key.startsWith(prefix) && (f.Option === 'Recursive' || !key.slice(prefix.length).includes('/'));
      });
    }
    default: {
      const tag = p.tags.find((t) => `tag:${t.Key}` === f.Key);
      return tag !== undefined && (f.Values.length === 0 || f.Values.includes(tag.Value));
    }
  }
}

const getParametersByPath: Operation = (body, ctx) => {
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
  const candidates = ctx.state.under(path, recursive);
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

// --- writes ----------------------------------------------------------------

function standardTooLong(): SsmError {
  return validation(
    'Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html',
  );
}

const putParameter: Operation = (body, ctx) => {
  const name = requiredString(body, 'Name');
  const value = requiredString(body, 'Value');
  const typeIn = optionalString(body, 'Type');
  const keyIdIn = optionalString(body, 'KeyId');
  const overwrite = optionalBoolean(body, 'Overwrite') ?? false;
  const tierIn = optionalString(body, 'Tier');
  const description = optionalString(body, 'Description');
  const allowedPatternIn = optionalString(body, 'AllowedPattern');
  const dataType = optionalString(body, 'DataType') ?? 'text';
  const tags = (objectList(body, 'Tags') ?? []).map((t) => ({ Key: requiredString(t, 'Key'), Value: requiredString(t, 'Value') }));

  // Model constraints.
  if (value.length === 0) {
    throw validation("1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.");
  }
  if (typeIn !== undefined && !TYPES.includes(typeIn as ParameterType)) {
    throw validation(`1 validation error detected: Value '${typeIn}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`);
  }
  if (tierIn !== undefined && !['Standard', 'Advanced', 'Intelligent-Tiering'].includes(tierIn)) {
    throw validation(`1 validation error detected: Value '${tierIn}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]`);
  }
  const length = characters(value);
  if (length > MAX_VALUE.Advanced) {
    throw validation(`1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to ${MAX_VALUE.Advanced}`);
  }
  if (description !== undefined && description.length > 1024) {
    throw validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1024");
  }

  raise(ctx.access.checkSsm(ctx.principal, 'PutParameter', arnOf(ctx, name)));

  // Business rules.
  if (overwrite && tags.length > 0) {
    throw validation(
      "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
    );
  }
  raise(checkWriteName(name));
  const existing = ctx.state.get(name);
  const previous = existing?.versions.at(-1);
  if (existing && !overwrite) {
    throw new SsmError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
  }
  const type = (typeIn as ParameterType | undefined) ?? previous?.type;
  if (!type) throw validation('A parameter type is required when you create a parameter.');
  if (!DATA_TYPES.includes(dataType)) throw validation(`The following data type is not supported: ${dataType} (Data type names are all lowercase.)`);
  if (keyIdIn !== undefined && type !== 'SecureString') throw validation('KeyId is required for SecureString type parameter only.');

  let tier: Tier = tierIn === 'Advanced' ? 'Advanced' : tierIn === 'Standard' ? 'Standard' : (previous?.tier ?? 'Standard');
  if (tierIn === 'Intelligent-Tiering') tier = previous?.tier === 'Advanced' || length > MAX_VALUE.Standard ? 'Advanced' : 'Standard';
  if (tierIn === 'Standard' && previous?.tier === 'Advanced') {
    throw validation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.");
  }
  if (length > MAX_VALUE[tier]) throw standardTooLong();

  const allowedPattern = allowedPatternIn ?? previous?.allowedPattern;
  if (allowedPattern !== undefined && !new RegExp(`^(?:${allowedPattern})$`, 'u').test(value)) {
    throw new SsmError('ParameterPatternMismatchException', `Parameter value, cannot be validated against allowedPattern: ${allowedPattern}`);
  }

  let key: KmsKey | undefined;
  let keyId: string | undefined;
  if (type === 'SecureString') {
    // AWS uses the default key when an overwrite names none (a known trap).
    keyId = keyIdIn ?? DEFAULT_KEY_ALIAS;
    const resolved = ctx.kms.resolve(keyId);
    if (resolved instanceof SsmError) throw resolved;
    key = resolved;
    raise(ctx.access.checkKms(ctx.principal, key, 'Encrypt'));
  }
  if (!existing && ctx.state.size >= MAX_PARAMETERS) {
    throw new SsmError('ParameterLimitExceeded', 'You have exceeded the number of parameters for this AWS account. Delete one or more parameters and try again.');
  }

  const v = ctx.state.put(
    name,
    {
      type,
      value,
      ...(key && keyId ? { key, keyId, ciphertext: ctx.kms.encrypt(key, value) } : {}),
      modifiedBy: ctx.access.userArn(ctx.principal),
      ...(description ?? previous?.description ? { description: description ?? previous?.description } : {}),
      ...(allowedPattern !== undefined ? { allowedPattern } : {}),
      tier,
      dataType,
    },
    tags,
  );
  return { Version: v.version, Tier: v.tier };
};

const deleteParameter: Operation = (body, ctx) => {
  const name = requiredString(body, 'Name');
  raise(ctx.access.checkSsm(ctx.principal, 'DeleteParameter', arnOf(ctx, name)));
  ctx.state.delete(name);
  return {};
};

const labelParameterVersion: Operation = (body, ctx) => {
  const name = requiredString(body, 'Name');
  const wanted = optionalInteger(body, 'ParameterVersion');
  const labels = stringList(body, 'Labels', true) ?? [];
  if (labels.length < 1 || labels.length > 10) {
    const bound = labels.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 10';
    throw validation(`1 validation error detected: Value '[${labels.join(', ')}]' at 'labels' failed to satisfy constraint: Member must have length ${bound}`);
  }
  const tooLong = labels.find((l) => l.length > 100 || l.length === 0);
  if (tooLong !== undefined) {
    throw validation(
      `1 validation error detected: Value '[${labels.join(', ')}]' at 'labels' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 100, Member must have length greater than or equal to 1]`,
    );
  }
  raise(ctx.access.checkSsm(ctx.principal, 'LabelParameterVersion', arnOf(ctx, name)));
  const parameter = ctx.state.get(name);
  if (!parameter) throw parameterNotFound();
  const target = wanted === undefined ? parameter.versions.at(-1) : parameter.versions.find((v) => v.version === wanted);
  if (!target) throw versionNotFound({ raw: name, name }, wanted ?? 0);
  const invalid = ctx.state.label(parameter, target, labels, (l) => checkLabel(l) !== undefined);
  return { InvalidLabels: invalid, ParameterVersion: target.version };
};

const describeParameters: Operation = (body, ctx) => {
  const max = optionalInteger(body, 'MaxResults') ?? 10;
  checkRange('MaxResults', max, 1, 50);
  const legacy = readFilters(body, 'Filters', ['Name', 'Type', 'KeyId']).map((f) => ({ ...f, Option: f.Key === 'Name' ? 'BeginsWith' : 'Equals' }));
  const filters = readFilters(body, 'ParameterFilters', ['Name', 'Type', 'KeyId', 'Path', 'Tier', 'DataType']);
  if (legacy.length > 0 && filters.length > 0) throw validation('You can use either Filters or ParameterFilters in a single request.');
  raise(ctx.access.checkSsm(ctx.principal, 'DescribeParameters', `arn:aws:ssm:${ctx.region}:${ctx.account}:*`));

  const all = [...legacy, ...filters];
  const { page, next } = paginate(ctx.state.all(), max, optionalString(body, 'NextToken'), 'describe', (p) => all.every((f) => matchesFilter(p, f)));
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

export const OPERATIONS: Record<string, Operation> = {
  GetParameter: getParameter,
  GetParameters: getParameters,
  GetParametersByPath: getParametersByPath,
  PutParameter: putParameter,
  DeleteParameter: deleteParameter,
  LabelParameterVersion: labelParameterVersion,
  DescribeParameters: describeParameters,
};

/** The operations that share the account's GetParameter* throughput quota. */
export const THROTTLED_OPERATIONS = new Set(['GetParameter', 'GetParameters', 'GetParametersByPath']);
