/**
 * Hostile input. Whatever a manifest holds, the tool answers with a
 * ManifestError (exit 2) that names the file and a line, never another
 * exception, a stack trace or a crashed process; and whatever value the store
 * holds, it either comes back exactly through the output's consumer or is
 * refused by key (exit 6), never quoted.
 *
 * In-process fuzzing with fast-check under a fixed seed (FUZZ_SEED to explore,
 * FUZZ_RUNS for more cases per property), plus a sample of the same inputs
 * through the whole CLI (`main(argv, io)`: exit code, stdout, stderr), where
 * a crash would show as a different exit code; the deepest input also
 * through the built binary, whose stack is the one a user's run has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { stringify as toYaml } from 'yaml';
import { loadManifest, parseManifest, type Manifest } from '../../src/manifest.js';
import { fetchAll, planFetch } from '../../src/fetch.js';
import { resolveOutputs } from '../../src/resolve.js';
import { renderOutputs } from '../../src/render.js';
import { ManifestError, ReservedKeyError, ToolError, UnrepresentableValueError } from '../../src/errors.js';
import { formatNames, formats } from '../../src/formats/index.js';
import { checkParameterName } from '../../src/names.js';
import { untrustedKeyFamily } from '../../src/trust/keys.js';
import { MemoryStore } from '../helpers/memory-store.js';
import { readDotenv, readJson, readYaml } from '../helpers/consumers.js';
import { runCliInProcess } from '../helpers/main.js';
import { cli, cliEnv, emulatorWith, expectCleanError } from './harness.js';
import { hostileManifest } from './manifest-arbitrary.js';
import { FUZZ_SEED, fuzzRuns, recordFigure } from './figures.js';
import { documentedPathKey } from '../helpers/path-keys.js';

const FILE = '/fuzz/materialize.yaml';
const BASE = '/fuzz';
let cases = 0;
const counted = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T> => arb.map((v) => (cases++, v));
const params = (numRuns: number): fc.Parameters<unknown> => ({ seed: FUZZ_SEED, numRuns: fuzzRuns(numRuns), endOnFailure: false });

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ssm-hostile-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  recordFigure('hostile', 'fuzz cases tried', cases);
});

const lineCount = (text: string): number => text.split('\n').length;
/** File-level problems (size, type, unreadable) have no line; everything else must. */
const FILE_LEVEL = /too large|not a regular file|no such file|cannot read/;

/**
 * The contract for any input: a valid manifest, or a ManifestError whose every
 * problem names the file and a line inside it. Anything else fails the case.
 */
function expectManifestOutcome(run: () => Manifest, file: string, text: string | undefined): 'valid' | 'refused' {
  let manifest: Manifest;
  try {
    manifest = run();
  } catch (err) {
    if (!(err instanceof ManifestError)) {
      throw new Error(`expected a ManifestError, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.stack ?? String(err)}`);
    }
    expect(err.exitCode).toBe(2);
    expect(err.problems.length).toBeGreaterThan(0);
    for (const p of err.problems) {
      expect(p.file).toBe(file);
      expect(typeof p.message === 'string' && p.message.length > 0).toBe(true);
      if (!FILE_LEVEL.test(p.message)) {
        expect(Number.isInteger(p.line) && p.line >= 1, `problem without a line: ${JSON.stringify(p)}`).toBe(true);
        if (text !== undefined) expect(p.line).toBeLessThanOrEqual(lineCount(text));
      }
    }
    expect(err.message).not.toMatch(/\n\s+at .*:\d+:\d+/);
    return 'refused';
  }
  // Whatever was accepted is well-formed for the pipeline.
  expect(manifest.outputs.length).toBeGreaterThan(0);
  for (const o of manifest.outputs) {
    expect(o.path.startsWith('/')).toBe(true);
    expect(formatNames).toContain(o.format);
    expect(o.mode).toBeGreaterThanOrEqual(0);
    expect(o.mode).toBeLessThanOrEqual(0o777);
    expect(o.values.length + o.paths.length).toBeGreaterThan(0);
    for (const v of o.values) {
      const i = v.parameter.lastIndexOf(':');
      const [name, selector] = i < 0 ? [v.parameter, undefined] : [v.parameter.slice(0, i), v.parameter.slice(i + 1)];
      expect(checkParameterName(name, selector)).toBeUndefined();
    }
  }
  return 'valid';
}

const parse =
  (text: string, env: Record<string, string> = {}) =>
  () =>
    parseManifest(text, FILE, env, BASE);

// ---------------------------------------------------------------- generators

// Every key the manifest schema declares, drawn from the schema itself (manifest-arbitrary.ts).

/** YAML's special characters and constructs, to build token soup and to splice into documents. */
const TOKENS = [
  '&a ',
  '*a',
  '<<: *a\n',
  '<<: ',
  '!!binary ',
  '!!str ',
  '!tag ',
  '? ',
  ': ',
  '- ',
  '---\n',
  '...\n',
  '%YAML 1.1\n',
  '%TAG ! x\n',
  '|\n',
  '>-\n',
  '"',
  "'",
  '\t',
  '{',
  '[',
  '}',
  ']',
  ',',
  '#',
  '\\',
  '\0',
  '\uFEFF',
  '\u2028',
  '\u0085',
  '\r',
  '\n',
  '  ',
  'version: 1\n',
  'outputs:\n',
  '  - path: a\n',
  '    format: dotenv\n',
  '    values: { A: /a }\n',
  '${',
  '}',
  '$${',
  'null',
  '~',
  '0x1F',
  '.inf',
  '@',
  '`',
  '%',
];
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((t) => t.join(''));

type Mutation = { kind: 'bom' | 'crlf' | 'cr' | 'dup' | 'del' | 'insert' | 'truncate'; at: number; token: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('bom', 'crlf', 'cr', 'dup', 'del', 'insert', 'truncate'),
  at: fc.nat(),
  token: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4, unit: 'binary' })),
});
function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const i = lines.length ? m.at % lines.length : 0;
  const pos = text.length ? m.at % text.length : 0;
  switch (m.kind) {
    case 'bom':
      return '\uFEFF' + text;
    case 'crlf':
      return text.replace(/\n/g, '\r\n');
    case 'cr':
      return text.replace(/\n/g, '\r');
    case 'dup': // duplicate keys, usually
      return [...lines.slice(0, i + 1), lines[i] ?? '', ...lines.slice(i + 1)].join('\n');
    case 'del':
      return [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n');
    case 'insert':
      return text.slice(0, pos) + m.token + text.slice(pos);
    case 'truncate':
      return text.slice(0, pos);
  }
}
/** Close to valid, so that the accepting side of the parser is exercised as well. */
const nearlyValid = fc.record({
  version: fc.constant(1),
  prefix: fc.constantFrom('/app', '/app/x-y'),
  outputs: fc.array(
    fc.record({
      path: fc.constantFrom('a.env', '/abs/out.json', 'sub/x.yaml'),
      format: fc.constantFrom(...formatNames.filter((f) => formats[f].kind !== 'template')),
      mode: fc.constantFrom('0600', '0640', '0400'),
      values: fc.dictionary(
        fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/),
        fc.oneof(
          fc.stringMatching(/^\/?[a-z0-9_.-]{1,10}$/),
          fc.record({ parameter: fc.constantFrom('a', '/b/c', 'd:3'), optional: fc.constant(true), default: fc.string({ maxLength: 6 }) }),
        ),
        { minKeys: 1, maxKeys: 4 },
      ),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});
const serialized = fc
  .tuple(fc.oneof(hostileManifest, nearlyValid), fc.constantFrom('yaml', 'yaml-flow', 'json', 'json-pretty'), fc.array(mutation, { maxLength: 3 }))
  .map(([obj, how, mutations]) => {
    const text =
      how === 'json'
        ? JSON.stringify(obj)
        : how === 'json-pretty'
          ? JSON.stringify(obj, null, 2)
          : toYaml(obj, how === 'yaml-flow' ? { collectionStyle: 'flow' } : {});
    return mutations.reduce(mutate, text ?? '');
  });

/** A manifest that parses, to splice hostile pieces into. */
const VALID = `version: 1
prefix: /app
outputs:
  - path: out.env
    format: dotenv
    values:
      API_KEY: api-key
      DB: { parameter: /app/db, optional: true, default: x }
    paths:
      - { path: env, recursive: true }
`;

// ---------------------------------------------------------------- manifests

describe('hostile manifests through parseManifest / loadManifest', () => {
  it('the valid base manifest parses (so refusals below are about the hostile part)', () => {
    expect(expectManifestOutcome(parse(VALID), FILE, VALID)).toBe('valid');
  });

  it('random structures with wrong types, unknown keys and textual mutations: valid or ManifestError with file:line', () => {
    const outcomes = { valid: 0, refused: 0 };
    fc.assert(
      fc.property(counted(serialized), (text) => {
        outcomes[expectManifestOutcome(parse(text), FILE, text)]++;
      }),
      params(1000),
    );
    // The generator must exercise both sides, or it proves little.
    expect(outcomes.refused).toBeGreaterThan(100);
    expect(outcomes.valid).toBeGreaterThan(10);
  });

  it('random code points and YAML token soup: ManifestError with file:line, never another exception', () => {
    fc.assert(
      fc.property(
        counted(
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 200 }),
            tokenSoup,
            tokenSoup.map((t) => VALID + t),
            tokenSoup.map((t) => t + VALID),
          ),
        ),
        (text) => {
          expectManifestOutcome(parse(text), FILE, text);
        },
      ),
      params(1000),
    );
  });

  it('random bytes from a file (non-UTF-8, BOM, NUL): loadManifest answers ManifestError or a manifest', () => {
    const file = join(scratch, 'bytes.yaml');
    fc.assert(
      fc.property(
        counted(
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }),
            fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([at, bad]) => {
              const b = Buffer.from(VALID);
              const i = at % b.length;
              return Buffer.concat([b.subarray(0, i), Buffer.from(bad), b.subarray(i)]);
            }),
          ),
        ),
        (bytes) => {
          writeFileSync(file, bytes);
          const text = Buffer.from(bytes).toString('latin1');
          expectManifestOutcome(() => loadManifest(file, {}), file, text);
        },
      ),
      params(1000),
    );
  });

  it('invalid UTF-8 is reported at the line of the first bad byte', () => {
    const file = join(scratch, 'latin1.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from('version: 1\noutputs:\n  - path: caf'), Buffer.from([0xe9]), Buffer.from('.env\n')]));
    const err = catchError(() => loadManifest(file, {}));
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).problems).toEqual([expect.objectContaining({ file, line: 3, message: expect.stringMatching(/UTF-8/) })]);
  });

  const named: Array<[string, string, RegExp]> = [
    ['an alias', VALID.replace('API_KEY: api-key', 'API_KEY: &k api-key\n      OTHER: *k'), /alias/i],
    ['a merge key', VALID.replace('    format: dotenv', '    <<: { format: dotenv }'), /<<|merge|unknown key/i],
    ['a merge key from an anchor', `base: &b { format: dotenv }\n${VALID.replace('    format: dotenv', '    <<: *b')}`, /alias|unknown key/i],
    [
      'a billion-laughs alias bomb',
      `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n${VALID}`,
      /alias/i,
    ],
    ['a duplicate top-level key', VALID.replace('prefix: /app', 'prefix: /app\nprefix: /other'), /unique|duplicate/i],
    ['a duplicate value key', VALID.replace('API_KEY: api-key', 'API_KEY: api-key\n      API_KEY: other'), /unique|duplicate|twice/i],
    ['an unset ${VAR}', VALID.replace('prefix: /app', 'prefix: /app/${STAGE}'), /STAGE is not set/],
    ['a tab in the indentation', VALID.replace('      API_KEY', '\t    API_KEY'), /./],
    ['two documents', `${VALID}---\n${VALID}`, /./],
    ['a NUL byte', VALID.replace('api-key', 'api\0key'), /./],
    ['a binary tag', VALID.replace('version: 1', 'version: !!binary AQ=='), /version/],
    ['an empty document', '', /mapping/],
    ['only a comment', '# nothing here\n', /mapping/],
    ['a scalar document', 'hello\n', /mapping/],
    ['a complex key', `? [a, b]\n: 1\n${VALID}`, /unknown key/],
    ['a null key in values', VALID.replace('API_KEY: api-key', '~: api-key'), /./],
  ];
  for (const [what, text, message] of named) {
    it(`refuses ${what} with file:line`, () => {
      cases++;
      expect(expectManifestOutcome(parse(text), FILE, text)).toBe('refused');
      const err = catchError(parse(text)) as ManifestError;
      expect(err.problems.map((p) => p.message).join('\n')).toMatch(message);
    });
  }

  it('BOM and CRLF do not change the meaning of a valid manifest', () => {
    cases += 3;
    const plain = parseManifest(VALID, FILE, {}, BASE);
    expect(parseManifest('\uFEFF' + VALID, FILE, {}, BASE)).toEqual(plain);
    expect(parseManifest(VALID.replace(/\n/g, '\r\n'), FILE, {}, BASE)).toEqual(plain);
    const file = join(scratch, 'bom-crlf.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(VALID.replace(/\n/g, '\r\n'))]));
    expect(loadManifest(file, {}).outputs).toEqual(parseManifest(VALID, file, {}, scratch).outputs);
  });

  it('keeps keys, names and defaults as written, even where YAML 1.2 sees a boolean, null or number', () => {
    cases++;
    const text = `version: 1\noutputs:\n  - path: a.json\n    format: json\n    values:\n      TRUE: 017\n      NULL: { parameter: /x, optional: true, default: 1.10 }\n      0x1F: { parameter: /y, optional: true, default: 0600 }\n`;
    const [out] = parseManifest(text, FILE, {}, BASE).outputs;
    expect(out!.values.map((v) => [v.key, v.parameter, v.default])).toEqual([
      ['TRUE', '017', undefined],
      ['NULL', '/x', '1.10'],
      ['0x1F', '/y', '0600'],
    ]);
  });

  const deep: Array<[string, string]> = [
    ['flow sequences', '['.repeat(100_000)],
    ['unclosed JSON objects', '{"a":'.repeat(5_000)],
    ['closed JSON objects', '{"a":'.repeat(3_000) + '1' + '}'.repeat(3_000)],
    ['block mappings', Array.from({ length: 3_000 }, (_, i) => ' '.repeat(i) + '"a":').join('\n') + ' x\n'],
    ['block sequences', Array.from({ length: 3_000 }, (_, i) => ' '.repeat(i) + '- ').join('\n') + 'x\n'],
    ['compact sequences', '- '.repeat(20_000) + 'x\n'],
    ['nesting inside a valid manifest', VALID.replace('API_KEY: api-key', 'API_KEY: ' + '{"a":'.repeat(2_000))],
  ];
  for (const [what, text] of deep) {
    // Exponential parsing would fail on the test's timeout; no wall-clock bound here (CI machines are shared).
    it(`refuses deeply nested ${what}, without exhausting the stack or the heap`, () => {
      cases++;
      expect(expectManifestOutcome(parse(text), FILE, text)).toBe('refused');
    });
  }

  it('refuses a file over 1 MiB without parsing it, and parses a 1000-output file just under it', () => {
    cases += 2;
    const big = join(scratch, 'big.yaml');
    writeFileSync(big, VALID + '#' + 'x'.repeat(1024 * 1024) + '\n');
    const err = catchError(() => loadManifest(big, {})) as ManifestError;
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.problems[0]).toEqual(expect.objectContaining({ file: big, message: expect.stringMatching(/too large/) }));

    const outputs = Array.from({ length: 1000 }, (_, i) => `  - { path: out${i}.env, format: dotenv, values: { K: /app/k${i} } }`).join('\n');
    const many = join(scratch, 'many.yaml');
    writeFileSync(many, `version: 1\noutputs:\n${outputs}\n`);
    expect(loadManifest(many, {}).outputs).toHaveLength(1000);
  });
});

// ------------------------------------------------------- ${VAR} and key naming

describe('interpolation and path key naming', () => {
  it('an unset or empty ${VAR} is always an error naming it; set ones are substituted', () => {
    const varName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/);
    fc.assert(
      fc.property(
        counted(
          fc.tuple(fc.uniqueArray(varName, { minLength: 1, maxLength: 4 }), fc.array(fc.constantFrom('set', 'unset', 'empty'), { minLength: 4, maxLength: 4 })),
        ),
        ([names, states]) => {
          const env: Record<string, string> = {};
          names.forEach((n, i) => {
            if (states[i] === 'set') env[n] = `v${i}`;
            if (states[i] === 'empty') env[n] = '';
          });
          const text = `version: 1\nprefix: /app/${names.map((n) => `\${${n}}`).join('-')}\noutputs:\n  - { path: a.env, format: dotenv, values: { A: a } }\n`;
          const unset = names.filter((n) => !env[n]);
          if (unset.length === 0) {
            expect(parseManifest(text, FILE, env, BASE).outputs[0]?.values[0]?.parameter).toBe(`/app/${names.map((n) => env[n]).join('-')}/a`);
          } else {
            const err = catchError(parse(text, env)) as ManifestError;
            expect(err).toBeInstanceOf(ManifestError);
            for (const n of unset) expect(err.problems).toContainEqual(expect.objectContaining({ line: 2, message: `environment variable ${n} is not set` }));
          }
        },
      ),
      params(1000),
    );
  });

  it('two parameters that map to the same key are an error naming both; otherwise every parameter becomes its key', async () => {
    const segment = fc.stringMatching(/^[a-zA-Z0-9_.-]{1,4}$/);
    const relName = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
    await fc.assert(
      fc.asyncProperty(
        counted(fc.tuple(fc.uniqueArray(relName, { minLength: 1, maxLength: 8 }), fc.option(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,3}$/)))),
        async ([rels, valueKey]) => {
          // The documented rule, written out independently of src/names.ts.
          const keyOf = documentedPathKey;
          const values: Record<string, string> = Object.fromEntries(rels.map((r, i) => [`/p/${r}`, `value-${i}`]));
          if (valueKey) values['/v/named'] = 'named';
          const text = `version: 1\noutputs:\n  - path: a.json\n    format: json\n${valueKey ? `    values: { ${valueKey}: /v/named }\n` : ''}    paths:\n      - { path: /p, recursive: true }\n`;
          const manifest = parseManifest(text, FILE, {}, BASE);
          const fetched = await fetchAll(new MemoryStore(values), planFetch(manifest));
          // A key that changes how programs run is refused before any collision (issue 8).
          const reserved = rels.filter((r) => untrustedKeyFamily(keyOf(r)) !== undefined);
          if (reserved.length) {
            const err = catchError(() => resolveOutputs(manifest, fetched)) as ReservedKeyError;
            expect(err).toBeInstanceOf(ReservedKeyError);
            expect(err.exitCode).toBe(6);
            expect(err.refused.map((r) => r.parameter).sort()).toEqual(reserved.map((r) => `/p/${r}`).sort());
            return;
          }
          const keys = [...(valueKey ? [valueKey] : []), ...rels.map(keyOf)];
          const clash = new Set(keys).size !== keys.length;
          if (!clash) {
            const [out] = resolveOutputs(manifest, fetched);
            expect(Object.fromEntries(out!.entries)).toEqual(
              Object.fromEntries([...(valueKey ? [[valueKey, 'named']] : []), ...rels.map((r, i) => [keyOf(r), `value-${i}`])]),
            );
            return;
          }
          const err = catchError(() => resolveOutputs(manifest, fetched)) as ManifestError;
          expect(err).toBeInstanceOf(ManifestError);
          expect(err.exitCode).toBe(2);
          for (const p of err.problems) {
            expect(p.file).toBe(FILE);
            expect(p.line, 'a collision points at the manifest line of the path').toBeGreaterThanOrEqual(1);
            const [, key, first, second] = /key (\S+) comes from both (\S+) and (\S+)$/.exec(p.message) ?? [];
            expect(key).toBeDefined();
            for (const name of [first, second]) expect(name === '/v/named' ? valueKey : keyOf(name!.replace(/^\/p\//, ''))).toBe(key);
          }
          expect(err.hint).toBeDefined();
        },
      ),
      params(1000),
    );
  });
});

// ------------------------------------------------------------ values

/** Every string Parameter Store can hold: 1 to 4096 characters of well-formed Unicode (advanced tier: 8 KiB). */
const ssmValue = fc
  .oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }) },
    {
      weight: 4,
      arbitrary: fc.string({
        unit: fc.constantFrom('\n', '\r', '"', "'", '`', '#', '$', '\\', ' ', '=', '{', '}', '\t', 'a', '\0', 'é', '😀', '\u2028', '\u0085'),
        minLength: 1,
        maxLength: 30,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'no',
        'yes',
        'on',
        'off',
        '~',
        'null',
        '0x1F',
        '1e3',
        '017',
        '.inf',
        '<<',
        '=',
        '-',
        '- a',
        ': ',
        '? x',
        '!!str',
        '&a',
        '*a',
        '%',
        '@',
        '|',
        '>',
        "'",
        '"',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1000, maxLength: 4096 }) },
  )
  .filter((s) => s.length > 0 && !/\p{Cs}/u.test(s)); // no lone surrogates: they are not UTF-8

const FORMATS_WITH_CONSUMER = ['dotenv', 'json', 'yaml', 'shell', 'php'] as const;
type Consumer = (typeof FORMATS_WITH_CONSUMER)[number];

describe('any stored value through the pipeline', () => {
  it('round-trips through its consumer or is refused by key (exit 6), never quoted in the error', async () => {
    const shellBatch: Array<{ content: string; expected: Record<string, string> }> = [];
    const phpBatch: Array<{ content: string; expected: Record<string, string> }> = [];
    let refused = 0;
    let roundTripped = 0;
    await fc.assert(
      fc.asyncProperty(counted(fc.array(ssmValue, { minLength: 1, maxLength: 4 })), async (vals) => {
        const store = Object.fromEntries(vals.map((v, i) => [`/fz/k${i}`, v]));
        const valuesYaml = vals.map((_, i) => `K${i}: /fz/k${i}`).join(', ');
        const text = `version: 1\noutputs:\n${FORMATS_WITH_CONSUMER.map((f) => `  - { path: out.${f}, format: ${f}, values: { ${valuesYaml} } }`).join('\n')}\n`;
        const manifest = parseManifest(text, FILE, {}, BASE);
        const resolved = resolveOutputs(manifest, await fetchAll(new MemoryStore(store), planFetch(manifest)));
        const expected = Object.fromEntries(vals.map((v, i) => [`K${i}`, v]));
        for (const out of resolved) {
          let content: string;
          try {
            content = renderOutputs([out])[0]!.content as string; // text formats only here
          } catch (err) {
            expect(err).toBeInstanceOf(ToolError);
            expect((err as ToolError).exitCode).toBe(6);
            const message = `${(err as Error).message}\n${(err as ToolError).hint ?? ''}`;
            // The refusal (possibly wrapped with the output's path) names keys that exist.
            const refusal = err instanceof UnrepresentableValueError ? err : (err as Error).cause;
            expect(refusal).toBeInstanceOf(UnrepresentableValueError);
            expect((refusal as UnrepresentableValueError).keys.length).toBeGreaterThan(0);
            for (const k of (refusal as UnrepresentableValueError).keys) expect(expected).toHaveProperty(k);
            expect(message).toMatch(/"K\d+"/);
            // Never the value: check every refused value of 3+ characters that is not a key or format word.
            for (const v of vals) if (v.length >= 6 && !/^[\w .:-]+$/.test(v)) expect(message).not.toContain(v);
            refused++;
            continue;
          }
          roundTripped++;
          const format = out.spec.format as Consumer;
          if (format === 'dotenv') expect(readDotenv(content)).toEqual(expected);
          else if (format === 'json') expect(readJson(content)).toEqual(expected);
          else if (format === 'yaml') expect(readYaml(content)).toEqual(expected);
          else if (format === 'shell') shellBatch.push({ content, expected });
          else phpBatch.push({ content, expected });
        }
      }),
      params(400),
    );
    // The real shells and PHP read their files in a few batched processes.
    expect(readManyWith('bash', shellBatch)).toEqual(shellBatch.map((c) => c.expected));
    expect(readManyWith('php', phpBatch)).toEqual(phpBatch.map((c) => c.expected));
    recordFigure('hostile', 'value renderings round-tripped', roundTripped);
    recordFigure('hostile', 'value renderings refused by key', refused);
    expect(roundTripped).toBeGreaterThan(refused);
  });
});

/** Read many files with the real consumer in one process; values come back as JSON (PHP) or NUL-separated (bash). */
function readManyWith(consumer: 'bash' | 'php', batch: Array<{ content: string; expected: Record<string, string> }>): Array<Record<string, string>> {
  if (batch.length === 0) return [];
  const dir = mkdtempSync(join(scratch, consumer));
  const files = batch.map((c, i) => {
    const f = join(dir, `f${i}`);
    writeFileSync(f, c.content);
    writeFileSync(`${f}.keys`, Object.keys(c.expected).join('\n') + '\n');
    return f;
  });
  if (consumer === 'php') {
    const script =
      '$out = []; foreach (array_slice($argv, 1) as $f) { $out[] = require $f; } echo json_encode($out, JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);';
    const out = execFileSync('php', ['-r', script, ...files], { maxBuffer: 1 << 28, encoding: 'utf8' });
    return JSON.parse(out) as Array<Record<string, string>>;
  }
  const script = [
    'for __f in "$@"; do',
    '  ( set -a; . "$__f"; set +a; while IFS= read -r __k; do eval "__v=\\${$__k}"; printf "%s\\0" "$__v"; done < "$__f.keys" )',
    '  printf "\\001END\\0"',
    'done',
  ].join('\n');
  const out = execFileSync('bash', ['-c', script, 'bash', ...files], { maxBuffer: 1 << 28, env: { PATH: process.env.PATH }, cwd: dir }).toString('utf8');
  const groups: string[][] = [[]];
  for (const part of out.split('\0').slice(0, -1)) {
    if (part === '\u0001END') groups.push([]);
    else groups[groups.length - 1]!.push(part);
  }
  return batch.map((c, i) => Object.fromEntries(Object.keys(c.expected).map((k, j) => [k, groups[i]?.[j] ?? '<missing>'])));
}

// ------------------------------------------------------------ through the CLI

describe('a sample of hostile manifests through the CLI', () => {
  const samples: Array<[string, string | Buffer]> = [
    ['garbage', '\u0000\u0001{[}]::--&*!%@`'],
    ['wrong types', 'version: "one"\noutputs: { path: 3 }\n'],
    ['unknown keys', VALID.replace('prefix: /app', 'prefix: /app\nsecrets: yes')],
    ['duplicate keys', VALID.replace('prefix: /app', 'prefix: /app\nprefix: /b')],
    ['an alias', VALID.replace('API_KEY: api-key', 'API_KEY: &k api-key\n      OTHER: *k')],
    ['a merge key', VALID.replace('    format: dotenv', '    <<: { format: dotenv }')],
    ['invalid UTF-8', Buffer.concat([Buffer.from('version: 1\noutputs:\n  - path: '), Buffer.from([0xff, 0xfe]), Buffer.from('\n')])],
    ['an unset variable', VALID.replace('prefix: /app', 'prefix: /app/${NOT_SET_ANYWHERE}')],
    ['deep nesting', '{"a":'.repeat(5_000)],
    ['BOM + CRLF with an error', '\uFEFF' + VALID.replace('version: 1', 'version: 2').replace(/\n/g, '\r\n')],
    ['over 1 MiB', VALID + '#' + 'x'.repeat(1024 * 1024 + 10)],
    ['random bytes', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 256))],
  ];
  /** Also through the built binary: the nesting that could exhaust a real process's stack. */
  const spawned = new Set(['deep nesting']);
  for (const [what, content] of samples) {
    it(`validate and write exit 2 with file:line and no stack trace: ${what}${spawned.has(what) ? ' (in-process and the built binary)' : ''}`, async () => {
      cases++;
      const dir = mkdtempSync(join(scratch, 'cli-'));
      const file = join(dir, 'materialize.yaml');
      writeFileSync(file, content);
      const runners = spawned.has(what) ? [runCliInProcess, cli] : [runCliInProcess];
      for (const [command, run] of ['validate', 'write'].flatMap((c) => runners.map((r) => [c, r] as const))) {
        const r = await run([command, '-m', file], cliEnv('http://127.0.0.1:9'));
        expect(r.code, r.stderr).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^ssm-materialize: invalid manifest/);
        expect(r.stderr).toContain(what === 'over 1 MiB' ? `${file}: too large` : `${file}:`);
        if (what !== 'over 1 MiB') expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+`));
        expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+|internal error/);
      }
    });
  }
});

describe('the starter manifest', () => {
  it('`init` with its defaults writes a manifest that `validate` accepts (STAGE set)', async () => {
    cases++;
    const dir = mkdtempSync(join(scratch, 'init-'));
    const file = join(dir, 'materialize.yaml');
    const init = await runCliInProcess(['init', '-m', file], cliEnv('http://127.0.0.1:9'));
    expect(init.code, init.stderr).toBe(0);
    const validate = await runCliInProcess(['validate', '-m', file], cliEnv('http://127.0.0.1:9', { STAGE: 'prod' }));
    expect(validate.code, validate.stderr).toBe(0);
  });
});

describe('hostile values through the CLI', () => {
  const NASTY: Record<string, string> = {
    '/hv/quotes': `it's "quoted" and \`ticked\``,
    '/hv/dollar': '$HOME ${PATH} $(id) `id`',
    '/hv/newlines': 'line one\nline two\nline three\n', // no CR: the dotenv output refuses one (Node's parser deletes it)
    '/hv/hash': '#not a comment # really',
    '/hv/unicode': 'Grüße 世界 👋 \u2028 \u0085',
    '/hv/yaml-trap': 'no',
    '/hv/spaces': '   padded   ',
    '/hv/backslashes': 'C:\\path\\n\\t',
    '/hv/big': 'x'.repeat(4000) + 'END',
  };
  const expected = Object.fromEntries(Object.entries(NASTY).map(([n, v]) => [n.slice(4).toUpperCase().replace(/-/g, '_'), v]));
  let emulator: Awaited<ReturnType<typeof emulatorWith>>;
  beforeAll(async () => {
    emulator = await emulatorWith({ ...NASTY, '/hv-bad/multi': 'first\nsecond' });
  });
  afterAll(async () => emulator?.close());

  it('every representable value round-trips through the real consumers; one a format cannot hold is refused by key, exit 6, nothing written', async () => {
    cases += 2;
    const dir = mkdtempSync(join(scratch, 'values-'));
    const outputs = ['dotenv', 'json', 'yaml', 'shell', 'php'].map((f) => `  - { path: out.${f}, format: ${f}, paths: [ { path: /hv } ] }`).join('\n');
    const good = join(dir, 'good.yaml');
    writeFileSync(good, `version: 1\noutputs:\n${outputs}\n`);
    const r = await runCliInProcess(['write', '-m', good], cliEnv(emulator.url));
    expect(r.code, r.stderr).toBe(0);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    expect(readDotenv(read('out.dotenv'))).toEqual(expected);
    expect(readJson(read('out.json'))).toEqual(expected);
    expect(readYaml(read('out.yaml'))).toEqual(expected);
    const keys = Object.keys(expected);
    expect(readManyWith('bash', [{ content: read('out.shell'), expected }])).toEqual([expected]);
    expect(readManyWith('php', [{ content: read('out.php'), expected }])).toEqual([expected]);
    expect(keys.length).toBe(9);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      `version: 1\noutputs:\n  - { path: bad.json, format: json, paths: [ { path: /hv } ] }\n  - { path: bad.docker, format: docker, values: { MULTI: /hv-bad/multi, HASH: /hv/hash } }\n`,
    );
    const refused = await runCliInProcess(['write', '-m', bad], cliEnv(emulator.url));
    expectCleanError(refused, 6, '"MULTI"', 'bad.docker');
    expect(refused.stderr).not.toContain('"HASH"');
    expect(refused.stderr).not.toContain('second');
    expect(existsSync(join(dir, 'bad.json'))).toBe(false); // nothing is written when any output fails
    expect(existsSync(join(dir, 'bad.docker'))).toBe(false);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
