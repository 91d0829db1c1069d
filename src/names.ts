/**
 * Parameter Store naming rules (from the AWS Systems Manager user guide, "Working with parameter hierarchies" and PutParameter's Name), shared by the manifest,
 * the policy generator and the key naming of `paths`.
 */
import { REGION_PATTERN } from './regions.js';

const NAME_CHARS = /^[a-zA-Z0-9_.\-/]+$/;
const MAX_LEVELS = 15;
const LABEL = /^[a-zA-Z0-9._-]{1,100}$/;
/** Reading these AWS-owned namespaces is allowed even though `aws` is reserved. */
const READABLE_AWS_PREFIXES = ['/aws/service/', '/aws/reference/secretsmanager/'];

/** Secrets Manager secrets read through Parameter Store: GetParameter(s) only, never by path. */
export const SECRETS_REFERENCE_PREFIX = '/aws/reference/secretsmanager/';
/** Secret names also allow `+ = @` (Secrets Manager's own rule). */
const SECRET_NAME_CHARS = /^[a-zA-Z0-9_.\-/+=@]+$/;

export function isSecretReference(name: string): boolean {
  return name.startsWith(SECRETS_REFERENCE_PREFIX);
}

/** The secret's own name: what some stores (moto) answer with instead of the reference. */
export function secretIdOf(reference: string): string {
  return reference.slice(SECRETS_REFERENCE_PREFIX.length);
}

export interface ParameterArnParts {
  partition: string;
  region: string;
  account: string;
  /** The parameter's name, with a leading slash (`parameter/app/db` -> `/app/db`). */
  name: string;
}

const PARAMETER_ARN = new RegExp(String.raw`^arn:(aws|aws-cn|aws-us-gov):ssm:(${REGION_PATTERN}):(\d{12}):parameter/(.+)$`);

/** A full parameter ARN (required for parameters shared through AWS RAM), without selector. */
export function parseParameterArn(raw: string): ParameterArnParts | undefined {
  const m = PARAMETER_ARN.exec(raw);
  if (!m) return undefined;
  return { partition: m[1]!, region: m[2]!, account: m[3]!, name: `/${m[4]!}` };
}

export function isArnName(raw: string): boolean {
  return raw.startsWith('arn:');
}

/**
 * `name:3` or `name:label`; names cannot contain `:`, so the last one
 * separates, except inside an ARN, whose own colons come before `parameter/`.
 */
export function splitSelector(raw: string): { name: string; selector: string | undefined } {
  const floor = isArnName(raw) ? raw.indexOf(':parameter/') + 1 : 0;
  const i = raw.lastIndexOf(':');
  return i < floor ? { name: raw, selector: undefined } : { name: raw.slice(0, i), selector: raw.slice(i + 1) };
}

/** Strip a selector: the name IAM and ARNs know. */
export function baseName(raw: string): string {
  return splitSelector(raw).name;
}

export function joinPrefix(prefix: string, name: string): string {
  return `${prefix.replace(/\/+$/, '')}/${name.replace(/^\/+/, '')}`;
}

/** Returns a problem description, or undefined when the name is valid. */
export function checkParameterName(name: string, selector?: string): string | undefined {
  if (!name) return 'empty parameter name';
  if (isArnName(name)) {
    const arn = parseParameterArn(name);
    if (!arn)
      return `invalid parameter ARN ${JSON.stringify(name)}: expected arn:aws:ssm:REGION:ACCOUNT:parameter/NAME (12-digit account, no leading slash after parameter/)`;
    if (arn.name.startsWith('//')) return `invalid parameter ARN ${JSON.stringify(name)}: one slash after parameter/ (parameter/app/db, not parameter//app/db)`;
    if (isReserved(arn.name)) return `invalid parameter ARN ${JSON.stringify(name)}: AWS-owned names are read by name, not by ARN`;
    return checkParameterName(arn.name, selector)?.replace(/parameter name "[^"]*"/, `parameter ARN ${JSON.stringify(name)}`);
  }
  if (isSecretReference(name)) {
    if (selector !== undefined)
      return `invalid reference ${JSON.stringify(`${name}:${selector}`)}: a Secrets Manager reference takes no :version or :label here (it reads the secret's current version)`;
    if (name === SECRETS_REFERENCE_PREFIX || !SECRET_NAME_CHARS.test(name) || name.includes('//') || name.endsWith('/')) {
      return `invalid Secrets Manager reference ${JSON.stringify(name)}: expected ${SECRETS_REFERENCE_PREFIX}SECRET-NAME (letters, digits and / _ + = . @ -)`;
    }
    return undefined;
  }
  if (!NAME_CHARS.test(name)) return `invalid parameter name ${JSON.stringify(name)}: only a-z A-Z 0-9 _ . - / are allowed`;
  if (name.includes('/') && !name.startsWith('/')) return `invalid parameter name ${JSON.stringify(name)}: a hierarchical name must start with /`;
  if (name.includes('//') || (name.length > 1 && name.endsWith('/'))) return `invalid parameter name ${JSON.stringify(name)}: empty path segment`;
  if (name.split('/').filter(Boolean).length > MAX_LEVELS) return `invalid parameter name ${JSON.stringify(name)}: more than ${MAX_LEVELS} levels`;
  if (isReserved(name) && !READABLE_AWS_PREFIXES.some((p) => name.startsWith(p))) {
    return `invalid parameter name ${JSON.stringify(name)}: names beginning with "aws" or "ssm" are reserved`;
  }
  if (selector !== undefined) {
    if (/^\d+$/.test(selector)) {
      if (Number(selector) < 1) return `invalid version selector ":${selector}" on ${name}: versions start at 1`;
    } else if (!LABEL.test(selector) || /^\d/.test(selector) || /^(aws|ssm)/i.test(selector)) {
      return `invalid selector ":${selector}" on ${name}: expected a version number or a label (letters, digits, . _ -, not starting with a digit, aws or ssm)`;
    }
  }
  return undefined;
}

export function isReserved(name: string): boolean {
  return /^\/?(aws|ssm)/i.test(name);
}

/** Returns a problem description, or undefined when the path is valid. */
export function checkPath(path: string): string | undefined {
  if (!path.startsWith('/')) return `invalid path ${JSON.stringify(path)}: must start with /`;
  if (path === '/') return undefined;
  return checkParameterName(path)?.replace('parameter name', 'path');
}

/** A path under `paths:`: valid, and one GetParametersByPath can list. */
export function checkListablePath(path: string): string | undefined {
  if (`${path}/`.startsWith(SECRETS_REFERENCE_PREFIX)) {
    return `invalid path ${JSON.stringify(path)}: Secrets Manager references cannot be listed by path (GetParametersByPath does not serve them); name each secret under \`values\``;
  }
  return checkPath(path);
}

/**
 * ARN of a parameter: one slash after `parameter`, whatever the name's form
 * (`/app/db` and `app` both work; `parameter//app` would match nothing).
 */
export function parameterArn(name: string, region: string, account: string, partition = 'aws'): string {
  const base = baseName(name);
  // A shared parameter's ARN names its owner's account and region: keep it.
  if (isArnName(base)) return base;
  return `arn:${partition}:ssm:${region}:${account}:parameter/${base.replace(/^\//, '')}`;
}

/**
 * The one naming rule for keys that come from `paths`: the part of the name
 * below the listed path, its segments joined with `_`, every character that
 * is not a letter, digit or `_` replaced by `_`, upper-cased.
 * `/myapp/prod/env` + `/myapp/prod/env/db/host-name` -> `DB_HOST_NAME`.
 */
export function keyForPathParameter(path: string, name: string): string {
  const base = path === '/' ? '/' : `${path}/`;
  const relative = name.startsWith(base) ? name.slice(base.length) : name.replace(/^\//, '');
  return relative
    .split('/')
    .filter(Boolean)
    .join('_')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .toUpperCase();
}
