/** An in-memory ParameterStore for pipeline tests: the seam, not a mock of our own logic. */
import type { CallStats, GetResult, OpenedStore, StoredParameter } from '../../src/store.js';
import { fetchAll, planFetch } from '../../src/fetch.js';
import { parseManifest } from '../../src/manifest.js';
import { resolveOutputs, type ResolvedOutput } from '../../src/resolve.js';

export class MemoryStore implements OpenedStore {
  readonly calls: string[] = [];
  readonly stats: CallStats = { calls: {}, retries: 0, throttled: 0 };
  closed = false;
  constructor(private readonly values: Record<string, string>) {}

  async get(names: readonly string[]): Promise<GetResult> {
    this.calls.push(`get ${names.length}`);
    this.count('GetParameters');
    const found = new Map<string, StoredParameter>();
    const missing: string[] = [];
    for (const name of names) {
      const value = this.values[name];
      if (value === undefined) missing.push(name);
      else found.set(name, { name, value, type: 'SecureString', version: 1 });
    }
    return { found, missing };
  }

  async list(path: string, recursive: boolean): Promise<StoredParameter[]> {
    this.calls.push(`list ${path}`);
    this.count('GetParametersByPath');
    const base = path.endsWith('/') ? path : `${path}/`;
    return Object.entries(this.values)
      .filter(([name]) => name.startsWith(base) && (recursive || !name.slice(base.length).includes('/')))
      .map(([name, value]) => ({ name, value, type: 'String' as const, version: 1 }));
  }

  /** Change or add a value between runs. */
  set(name: string, value: string): void {
    this.values[name] = value;
  }

  close(): void {
    this.closed = true;
  }

  private count(operation: string): void {
    this.stats.calls[operation] = (this.stats.calls[operation] ?? 0) + 1;
  }
}

/**
 * A manifest's outputs resolved from `values` held in a MemoryStore: the
 * pipeline's first steps (parse, fetch, resolve), where the key gate and the
 * value checks decide, with no file written.
 */
export async function resolveFromMemory(text: string, values: Record<string, string>): Promise<ResolvedOutput[]> {
  const manifest = parseManifest(text, 'm.yaml', {}, '/out');
  return resolveOutputs(manifest, await fetchAll(new MemoryStore(values), planFetch(manifest)));
}
