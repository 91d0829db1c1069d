/**
 * The declared manifest schema (src/manifest-schema.ts) and everything that
 * follows from it stay in step: the reader reads every declared key and
 * refuses any other, the committed JSON Schema and the docs table are what
 * the schema makes, a real JSON Schema validator (ajv) accepts every manifest
 * the reader accepts here and refuses what the reader refuses where a JSON
 * Schema can say it, and the fuzz generator draws every declared key.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { parseManifest } from '../../src/manifest.js';
import { ManifestError, type ManifestProblem } from '../../src/errors.js';
import { keyPaths, manifestSchema, type Shape } from '../../src/manifest-schema.js';
import { declaredRules, JSON_SCHEMA_FILE, REFERENCE_END, REFERENCE_START, toJsonSchema, toMarkdownReference } from '../../src/manifest-schema-export.js';
import { hostileManifest, POOLED_KEYS } from '../reliability/manifest-arbitrary.js';
import { jsonSchemaValidator } from '../helpers/json-schema.js';

const root = join(import.meta.dirname, '..', '..');
const read = (file: string): string => readFileSync(join(root, file), 'utf8');

function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every manifest the project ships or keeps as a fixture: examples/ and test/fixtures/manifests/. */
const corpus = [...filesUnder('examples'), ...filesUnder('test/fixtures/manifests')]
  .filter((f) => /\.ya?ml$/.test(f) && /^version: 1$/m.test(read(f)) && /^outputs:/m.test(read(f)))
  .map((file) => ({ file, text: read(file) }));

/** Fill every `${VAR}` a manifest names (a region where the name says so). */
function envFor(text: string): Record<string, string> {
  const names = [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] ?? '');
  return Object.fromEntries(names.map((n) => [n, /REGION/.test(n) ? 'us-east-1' : 'x']));
}

function problemsOf(text: string): ManifestProblem[] {
  try {
    parseManifest(text, 'm.yaml', envFor(text), '/base');
    return [];
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    return err.problems;
  }
}

const { validate, errorsText } = jsonSchemaValidator(toJsonSchema());
const jsonSchemaAccepts = (text: string): boolean => validate(parseYaml(text)) === true;

/** A place in a document where a declared key is given: its schema path and the reader's `at`. */
interface Occurrence {
  keyPath: string;
  at: string;
  /** Property names from the document root to the key. */
  trail: Array<string | number>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where the declared keys occur in a parsed document, and every mapping with a fixed set of keys. */
function occurrences(
  shape: Shape,
  value: unknown,
  keyPath: string,
  at: string,
  trail: Array<string | number>,
  found: { keys: Occurrence[]; objects: Occurrence[] },
): void {
  if (shape.type === 'object' && isRecord(value)) {
    found.objects.push({ keyPath, at, trail });
    for (const [key, field] of Object.entries(shape.fields)) {
      if (!(key in value)) continue;
      const childPath = keyPath ? `${keyPath}.${key}` : key;
      const childAt = at ? `${at}.${key}` : key;
      found.keys.push({ keyPath: childPath, at: childAt, trail: [...trail, key] });
      occurrences(field.shape, value[key], childPath, childAt, [...trail, key], found);
    }
  } else if (shape.type === 'list' && Array.isArray(value)) {
    value.forEach((item, i) => occurrences(shape.items, item, `${keyPath}[]`, `${at}[${i}]`, [...trail, i], found));
  } else if (shape.type === 'map' && isRecord(value)) {
    for (const [key, item] of Object.entries(value)) occurrences(shape.values, item, `${keyPath}.${shape.keyName}`, `${at}.${key}`, [...trail, key], found);
  } else if (shape.type === 'either') {
    for (const option of shape.of) occurrences(option, value, keyPath, at, trail, found);
  }
}

function occurrencesIn(text: string): { keys: Occurrence[]; objects: Occurrence[] } {
  const found: { keys: Occurrence[]; objects: Occurrence[] } = { keys: [], objects: [] };
  occurrences(manifestSchema, parseYaml(text), '', '', [], found);
  return found;
}

/** The document with `value` set at `trail` (a key replaced, or added). */
function edited(text: string, trail: Array<string | number>, value: unknown): string {
  const doc: unknown = parseYaml(text);
  let node: unknown = doc;
  for (const step of trail.slice(0, -1)) node = Array.isArray(node) ? node[Number(step)] : isRecord(node) ? node[String(step)] : undefined;
  const last = trail[trail.length - 1];
  if (Array.isArray(node)) node[Number(last)] = value;
  else if (isRecord(node)) node[String(last)] = value;
  else throw new Error(`no mapping at ${trail.join('.')}`);
  return toYaml(doc);
}

describe('the declared manifest schema', () => {
  it('the committed JSON Schema and the docs table are what the schema makes (else: npm run schema)', () => {
    expect(JSON.parse(read(JSON_SCHEMA_FILE)), `${JSON_SCHEMA_FILE} is stale: run npm run schema`).toEqual(toJsonSchema());
    const docs = read('docs/manifest.md');
    const generated = docs.slice(docs.indexOf(REFERENCE_START) + REFERENCE_START.length, docs.indexOf(REFERENCE_END)).trim();
    expect(generated, 'docs/manifest.md is stale: run npm run schema').toBe(toMarkdownReference());
    for (const { path } of keyPaths()) expect(generated).toContain(`| \`${path}\` |`);
  });

  it('the npm package ships the JSON Schema', () => {
    const files: unknown = JSON.parse(read('package.json')).files;
    expect(files).toContain(JSON_SCHEMA_FILE.split('/')[0]);
  });

  it('every manifest in examples/ and test/fixtures/manifests/ is valid for the reader and for the JSON Schema', () => {
    expect(corpus.map((c) => c.file)).toEqual(expect.arrayContaining(['examples/materialize.yaml', 'test/fixtures/manifests/every-key.yaml']));
    for (const { file, text } of corpus) {
      expect(problemsOf(text), file).toEqual([]);
      expect(jsonSchemaAccepts(text), `${file}: ${errorsText()}`).toBe(true);
    }
  });

  it('every declared key occurs in that corpus, so the checks below reach it', () => {
    const seen = new Set(corpus.flatMap(({ text }) => occurrencesIn(text).keys.map((o) => o.keyPath)));
    const missing = keyPaths()
      .map((k) => k.path)
      .filter((p) => !seen.has(p));
    expect(missing, 'add these keys to test/fixtures/manifests/every-key.yaml').toEqual([]);
  });

  it('the reader reads every declared key: a wrong type there is refused at that key, by the reader and the JSON Schema', () => {
    const tried = new Set<string>();
    for (const { file, text } of corpus) {
      for (const { keyPath, at, trail } of occurrencesIn(text).keys) {
        if (tried.has(keyPath)) continue;
        tried.add(keyPath);
        // A list of lists is a wrong type for every key of the manifest.
        const bad = edited(text, trail, [[]]);
        const problems = problemsOf(bad);
        expect(
          problems.some((p) => p.at?.startsWith(at)),
          `${file} ${at}: ${JSON.stringify(problems)}`,
        ).toBe(true);
        expect(jsonSchemaAccepts(bad), `${file} ${at}`).toBe(false);
      }
    }
    expect([...tried].sort()).toEqual(
      keyPaths()
        .map((k) => k.path)
        .sort(),
    );
  });

  it('a key the schema does not declare is refused at every level, by the reader and the JSON Schema', () => {
    const tried = new Set<string>();
    for (const { file, text } of corpus) {
      for (const { keyPath, at, trail } of occurrencesIn(text).objects) {
        if (tried.has(keyPath)) continue;
        tried.add(keyPath);
        const bad = edited(text, [...trail, 'colour'], 'blue');
        expect(
          problemsOf(bad).map((p) => `${p.at ?? ''}: ${p.message}`),
          `${file} ${at}`,
        ).toContainEqual(expect.stringMatching(/^[^:]*: unknown key "colour"/));
        expect(jsonSchemaAccepts(bad), `${file} ${at}`).toBe(false);
      }
    }
    expect([...tried].sort()).toEqual(['', 'outputs[]', 'outputs[].paths[]', 'outputs[].values.KEY']);
  });
});

const VALID = `version: 1
outputs:
  - path: /srv/app/.env
    format: dotenv
    values: { A: /app/a }
`;
const withOutput = (lines: string): string => VALID.replace('    values: { A: /app/a }\n', lines);

/** Manifests the reader refuses, each with the reader's problem and whether a JSON Schema can say it. */
const REFUSED: Array<{ name: string; text: string; problem: RegExp; jsonSchema: 'refuses' | 'beyond a JSON Schema' }> = [
  { name: 'a list, not a mapping', text: '- version: 1\n', problem: new RegExp(`^${manifestSchema.expected}$`), jsonSchema: 'refuses' },
  { name: 'no version', text: VALID.replace('version: 1\n', ''), problem: /missing `version: 1`/, jsonSchema: 'refuses' },
  { name: 'version 2', text: VALID.replace('version: 1', 'version: 2'), problem: /only `version: 1`/, jsonSchema: 'refuses' },
  { name: 'version as a string', text: VALID.replace('version: 1', 'version: "1"'), problem: /only `version: 1`/, jsonSchema: 'refuses' },
  { name: 'no outputs', text: 'version: 1\n', problem: /missing `outputs:`/, jsonSchema: 'refuses' },
  { name: 'empty outputs', text: 'version: 1\noutputs: []\n', problem: /non-empty list of outputs/, jsonSchema: 'refuses' },
  { name: 'region and regions', text: `region: us-east-1\nregions: [us-west-2]\n${VALID}`, problem: /not both/, jsonSchema: 'refuses' },
  { name: 'a region twice', text: `regions: [us-east-1, us-east-1]\n${VALID}`, problem: /listed twice/, jsonSchema: 'refuses' },
  { name: 'no regions listed', text: `regions: []\n${VALID}`, problem: /expected a list of regions/, jsonSchema: 'refuses' },
  { name: 'not a region', text: `region: mars\n${VALID}`, problem: /not an AWS region name/, jsonSchema: 'refuses' },
  { name: 'unknown format', text: VALID.replace('format: dotenv', 'format: xml'), problem: /unknown format "xml"/, jsonSchema: 'refuses' },
  { name: 'no format', text: VALID.replace('    format: dotenv\n', ''), problem: /missing `format`/, jsonSchema: 'refuses' },
  { name: 'no path', text: VALID.replace('  - path: /srv/app/.env\n    format', '  - format'), problem: /missing `path`/, jsonSchema: 'refuses' },
  { name: 'a mode that is not octal', text: withOutput('    mode: "0999"\n    values: { A: /a }\n'), problem: /octal mode/, jsonSchema: 'refuses' },
  { name: 'an owner that is no name', text: withOutput('    owner: bad name\n    values: { A: /a }\n'), problem: /user\/group name/, jsonSchema: 'refuses' },
  {
    name: 'world_readable_secrets as text',
    text: withOutput('    world_readable_secrets: "yes"\n    values: { A: /a }\n'),
    problem: /true or false/,
    jsonSchema: 'refuses',
  },
  { name: 'neither values nor paths', text: withOutput(''), problem: /needs `values`, `paths`, or both/, jsonSchema: 'refuses' },
  { name: 'a template without its file', text: VALID.replace('format: dotenv', 'format: template'), problem: /needs `template:/, jsonSchema: 'refuses' },
  {
    name: 'a template file for another format',
    text: withOutput('    template: a.tmpl\n    values: { A: /a }\n'),
    problem: /only used with `format: template`/,
    jsonSchema: 'refuses',
  },
  {
    name: 'a parameter for another format',
    text: withOutput('    parameter: /a\n    values: { A: /a }\n'),
    problem: /only used with `format: file`/,
    jsonSchema: 'refuses',
  },
  {
    name: 'values in a file output',
    text: VALID.replace('format: dotenv', 'format: file\n    parameter: /k'),
    problem: /holds exactly one parameter/,
    jsonSchema: 'refuses',
  },
  {
    name: 'a file output without its parameter',
    text: VALID.replace('format: dotenv\n    values: { A: /app/a }', 'format: file'),
    problem: /needs `parameter: NAME`/,
    jsonSchema: 'refuses',
  },
  {
    name: 'an unknown decoding',
    text: VALID.replace('format: dotenv\n    values: { A: /app/a }', 'format: file\n    parameter: /k\n    decode: hex'),
    problem: /unknown decoding "hex"/,
    jsonSchema: 'refuses',
  },
  {
    name: 'a value entry without its parameter',
    text: withOutput('    values: { A: { optional: true } }\n'),
    problem: /missing `parameter`/,
    jsonSchema: 'refuses',
  },
  {
    name: 'a default without optional',
    text: withOutput('    values: { A: { parameter: /a, default: x } }\n'),
    problem: /only used with `optional: true`/,
    jsonSchema: 'refuses',
  },
  {
    name: 'json with optional',
    text: withOutput('    values: { A: { parameter: /a, json: "*", optional: true } }\n'),
    problem: /`optional` and `default` are not supported/,
    jsonSchema: 'refuses',
  },
  {
    name: 'allow_keys without json "*"',
    text: withOutput('    values: { A: { parameter: /a, allow_keys: [PATH] } }\n'),
    problem: /only used with `json: "\*"`/,
    jsonSchema: 'refuses',
  },
  {
    name: 'an empty json field path',
    text: withOutput('    values: { A: { parameter: /a, json: { K: "a..b" } } }\n'),
    problem: /dotted path/,
    jsonSchema: 'refuses',
  },
  { name: 'an empty json mapping', text: withOutput('    values: { A: { parameter: /a, json: {} } }\n'), problem: /expected `"\*"`/, jsonSchema: 'refuses' },
  {
    name: 'a lower-case key under a path',
    text: withOutput('    paths: [{ path: /a, keys: [db_host] }]\n'),
    problem: /never matches a key from a path/,
    jsonSchema: 'refuses',
  },
  { name: 'a lower-case key_prefix', text: withOutput('    paths: [{ path: /a, key_prefix: app_ }]\n'), problem: /is not a key prefix/, jsonSchema: 'refuses' },
  { name: 'a path entry without its path', text: withOutput('    paths: [{ recursive: true }]\n'), problem: /missing `path`/, jsonSchema: 'refuses' },
  // What needs Parameter Store's naming rules, the environment or other outputs stays with the reader.
  { name: 'a reserved parameter name', text: withOutput('    values: { A: /aws/secret }\n'), problem: /reserved/, jsonSchema: 'beyond a JSON Schema' },
  {
    name: 'a mode others may write',
    text: withOutput('    mode: "0666"\n    values: { A: /a }\n'),
    problem: /every user on the host write/,
    jsonSchema: 'beyond a JSON Schema',
  },
  {
    name: 'two outputs on one file',
    text: `${VALID}  - { path: /srv/app/.env, format: json, values: { B: /b } }\n`,
    problem: /also written by the output/,
    jsonSchema: 'beyond a JSON Schema',
  },
  {
    name: 'a key twice',
    text: withOutput('    values: { A: /a, B: { parameter: /b, json: { A: x } } }\n'),
    problem: /key A is defined twice/,
    jsonSchema: 'beyond a JSON Schema',
  },
  { name: 'a relative name without a prefix', text: withOutput('    values: { A: a/b }\n'), problem: /no leading slash/, jsonSchema: 'beyond a JSON Schema' },
];

it("every rule between keys is broken by one of these manifests, and the reader says the rule's declared message", () => {
  const said = new Set(REFUSED.flatMap(({ text }) => problemsOf(text).map((p) => p.message)));
  for (const { at, rule } of declaredRules()) expect(said.has(rule.message), `${at}: ${rule.message}`).toBe(true);
});

describe('the JSON Schema refuses what the reader refuses, where a JSON Schema can say it', () => {
  it.each(REFUSED)('$name', ({ text, problem, jsonSchema }) => {
    expect(problemsOf(text).map((p) => p.message)).toContainEqual(expect.stringMatching(problem));
    expect(jsonSchemaAccepts(text)).toBe(jsonSchema === 'beyond a JSON Schema');
  });
});

describe('the hostile-manifest fuzz generator', () => {
  it('draws every declared key, and pools values only for declared keys', () => {
    const drawn = new Set<string>();
    for (const doc of fc.sample(hostileManifest, { seed: 1, numRuns: 400 })) {
      const found: { keys: Occurrence[]; objects: Occurrence[] } = { keys: [], objects: [] };
      occurrences(manifestSchema, doc, '', '', [], found);
      for (const o of found.keys) drawn.add(o.keyPath);
    }
    const declared = keyPaths().map((k) => k.path);
    expect(declared.filter((p) => !drawn.has(p))).toEqual([]);
    expect(POOLED_KEYS.filter((p) => !declared.includes(p))).toEqual([]);
  });
});
