/**
 * The write operations: PutParameter, DeleteParameter and
 * LabelParameterVersion, with AWS's validation order and wording.
 */
import { arnOf, raise, type Operation } from './context.js';
import { objectList, optionalBoolean, optionalInteger, optionalString, requiredString, stringList } from './input.js';
import { DEFAULT_KEY_ALIAS, type KmsKey } from './kms.js';
import { versionNotFound } from './reads.js';
import { SsmError, parameterNotFound, validation } from './ssm-error.js';
import { characters, checkLabel, checkWriteName, MAX_VALUE } from './validate.js';
import type { ParameterType, Tier } from './types.js';

const TYPES: ParameterType[] = ['String', 'StringList', 'SecureString'];
const DATA_TYPES = ['text', 'aws:ec2:image', 'aws:ssm:integration'];
const MAX_PARAMETERS = 10_000;
function standardTooLong(): SsmError {
  return validation(
    'Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html',
  );
}

/** AllowedPattern must match the whole value; a pattern that does not compile is the caller's error. */
function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    throw validation(`The allowed pattern ${pattern} is not a valid regular expression.`);
  }
}

/** PutParameter's checks in AWS's order (the first failing one is the answer); one function so that order reads top to bottom. */
export const putParameter: Operation = (body, ctx) => {
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
    throw validation(
      `1 validation error detected: Value '${typeIn}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`,
    );
  }
  if (tierIn !== undefined && !['Standard', 'Advanced', 'Intelligent-Tiering'].includes(tierIn)) {
    throw validation(
      `1 validation error detected: Value '${tierIn}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]`,
    );
  }
  const length = characters(value);
  if (length > MAX_VALUE.Advanced) {
    throw validation(
      `1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to ${MAX_VALUE.Advanced}`,
    );
  }
  if (keyIdIn !== undefined && (keyIdIn.length > 256 || !/^([a-zA-Z0-9:/_-]+)$/.test(keyIdIn))) {
    throw validation(
      `1 validation error detected: Value '${keyIdIn}' at 'keyId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-zA-Z0-9:/_-]+)$`,
    );
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
    throw validation(
      "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.",
    );
  }
  if (length > MAX_VALUE[tier]) throw standardTooLong();

  const allowedPattern = allowedPatternIn ?? previous?.allowedPattern;
  if (allowedPattern !== undefined && !compilePattern(allowedPattern).test(value)) {
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
    throw new SsmError(
      'ParameterLimitExceeded',
      'You have exceeded the number of parameters for this AWS account. Delete one or more parameters and try again.',
    );
  }

  const v = ctx.state.put(
    name,
    {
      type,
      value,
      ...(key && keyId ? { key, keyId, ciphertext: ctx.kms.encrypt(key, value) } : {}),
      modifiedBy: ctx.access.userArn(ctx.principal),
      ...((description ?? previous?.description) ? { description: description ?? previous?.description } : {}),
      ...(allowedPattern !== undefined ? { allowedPattern } : {}),
      tier,
      dataType,
    },
    tags,
  );
  return { Version: v.version, Tier: v.tier };
};

export const deleteParameter: Operation = (body, ctx) => {
  const name = requiredString(body, 'Name');
  raise(ctx.access.checkSsm(ctx.principal, 'DeleteParameter', arnOf(ctx, name)));
  ctx.state.delete(name);
  return {};
};

export const labelParameterVersion: Operation = (body, ctx) => {
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
