/**
 * A format is an encoder for one named consumer plus that consumer's parser,
 * used to verify every rendered file before it is written and to compare an
 * existing file with a new rendering (plan/check).
 */

/** Keys in output order, each with its string value. */
export type Entries = ReadonlyArray<readonly [key: string, value: string]>;

export interface RenderContext {
  /** The output path, for messages. */
  outputPath: string;
  /** For `template`: the template file (absolute path, for messages) and its text. */
  template?: { path: string; text: string };
}

export interface Format {
  name: string;
  /** Who reads the file, for --help and docs. */
  consumer: string;
  /** Whether dotted keys (`db.host`) become nested objects (json, yaml, php). */
  nests: boolean;
  /**
   * Extra check for key names (e.g. env variable syntax); returns the bad keys.
   * `render` refuses the same keys (UnrepresentableValueError) if they reach it.
   */
  invalidKeys(keys: readonly string[]): string[];
  /**
   * Render entries to file content. Deterministic (same entries, same bytes)
   * and ending with a newline, except `template`, which writes exactly its
   * template. Throws UnrepresentableValueError naming every key whose value
   * cannot be expressed, never the value itself (`template` also throws
   * ManifestError for template problems, with file and line).
   */
  render(entries: Entries, ctx: RenderContext): string;
  /**
   * Parse content the way the consumer would, back to flat key/value pairs
   * (dotted keys for nested formats). Used for round-trip verification and
   * plan diffs. Returns undefined when the content cannot be parsed, and
   * always for `template` (a rendered template cannot be read back).
   */
  parse(content: string, ctx: RenderContext): Record<string, string> | undefined;
}
