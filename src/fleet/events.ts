/**
 * Which "Parameter Store Change" events start a fleet refresh: exactly the
 * names the manifest reads, and everything below each of its `paths:`.
 * EventBridge sees only changes made in the rule's own account and region,
 * so names that change elsewhere (another account's parameters read by ARN,
 * AWS's public parameters) or through another service (Secrets Manager
 * references) cannot be matched: they are reported, not silently dropped.
 *
 * An event pattern may be at most 2,048 characters (the EventBridge quota);
 * a long manifest is split across several rules, and past MAX_RULES the
 * names are widened to their parent paths, which matches more changes than
 * the manifest reads: an extra refresh that rewrites nothing, never a missed one.
 */
import type { Manifest } from '../manifest.js';
import { baseName, isSecretReference, parseParameterArn } from '../names.js';

export const EVENT_SOURCE = 'aws.ssm';
export const EVENT_DETAIL_TYPE = 'Parameter Store Change';
export const MAX_PATTERN_CHARS = 2048;
/** Each rule is a resource with its own target; beyond this many, names are widened instead. */
export const MAX_RULES = 5;
const PUBLIC_PARAMETERS = '/aws/service/';

/** One entry of the pattern's `detail.name` list. */
export type NameMatch = string | { prefix: string };

export interface EventPattern {
  source: [typeof EVENT_SOURCE];
  'detail-type': [typeof EVENT_DETAIL_TYPE];
  detail: { name: NameMatch[] };
}

export interface ChangeMatching {
  patterns: EventPattern[];
  /** What the patterns cannot see, or see more widely than read: one sentence each. */
  notes: string[];
}

interface Reads {
  names: string[];
  prefixes: string[];
  notes: string[];
}

export function changeMatching(manifest: Manifest): ChangeMatching {
  const reads = matchableReads(manifest);
  let entries: NameMatch[] = [...reads.names, ...reads.prefixes.map((prefix) => ({ prefix }))];
  let patterns = packPatterns(entries);
  const notes = [...reads.notes];
  // Widen exact names to ever shorter parent paths until the rules fit.
  for (let depth = deepest(reads.names); patterns.length > MAX_RULES && depth > 0; depth--) {
    const widened = widenNames(reads.names, reads.prefixes, depth);
    entries = [...widened.names, ...widened.prefixes.map((prefix) => ({ prefix }))];
    patterns = packPatterns(entries);
    if (patterns.length <= MAX_RULES) {
      notes.push(
        `the manifest's names need more than ${MAX_RULES} rules of ${MAX_PATTERN_CHARS} characters: they are matched by their parent paths (${widened.prefixes.join(', ')}), so a change next to a name the manifest reads also starts a refresh (it rewrites nothing)`,
      );
    }
  }
  return { patterns, notes };
}

/** Names and path prefixes an own-account, own-region rule can see; the rest as notes. */
function matchableReads(manifest: Manifest): Reads {
  const notes: string[] = [];
  const names = new Set<string>();
  const secrets: string[] = [];
  const publics: string[] = [];
  const arns: string[] = [];
  for (const output of manifest.outputs) {
    for (const v of output.values) {
      const name = baseName(v.parameter);
      const arn = parseParameterArn(name);
      if (isSecretReference(name)) secrets.push(name);
      else if (name.startsWith(PUBLIC_PARAMETERS)) publics.push(name);
      else if (arn) {
        arns.push(name);
        names.add(arn.name);
      } else names.add(name);
    }
  }
  const paths = [...new Set(manifest.outputs.flatMap((o) => o.paths.map((p) => p.path)))];
  const prefixes = dedupePrefixes(paths.map(prefixOf));
  const exact = [...names].filter((n) => !prefixes.some((p) => n.startsWith(p))).sort();
  if (secrets.length) {
    notes.push(
      `Secrets Manager references (${unique(secrets).join(', ')}) change in Secrets Manager, which emits no "Parameter Store Change" event (only CloudTrail API-call events): they are refreshed by the check association's schedule, not on change`,
    );
  }
  if (publics.length) notes.push(`AWS public parameters (${unique(publics).join(', ')}) change in AWS's own account, which this rule cannot see`);
  if (arns.length) {
    notes.push(
      `parameters read by ARN (${unique(arns).join(', ')}) are matched by name; if one is shared from another account (AWS RAM), its changes happen in the owner's account and never reach this rule: the check association finds them`,
    );
  }
  if (manifest.region) notes.push(`the manifest reads region ${manifest.region}: deploy the stack there, since a rule sees only its own region's changes`);
  return { names: exact, prefixes, notes };
}

/** `/myapp/prod` lists `/myapp/prod/...`: the prefix ends in a slash, so `/myapp/prod-old/x` does not match. */
function prefixOf(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

/** Shortest first; a prefix inside another is dropped. */
function dedupePrefixes(prefixes: string[]): string[] {
  const sorted = [...new Set(prefixes)].sort((a, b) => a.length - b.length || a.localeCompare(b));
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => p.startsWith(q))).sort();
}

function widenNames(names: string[], prefixes: string[], depth: number): { names: string[]; prefixes: string[] } {
  const widened = names.map((n) => {
    const parts = n.split('/');
    // `/a/b/c` at depth 2 -> `/a/b/`; a name already that shallow stays exact.
    return parts.length - 1 > depth ? `${parts.slice(0, depth + 1).join('/')}/` : undefined;
  });
  const all = dedupePrefixes([...prefixes, ...widened.filter((p): p is string => p !== undefined)]);
  const exact = names.filter((n, i) => widened[i] === undefined && !all.some((p) => n.startsWith(p)));
  return { names: exact, prefixes: all };
}

function deepest(names: string[]): number {
  return Math.max(0, ...names.map((n) => n.split('/').length - 2));
}

/** Greedy: as many entries per pattern as fit in MAX_PATTERN_CHARS, in order. */
function packPatterns(entries: NameMatch[]): EventPattern[] {
  const patterns: EventPattern[] = [];
  let current: NameMatch[] = [];
  for (const entry of entries) {
    if (current.length && patternLength([...current, entry]) > MAX_PATTERN_CHARS) {
      patterns.push(pattern(current));
      current = [];
    }
    current.push(entry);
  }
  if (current.length) patterns.push(pattern(current));
  return patterns;
}

export function pattern(names: NameMatch[]): EventPattern {
  return { source: [EVENT_SOURCE], 'detail-type': [EVENT_DETAIL_TYPE], detail: { name: names } };
}

/** The length EventBridge counts: the pattern as compact JSON. */
export function patternLength(names: NameMatch[]): number {
  return JSON.stringify(pattern(names)).length;
}

const unique = (xs: string[]): string[] => [...new Set(xs)].sort();
