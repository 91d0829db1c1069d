/**
 * Template files: read for rendering, and checked offline (`validate` and
 * the start of every run). Apart from render.ts so that `validate` loads only
 * the manifest, the formats and this.
 */
import { readFileSync } from 'node:fs';
import { ManifestError, type ManifestProblem } from './errors.js';
import { templateKeys } from './formats/index.js';
import type { Manifest } from './manifest.js';
import { chosenKeys } from './expand.js';

export function readTemplate(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ManifestError([{ file: path, line: 0, message: `cannot read template (${(err as NodeJS.ErrnoException).code ?? String(err)})` }], { cause: err });
  }
}

/**
 * Offline check of template outputs: the template parses, and every
 * placeholder names a key the output defines. (With `paths`, keys are only
 * known after the fetch; the renderer catches those.)
 */
export function checkTemplates(manifest: Manifest): void {
  const problems: ManifestProblem[] = [];
  for (const spec of manifest.outputs) {
    if (!spec.template) continue;
    const text = readTemplate(spec.template);
    let used: string[];
    try {
      used = templateKeys(text, spec.template);
    } catch (err) {
      if (err instanceof ManifestError) problems.push(...err.problems);
      else throw err;
      continue;
    }
    // Keys from paths and json "*" are only known after the fetch; the renderer catches those.
    if (spec.paths.length || spec.values.some((v) => v.json?.kind === 'all')) continue;
    const defined = new Set(spec.values.flatMap((v) => chosenKeys(v.json) ?? [v.key]));
    for (const key of used.filter((k) => !defined.has(k))) {
      problems.push({
        file: manifest.file,
        line: spec.line,
        message: `template ${spec.template} uses {{ ${key} }}, which this output does not define under \`values\``,
      });
    }
  }
  if (problems.length) throw new ManifestError(problems);
}
