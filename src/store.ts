/**
 * The seam between the pipeline and Parameter Store: fetch these names, list
 * this path. The AWS implementation lives in ssm.ts; tests of the pipeline can
 * use an in-memory one.
 */

export type ParameterType = 'String' | 'StringList' | 'SecureString';

export interface StoredParameter {
  /** The name as requested, including a `:version` / `:label` selector if one was used. */
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  /**
   * The bytes, when the store answered bytes rather than text (a Secrets
   * Manager secret stored as SecretBinary). `value` then holds their base64,
   * and only a `format: file` output may use the parameter (resolve.ts refuses
   * any other use by name).
   */
  binary?: Buffer;
}

export interface GetResult {
  /** Keyed by the requested name (selector included). */
  found: Map<string, StoredParameter>;
  /** Requested names that do not exist, or whose version/label does not. */
  missing: string[];
}

export interface ParameterStore {
  /** Fetch and decrypt any number of names; the implementation batches them. */
  get(names: readonly string[]): Promise<GetResult>;
  /** Every parameter below `path` (decrypted), following pagination to the end. */
  list(path: string, recursive: boolean): Promise<StoredParameter[]>;
}

/** Counts the API calls a run made, for `--verbose` and the summary. */
export interface CallStats {
  calls: Record<string, number>;
  retries: number;
  /** Attempts the store answered with a throttling error (each one also counts as a retry, unless it was the last). */
  throttled: number;
}

/** A store opened for one run: the two calls, the counts the summary reports, and a way to release its connections. */
export interface OpenedStore extends ParameterStore {
  readonly stats: CallStats;
  close(): void;
  /** The region it reads from, as resolved (also when the profile or the instance chose it); stores without regions have none. */
  region?(): Promise<string>;
}

/**
 * How a store is opened, the one name for it: given the region a run reads
 * from (undefined: as the environment, the profile or the instance says),
 * the store for it. The CLI's opens the AWS store (commands/common.ts:
 * storeOpener); tests pass one that returns an in-memory store.
 */
export type StoreOpener = (region: string | undefined) => Promise<OpenedStore>;
