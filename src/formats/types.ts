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

/**
 * What a format's file is: the one thing code outside src/formats/ asks of a
 * format (never its name).
 *
 *   keys      a file of keys and values, each value quoted by the format
 *             itself; `parse` reads the keys back, so plan/check compare key
 *             by key and `exec` can take the entries as an environment
 *   template  the author's text, each value placed and quoted by the filter
 *             its placeholder names; needs `template:`, keys cannot be read
 *             back from the file
 *   raw       one parameter's value as the file's bytes, unquoted (binary
 *             included); takes `parameter:` (and `decode:`) instead of
 *             `values`/`paths`, and has no keys to compare or export
 */
export type FormatKind = 'keys' | 'template' | 'raw';

export interface Format {
  name: string;
  kind: FormatKind;
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
   * and ending with a newline, except a template, which writes exactly its
   * text. Throws UnrepresentableValueError naming every key whose value
   * cannot be expressed, never the value itself (`template` also throws
   * ManifestError for template problems, with file and line).
   */
  render(entries: Entries, ctx: RenderContext): string;
  /**
   * Parse content the way the consumer would, back to flat key/value pairs
   * (dotted keys for nested formats). Used for round-trip verification and
   * plan diffs. Returns undefined when the content cannot be parsed, and
   * always for the `template` and `raw` kinds (they cannot be read back).
   */
  parse(content: string, ctx: RenderContext): Record<string, string> | undefined;
}
