/**
 * Records keyed by names from outside (manifest keys, lock files, parameter
 * names, JSON fields, seed files, the environment). An ordinary object
 * answers `constructor`, `toString` or `__proto__` from Object.prototype, and
 * `record['__proto__'] = v` replaces its prototype instead of storing a key.
 * So a record built from such names has no prototype, and a record that may
 * have one is read through `own`. The lint rule eslint-rules/prototype-lookups.ts
 * keeps every lookup in src/ and the emulator package to these two forms (or a Map).
 */

/** A record without a prototype: every key, `__proto__` included, is data. */
export function nullRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** The record's own entry for `key`, never an inherited member. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Store `value` as the record's own entry, even for `__proto__` on a record that has a prototype. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}
