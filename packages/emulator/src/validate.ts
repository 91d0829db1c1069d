/**
 * Parameter Store's rules for names, paths, selectors, labels and values,
 * with AWS's own error wording (see the AWS Systems Manager API reference and the
 * messages moto copied from real AWS).
 */
import { SsmError, validation } from './ssm-error.js';
import type { Tier } from './types.js';

export const MAX_NAME_LENGTH = 1011;
export const MAX_LEVELS = 15;
export const MAX_VALUE: Record<Tier, number> = { Standard: 4096, Advanced: 8192 };
export const MAX_VERSIONS = 100;

/** Value limits count characters (code points), not UTF-16 units: an emoji is one. */
export function characters(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}
export const MAX_LABELS_PER_VERSION = 10;

const NAME_CHARS = /^[a-zA-Z0-9_.\-/]+$/;
const LABEL = /^[a-zA-Z0-9_.-]+$/;
const RESERVED = /^\/?(aws|ssm)/i;
/** Public parameters AWS lets anyone read although they sit under the reserved prefix. */
const READABLE_RESERVED = ['/aws/service/', '/aws/reference/secretsmanager/'];

const CHARSET_MESSAGE =
  'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

/** Shape checks shared by reads and writes; `undefined` when the name is well formed. */
function checkShape(name: string): SsmError | undefined {
  if (name.length === 0)
    return validation("1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1.");
  if (name.length > MAX_NAME_LENGTH) return validation(`Parameter name: the name can contain at most ${MAX_NAME_LENGTH} characters.`);
  if (!NAME_CHARS.test(name)) return validation(CHARSET_MESSAGE);
  if (name.includes('/') && !name.startsWith('/')) return validation('Parameter name must be a fully qualified name.');
  const segments = name.replace(/^\//, '').split('/');
  if (segments.some((s) => s === '')) return validation(CHARSET_MESSAGE);
  if (segments.length > MAX_LEVELS) {
    return new SsmError('HierarchyLevelLimitExceededException', `A hierarchy can have a maximum of ${MAX_LEVELS} levels.`);
  }
  return undefined;
}

/** A name as read by GetParameter(s): reserved prefixes only where AWS publishes parameters. */
export function checkReadName(name: string): SsmError | undefined {
  const shape = checkShape(name);
  if (shape) return shape;
  if (RESERVED.test(name) && !READABLE_RESERVED.some((p) => name.startsWith(p))) return validation(CHARSET_MESSAGE);
  return undefined;
}

/** A name as written by PutParameter: reserved prefixes refused, with AWS's distinctions. */
export function checkWriteName(name: string): SsmError | undefined {
  const shape = checkShape(name);
  if (shape) return shape;
  if (RESERVED.test(name)) {
    const isPath = (name.match(/\//g) ?? []).length > 1;
    if (isPath && /^\/aws/i.test(name)) return new SsmError('AccessDeniedException', `No access to reserved parameter name: ${name}.`);
    return validation(
      isPath
        ? 'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_'
        : 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).',
    );
  }
  return undefined;
}

const PATH_MESSAGE =
  'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/". It can\'t be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.';

/** GetParametersByPath's Path: `/`, `/a`, `/a/` (same as `/a`). */
export function checkPath(path: string): SsmError | undefined {
  if (!path.startsWith('/')) return validation(PATH_MESSAGE);
  if (path === '/') return undefined;
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  if (checkShape(trimmed)) return validation(PATH_MESSAGE);
  if (RESERVED.test(trimmed) && !READABLE_RESERVED.some((p) => (trimmed + '/').startsWith(p) || p.startsWith(trimmed + '/'))) {
    return validation(PATH_MESSAGE);
  }
  return undefined;
}

/** The key a parameter is stored under: `/Name` and `Name` are the same parameter. */
export function storageKey(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

export type Selector = { kind: 'version'; version: number; text: string } | { kind: 'label'; label: string; text: string };

export interface ParameterRef {
  /** As the caller wrote it, selector included. */
  raw: string;
  name: string;
  selector?: Selector;
  /** The selector cannot match anything (empty, or not a valid label). */
  impossible?: boolean;
}

/** `name`, `name:3` or `name:label`; names cannot contain `:`, so the last one separates. */
export function parseRef(raw: string): ParameterRef {
  const colon = raw.lastIndexOf(':');
  if (colon < 0) return { raw, name: raw };
  const name = raw.slice(0, colon);
  const text = raw.slice(colon + 1);
  if (/^[0-9]+$/.test(text)) return { raw, name, selector: { kind: 'version', version: Number(text), text: `:${text}` } };
  return { raw, name, selector: { kind: 'label', label: text, text: `:${text}` }, impossible: checkLabel(text) !== undefined };
}

/** Why a label is invalid, or undefined. Labels: `[a-zA-Z0-9._-]`, at most 100, not starting with a digit, aws or ssm. */
export function checkLabel(label: string): string | undefined {
  if (label.length === 0 || label.length > 100) return 'length must be 1..100';
  if (!LABEL.test(label)) return 'only letters, digits, . - _';
  if (/^[0-9]/.test(label)) return 'must not start with a digit';
  if (/^(aws|ssm)/i.test(label)) return 'must not start with aws or ssm';
  return undefined;
}
