/**
 * Listing helpers shared by GetParametersByPath and DescribeParameters:
 * opaque NextToken cursors, AWS-style short pages, and parameter filters.
 */
import { SsmError } from './ssm-error.js';
import type { ParameterEntry } from './state.js';
import { objectList, optionalString, requiredString, stringList, type Body } from './input.js';
import { storageKey } from './validate.js';

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
 * carry a NextToken. `candidates` gives those after a storage key, in order:
 * one more than the page is asked for, to know whether another page follows.
 */
export function paginate(
  candidates: (after: string | undefined, limit: number) => ParameterEntry[],
  max: number,
  token: string | undefined,
  scope: string,
  keep: (p: ParameterEntry) => boolean,
): { page: ParameterEntry[]; next?: string } {
  const after = decodeToken(token, scope);
  const rest = candidates(after, max + 1);
  const window = rest.slice(0, max);
  const last = window.at(-1);
  const page = window.filter(keep);
  if (rest.length <= max || !last) return { page };
  const next = Buffer.from(JSON.stringify({ after: storageKey(last.name), scope } satisfies Cursor)).toString('base64url');
  return { page, next };
}

export type Filter = { Key: string; Option: string; Values: string[] };

export function readFilters(body: Body, field: string, allowedKeys: string[]): Filter[] {
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

export function matchesFilter(p: ParameterEntry, f: Filter): boolean {
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
