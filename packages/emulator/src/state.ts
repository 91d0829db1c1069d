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

  get size(): number {
    return this.byKey.size;
  }

  get(name: string): ParameterEntry | undefined {
    return this.byKey.get(storageKey(name));
  }

  /** Sorted by name: the order GetParametersByPath and DescribeParameters list in. */
  all(): ParameterEntry[] {
    return [...this.byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
  }

  /** Parameters below a path: `/a` and `/a/` alike; `/ab` is not under `/a`. */
  under(path: string, recursive: boolean): ParameterEntry[] {
    let prefix = storageKey(path);
    if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
    return this.all().filter((p) => {
      const key = storageKey(p.name);
      if (!key.startsWith(prefix)) return false;
      return recursive || !key.slice(prefix.length).includes('/');
    });
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
      this.byKey.set(storageKey(name), parameter);
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
    if (!this.byKey.delete(storageKey(name))) throw parameterNotFound();
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
