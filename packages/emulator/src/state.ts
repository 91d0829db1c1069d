/**
 * The parameters: versions (oldest first, at most 100), labels, tags. Pure
 * bookkeeping: wire shapes, access rules and faults live elsewhere.
 */
import type { KmsKey } from './kms.js';
import { SsmError, parameterNotFound } from './ssm-error.js';
import { MAX_LABELS_PER_VERSION, MAX_VERSIONS, storageKey, type Selector } from './validate.js';
import type { ParameterType, Tier } from './types.js';

export interface Version {
  version: number;
  type: ParameterType;
  value: string;
  /** SecureString only: what a caller sees without decryption. */
  ciphertext?: string;
  /** SecureString only: the KeyId as the caller gave it, and the key it names. */
  keyId?: string;
  key?: KmsKey;
  labels: string[];
  /** Epoch seconds with fraction: the wire format of LastModifiedDate. */
  modified: number;
  modifiedBy: string;
  description?: string;
  allowedPattern?: string;
  tier: Tier;
  dataType: string;
}

export interface ParameterEntry {
  /** As written when it was created (`/Name` or `Name`). */
  name: string;
  versions: Version[];
  tags: { Key: string; Value: string }[];
}

export type NewVersion = Omit<Version, 'version' | 'labels' | 'modified'>;

export class ParameterState {
  private readonly byKey = new Map<string, ParameterEntry>();
  /** The storage keys in order, kept as parameters come and go, so that a listing page need not sort or scan the store. */
  private readonly sorted: string[] = [];

  get size(): number {
    return this.byKey.size;
  }

  get(name: string): ParameterEntry | undefined {
    return this.byKey.get(storageKey(name));
  }

  /** Sorted by name: the order GetParametersByPath and DescribeParameters list in. */
  all(): ParameterEntry[] {
    return this.sorted.map((key) => this.byKey.get(key) as ParameterEntry);
  }

  /**
   * Up to `limit` parameters below a path (`/a` and `/a/` alike; `/ab` is
   * not under `/a`; the empty path holds every parameter), in name order,
   * after the storage key `after`: a listing page. It starts by binary
   * search and looks at what it returns plus, not recursive, one key per
   * deeper subtree it jumps over; `visit` is called for each key looked at.
   */
  scan(path: string, recursive: boolean, after: string | undefined, limit: number, visit: () => void): ParameterEntry[] {
    let prefix = storageKey(path);
    if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
    // No name holds NUL: the first key at or after `after` + NUL is the first one after `after`.
    let i = Math.max(this.firstAtOrAfter(prefix), after === undefined ? 0 : this.firstAtOrAfter(`${after}\u0000`));
    const out: ParameterEntry[] = [];
    while (out.length < limit && i < this.sorted.length) {
      const key = this.sorted[i] as string;
      visit();
      if (!key.startsWith(prefix)) break;
      const slash = recursive ? -1 : key.indexOf('/', prefix.length);
      if (slash >= 0) {
        // '0' is the character after '/': the first key past this whole subtree.
        i = this.firstAtOrAfter(`${key.slice(0, slash)}0`);
        continue;
      }
      out.push(this.byKey.get(key) as ParameterEntry);
      i += 1;
    }
    return out;
  }

  /** Index in `sorted` of the first key at or after `key`. */
  private firstAtOrAfter(key: string): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.sorted[mid] as string) < key) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The version a selector names, the latest without one; undefined when there is none. */
  resolve(parameter: ParameterEntry, selector: Selector | undefined): Version | undefined {
    if (!selector) return parameter.versions.at(-1);
    if (selector.kind === 'version') return parameter.versions.find((v) => v.version === selector.version);
    return parameter.versions.find((v) => v.labels.includes(selector.label));
  }

  /** A new parameter, or a new version of an existing one (the caller checked Overwrite). */
  put(name: string, next: NewVersion, tags: ParameterEntry['tags'] = [], now = Date.now() / 1000): Version {
    let parameter = this.get(name);
    if (!parameter) {
      parameter = { name, versions: [], tags };
      const key = storageKey(name);
      this.byKey.set(key, parameter);
      this.sorted.splice(this.firstAtOrAfter(key), 0, key);
    }
    const versions = parameter.versions;
    if (versions.length >= MAX_VERSIONS) {
      // AWS drops the oldest version, unless a label pins it.
      const oldest = versions[0];
      if (oldest && oldest.labels.length > 0) {
        throw new SsmError(
          'ParameterMaxVersionLimitExceeded',
          `You attempted to create a new version of ${name} by calling the PutParameter API with the overwrite flag. Version ${oldest.version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
        );
      }
      versions.shift();
    }
    const version: Version = { ...next, version: (versions.at(-1)?.version ?? 0) + 1, labels: [], modified: now };
    versions.push(version);
    return version;
  }

  delete(name: string): void {
    const key = storageKey(name);
    if (!this.byKey.delete(key)) throw parameterNotFound();
    this.sorted.splice(this.firstAtOrAfter(key), 1);
  }

  /**
   * Attach labels to one version, moving each from whichever version held it.
   * Returns the labels that were refused for their format (AWS reports them
   * in InvalidLabels instead of failing).
   */
  label(parameter: ParameterEntry, target: Version, labels: string[], isInvalid: (l: string) => boolean): string[] {
    const invalid = labels.filter(isInvalid);
    const valid = [...new Set(labels.filter((l) => !isInvalid(l)))];
    const added = valid.filter((l) => !target.labels.includes(l));
    if (target.labels.length + added.length > MAX_LABELS_PER_VERSION) {
      throw new SsmError(
        'ParameterVersionLabelLimitExceeded',
        'A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.',
      );
    }
    for (const v of parameter.versions) {
      if (v !== target) v.labels = v.labels.filter((l) => !added.includes(l));
    }
    target.labels.push(...added);
    return invalid;
  }
}
