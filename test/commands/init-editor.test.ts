/**
 * What an editor does with the manifest `init` writes: the real
 * yaml-language-server (the engine of VS Code's YAML extension) follows the
 * modeline to the installed package's JSON Schema, finds nothing wrong with
 * the starter, completes every output key and every format, shows each key's
 * description on hover, and marks what the reader refuses as well.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getLanguageService, type LanguageService } from 'yaml-language-server';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { formatNames } from '../../src/formats/index.js';
import { manifestSchema, outputSchema, ruleFor } from '../../src/manifest-schema.js';
import { runMain } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';

const SCHEMA = join(import.meta.dirname, '..', '..', 'schema', 'materialize.schema.json');
const tempDir = useTempDir();

/** A language service that reads schemas from files only (an editor offline), recording what it asked for. */
function editor(): { service: LanguageService; requested: string[] } {
  const requested: string[] = [];
  const service = getLanguageService({
    schemaRequestService: async (uri) => {
      requested.push(uri);
      if (!uri.startsWith('file:')) throw new Error(`no network in tests: ${uri}`);
      return readFileSync(fileURLToPath(uri), 'utf8');
    },
    workspaceContext: { resolveRelativePath: (path, resource) => pathToFileURL(resolve(dirname(fileURLToPath(resource)), path)).href },
  });
  service.configure({ validate: true, completion: true, hover: true, schemas: [] });
  return { service, requested };
}

/** A project that installed ssm-materialize, and the starter manifest `init` wrote in it. */
async function starter(): Promise<{ manifest: string; installed: string; text: string }> {
  const project = tempDir();
  const installed = join(project, 'node_modules', 'ssm-materialize', 'schema', 'materialize.schema.json');
  mkdirSync(dirname(installed), { recursive: true });
  copyFileSync(SCHEMA, installed);
  const manifest = join(project, 'materialize.yaml');
  const r = await runMain(['init', '-o', manifest, '--prefix', '/myapp/prod']);
  expect(r.code, r.stderr).toBe(0);
  return { manifest, installed, text: readFileSync(manifest, 'utf8') };
}

const document = (manifest: string, text: string): TextDocument => TextDocument.create(pathToFileURL(manifest).href, 'yaml', 1, text);
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle));

describe('init: the manifest in an editor (yaml-language-server)', () => {
  it('follows the modeline to the installed schema and finds nothing wrong with the starter', async () => {
    const { manifest, installed, text } = await starter();
    const { service, requested } = editor();
    expect(await service.doValidation(document(manifest, text), false)).toEqual([]);
    expect(requested).toEqual([pathToFileURL(installed).href]);
  });

  it('completes the keys an output may still take, and every format', async () => {
    const { manifest, text } = await starter();
    const { service } = editor();
    // A new key in the first output, on its own line after `mode:`.
    const withNewKey = text.replace('    mode: "0600"\n', '    mode: "0600"\n    \n');
    const at = lineOf(withNewKey, 'mode: "0600"') + 1;
    const keys = (await service.doComplete(document(manifest, withNewKey), { line: at, character: 4 }, false)).items.map((i) => i.label);
    const present = ['path', 'format', 'mode', 'values'];
    expect(keys.sort()).toEqual(
      Object.keys(outputSchema.fields)
        .filter((k) => !present.includes(k))
        .sort(),
    );

    const emptyFormat = text.replace(/format: dotenv[^\n]*/, 'format: ');
    const formatLine = lineOf(emptyFormat, 'format: ');
    const formats = (await service.doComplete(document(manifest, emptyFormat), { line: formatLine, character: '    format: '.length }, false)).items.map(
      (i) => i.label,
    );
    expect(formats.sort()).toEqual([...formatNames].sort());
  });

  it("shows a key's description from the schema on hover", async () => {
    const { manifest, text } = await starter();
    const { service } = editor();
    const line = lineOf(text, '  - path: ');
    const hover = await service.doHover(document(manifest, text), { line, character: 5 });
    expect(JSON.stringify(hover?.contents)).toContain(outputSchema.fields.path.description);
  });

  it("marks an unknown key, an unknown format and region with regions, each on its line, the last with the reader's message", async () => {
    const { manifest, text } = await starter();
    const { service } = editor();
    const bad = text
      .replace('version: 1\n', 'version: 1\nregion: us-east-1\nregions: [us-west-2]\n')
      .replace(/format: dotenv[^\n]*/, 'format: xml')
      .replace('    mode: "0600"\n', '    mode: "0600"\n    colour: blue\n');
    const diagnostics = (await service.doValidation(document(manifest, bad), false)).map((d) => ({ line: d.range.start.line, message: d.message }));
    expect(diagnostics).toEqual(
      expect.arrayContaining([
        { line: lineOf(bad, 'format: xml'), message: expect.stringMatching(/dotenv/) },
        { line: lineOf(bad, 'colour: blue'), message: expect.stringMatching(/colour/) },
        // The reader's own message, on the key it refuses.
        { line: lineOf(bad, 'region: us-east-1'), message: ruleFor(manifestSchema, 'excludes', 'regions').message },
      ]),
    );
  });
});
