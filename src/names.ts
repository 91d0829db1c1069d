/**
 * Parameter Store naming rules (from the AWS Systems Manager user guide, "Working with parameter hierarchies" and PutParameter's Name), shared by the manifest,
 * the policy generator and the key naming of `paths`.
 */

const NAME_CHARS = /^[a-zA-Z0-9_.\-/]+$/;
const MAX_LEVELS = 15;
const LABEL = /^[a-zA-Z0-9._-]{1,100}$/;
/** Reading these AWS-owned namespaces is allowed even though `aws` is reserved. */
const READABLE_AWS_PREFIXES = ['/aws/service/', '/aws/reference/secretsmanager/'];

/** `name:3` or `name:label`; names cannot contain `:`, so the last one separates. */
export function splitSelector(raw: string): { name: string; selector: string | undefined } {
  const i = raw.lastIndexOf(':');
  return i < 0 ? { name: raw, selector: undefined } : { name: raw.slice(0, i), selector: raw.slice(i + 1) };
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

/**
 * ARN of a parameter: one slash after `parameter`, whatever the name's form
 * (`/app/db` and `app` both work; `parameter//app` would match nothing).
 */
export function parameterArn(name: string, region: string, account: string, partition = 'aws'): string {
  return `arn:${partition}:ssm:${region}:${account}:parameter/${baseName(name).replace(/^\//, '')}`;
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
