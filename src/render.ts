/**
 * Rendering: each output's content in memory, by its format (src/formats/),
 * every rendering checked by its consumer's parser there. Nothing touches
 * disk; a value a format cannot write is refused by key, for every output at
 * once.
 */
import { ToolError, ExitCode, UnrepresentableValueError } from './errors.js';
import { getFormat, renderFileBytes } from './formats/index.js';
import { readTemplate } from './template-files.js';
import type { Entries, RenderContext } from './formats/types.js';
import type { OutputSpec } from './manifest.js';
import type { ResolvedOutput } from './resolve.js';

export interface RenderedOutput {
  spec: OutputSpec;
  /** Text for every format; bytes for a raw one (`file`), which may hold binary (decode: base64). */
  content: string | Buffer;
  keys: string[];
}

/** Render every output in memory; every unrepresentable key in every output is reported at once. */
export function renderOutputs(resolved: ResolvedOutput[]): RenderedOutput[] {
  const failures: Array<{ path: string; error: UnrepresentableValueError }> = [];
  const rendered: RenderedOutput[] = [];
  for (const { spec, entries, bytes } of resolved) {
    try {
      const content = renderOne(spec, entries, bytes);
      rendered.push({ spec, content, keys: entries.map(([k]) => k) });
    } catch (err) {
      if (err instanceof UnrepresentableValueError) failures.push({ path: spec.path, error: err });
      else throw err;
    }
  }
  if (failures.length) {
    // One error for all outputs, each line naming the file, format and keys.
    throw new ToolError('unrepresentable_value', ExitCode.output, failures.map((f) => `${f.path}: ${f.error.message}`).join('\n'), {
      hint: failures[0]?.error.hint,
      cause: failures[0]?.error,
      details: { outputs: failures.map((f) => ({ path: f.path, format: f.error.format, keys: f.error.keys })) },
    });
  }
  return rendered;
}

/**
 * One output's content from its entries (key names were checked by
 * parseManifest for `values` and resolveOutputs for `paths`). Throws
 * UnrepresentableValueError naming the keys a format cannot write.
 */
export function renderOne(spec: OutputSpec, entries: Entries, bytes?: Buffer): string | Buffer {
  const format = getFormat(spec.format);
  if (format.kind === 'raw') return bytes ?? renderFileBytes(entries, spec.decode);
  const ctx: RenderContext = { outputPath: spec.path };
  if (spec.template) ctx.template = { path: spec.template, text: readTemplate(spec.template) };
  return format.render(entries, ctx);
}
