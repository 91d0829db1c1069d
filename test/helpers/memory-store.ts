/** An in-memory ParameterStore for pipeline tests: the seam, not a mock of our own logic. */
import type { GetResult, ParameterStore, StoredParameter } from '../../src/store.js';

export class MemoryStore implements ParameterStore {
  readonly calls: string[] = [];
  constructor(private readonly values: Record<string, string>) {}

  async get(names: readonly string[]): Promise<GetResult> {
    this.calls.push(`get ${names.length}`);
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
    const base = path.endsWith('/') ? path : `${path}/`;
    return Object.entries(this.values)
      .filter(([name]) => name.startsWith(base) && (recursive || !name.slice(base.length).includes('/')))
      .map(([name, value]) => ({ name, value, type: 'String' as const, version: 1 }));
  }
}
