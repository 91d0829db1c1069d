/**
 * The documented rule for a key made from a parameter's name under `paths:` (docs/manifest-guide.md):
 * the name relative to the path, `/` joined by `_`, every other character outside [A-Za-z0-9_]
 * made `_`, then upper-cased. Written out here independently of src/names.ts, as the oracle the
 * property tests hold the tool to.
 */
export const documentedPathKey = (relativeName: string): string =>
  relativeName
    .split('/')
    .join('_')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .toUpperCase();
