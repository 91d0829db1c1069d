// The shell completions and the man page, from the command definitions
// (scripts/cli-reference.ts). `npm run build` writes them into dist/
// (scripts/bundle.mjs, buildDist), `npm run release` beside the executables.
//   node scripts/cli-docs.mjs          write them into dist/
//   node scripts/cli-docs.mjs --docs   rewrite docs/commands.md (a test keeps it in step)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importTypeScript } from './import-typescript.mjs';

const root = join(import.meta.dirname, '..');

/** scripts/cli-reference.ts, compiled with the sources it reads (its packages stay imports from node_modules). */
const loadReference = () => importTypeScript('scripts/cli-reference.ts');

/** Writes the completions and the man page under `dir` (dist/ or a release directory); `flat`: all three in `dir` itself. Returns their paths, relative to `dir`. */
export async function writeCliReference(dir, { flat = false } = {}) {
  const reference = await loadReference();
  const { FILES, DIST_DIRS } = reference;
  const contents = { bash: reference.bashCompletion(), zsh: reference.zshCompletion(), man: reference.manPage() };
  return Object.entries(contents).map(([kind, text]) => {
    const relative = flat ? FILES[kind] : join(DIST_DIRS[kind], FILES[kind]);
    mkdirSync(join(dir, flat ? '' : DIST_DIRS[kind]), { recursive: true });
    writeFileSync(join(dir, relative), text, { mode: 0o644 });
    return relative;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--docs')) {
    writeFileSync(join(root, 'docs', 'commands.md'), (await loadReference()).commandsMarkdown());
  } else {
    await writeCliReference(join(root, 'dist'));
  }
}
