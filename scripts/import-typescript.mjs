// A TypeScript module of this repository as a module a plain-JS script can import: bundled with the
// sources it reads (their `.js` import specifiers resolved to `.ts`), its packages left as imports.
// Built under .tmp/ inside the repository, so that those packages resolve from its node_modules; the
// file is gone once imported. Used by the build (scripts/cli-docs.mjs, scripts/manifest-schema.mjs),
// the release (scripts/release.mjs) and the benches (bench/fleet.mjs).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');

/** The module at `entry` (a path relative to the repository's root), imported. */
export async function importTypeScript(entry) {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(root, '.tmp', 'ts-module-'));
  const outfile = join(dir, 'module.mjs');
  try {
    await build({
      entryPoints: [join(root, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      packages: 'external',
      logLevel: 'warning',
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
