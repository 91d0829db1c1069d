/**
 * `init` starts the manifest with the modeline that gives editors the JSON
 * Schema (yaml-language-server reads it on the first line): the installed
 * package's copy when a node_modules beside the manifest or above it holds
 * one, else the npm CDN's copy of this version. The starter it writes is
 * valid for the reader and for that JSON Schema.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import packageJson from '../../package.json' with { type: 'json' };
import { runMain } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';
import { jsonSchemaValidator } from '../helpers/json-schema.js';

const root = join(import.meta.dirname, '..', '..');
const SCHEMA = join(root, 'schema', 'materialize.schema.json');
const tempDir = useTempDir();

const modeline = (manifest: string): string | undefined =>
  /^# yaml-language-server: \$schema=(\S+)$/.exec(readFileSync(manifest, 'utf8').split('\n')[0] ?? '')?.[1];
const validateWithJsonSchema = jsonSchemaValidator(JSON.parse(readFileSync(SCHEMA, 'utf8'))).validate;

describe('init: the JSON Schema modeline', () => {
  it('points into node_modules/ssm-materialize when the project installed it, relative to the manifest, even from a subdirectory', async () => {
    const project = tempDir();
    const installed = join(project, 'node_modules', 'ssm-materialize', 'schema', 'materialize.schema.json');
    mkdirSync(dirname(installed), { recursive: true });
    copyFileSync(SCHEMA, installed);
    mkdirSync(join(project, 'deploy'));
    for (const [manifest, expected] of [
      [join(project, 'materialize.yaml'), 'node_modules/ssm-materialize/schema/materialize.schema.json'],
      [join(project, 'deploy', 'materialize.yaml'), '../node_modules/ssm-materialize/schema/materialize.schema.json'],
    ] as const) {
      const r = await runMain(['init', '-o', manifest, '--prefix', '/myapp/prod']);
      expect(r.code, r.stderr).toBe(0);
      expect(modeline(manifest)).toBe(expected);
      // The editor resolves it against the manifest's directory: there is the installed schema.
      expect(resolve(dirname(manifest), expected)).toBe(installed);
    }
  });

  it('names the npm CDN copy of this version when no node_modules holds the schema; the starter is valid for the reader and the JSON Schema', async () => {
    const dir = tempDir();
    const manifest = join(dir, 'materialize.yaml');
    const r = await runMain(['init', '-o', manifest, '--prefix', '/myapp/prod']);
    expect(r.code, r.stderr).toBe(0);
    expect(modeline(manifest)).toBe(`https://cdn.jsdelivr.net/npm/ssm-materialize@${packageJson.version}/schema/materialize.schema.json`);
    // The same path inside the package the CDN serves: it is in package.json `files`.
    expect(packageJson.files).toContain('schema');
    expect((await runMain(['validate', '-m', manifest])).code).toBe(0);
    expect(validateWithJsonSchema(parseYaml(readFileSync(manifest, 'utf8')))).toBe(true);
  });

  it('from a .env, the proposed manifest is valid for the JSON Schema too', async () => {
    const dir = tempDir();
    const env = join(dir, '.env');
    const manifest = join(dir, 'materialize.yaml');
    writeFileSync(env, 'API_KEY=CANARY-schema\nDB_PASSWORD=CANARY-schema2\n');
    const r = await runMain(['init', '--from', env, '-o', manifest, '--prefix', '/myapp/${STAGE}']);
    expect(r.code, r.stderr).toBe(0);
    expect(validateWithJsonSchema(parseYaml(readFileSync(manifest, 'utf8'))), JSON.stringify(validateWithJsonSchema.errors)).toBe(true);
  });
});
