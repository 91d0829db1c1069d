/**
 * The hostile-manifest generator, drawn from the declared manifest schema
 * (src/manifest-schema.ts): every key the schema declares, at every level,
 * with a value that is mostly of the right kind and sometimes anything at
 * all, plus keys the schema does not know. A key added to the schema is
 * fuzzed without touching this file; POOLS only sharpens the values of keys
 * whose interesting cases a pattern does not show (test/unit/manifest-schema.test.ts
 * checks that every pooled key is still declared).
 */
import fc from 'fast-check';
import { manifestSchema, type Field, type Shape } from '../../src/manifest-schema.js';
import { formatNames } from '../../src/formats/index.js';

export const junk = fc.oneof(
  fc.anything({ maxDepth: 2, maxKeys: 3 }),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
);
/** Mostly the right kind of thing, sometimes anything at all. */
export const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: junk });

const parameterName = fc.oneof(
  fc.constantFrom(
    '/app/db',
    'api-key',
    '/app/cert:3',
    '/app/cert:prod',
    'x',
    '/aws/service/ami',
    '/awsx',
    'ssm-x',
    '/a//b',
    '/a/',
    'a/b',
    '/a/b:0',
    '/a:b:c',
    '',
    '${STAGE}/x',
    '/a/${NOPE}',
  ),
  fc.stringMatching(/^\/?[a-zA-Z0-9_.\-/]{1,24}(:[a-z0-9]{1,4})?$/),
  fc.string({ maxLength: 16 }),
);
/** Keys an author (or, under `paths`, a parameter writer) chooses: valid ones, ones a format refuses, prototype names. */
const keyName = fc.oneof(
  fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/),
  fc.constantFrom('db.host', 'a.b.c', '1BAD', 'with space', '', '<<', '__proto__', 'constructor'),
  fc.string({ maxLength: 8 }),
);
const pathKeys = fc.array(fc.oneof(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), fc.constantFrom('PATH', 'NODE_OPTIONS', 'APP_PATH', 'db_host', '')), {
  maxLength: 3,
});

/** Values worth more than the schema's pattern shows, by key path (`outputs[].mode`). */
const POOLS: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  version: fc.constantFrom(1, 2, '1'),
  region: fc.constantFrom('us-east-1', 'eu-west-3', 'US-EAST-1', 'mars', '${AWS_REGION}'),
  regions: fc.array(fc.constantFrom('us-east-1', 'us-west-2', 'mars', '${AWS_REGION}'), { maxLength: 3 }),
  prefix: fc.constantFrom('/app', '/app/${STAGE}', 'app', '/', '/aws', '/app/'),
  'outputs[].path': fc.constantFrom('a.env', '/abs/out.json', 'sub/x.yaml', '', '${HOME}/x', '$${LIT}', '../up', '.'),
  'outputs[].format': fc.constantFrom(...formatNames, 'xml', 'DOTENV'),
  'outputs[].mode': fc.constantFrom('0600', '0640', '600', 600, 384, '0999', '10600', '', 'rw', 0.5, -1, '0644', '0666'),
  'outputs[].owner': fc.constantFrom('www-data', '33', 'root', 'bad name', '-1', ''),
  'outputs[].group': fc.constantFrom('www-data', '0', 'x y'),
  'outputs[].template': fc.constantFrom('t.tmpl', ''),
  'outputs[].parameter': parameterName,
  'outputs[].decode': fc.constantFrom('base64', 'hex', ''),
  'outputs[].verify': fc.constantFrom('test -s "$1"', 'echo ${FILE}'),
  'outputs[].on_change': fc.constantFrom('systemctl reload php-fpm', ''),
  'outputs[].values.KEY.parameter': parameterName,
  'outputs[].values.KEY.default': fc.string({ maxLength: 8 }),
  'outputs[].values.KEY.allow_keys': fc.array(fc.oneof(keyName, fc.constantFrom('STRIPE_NODE_OPTIONS', 'X\u0001')), { maxLength: 3 }),
  'outputs[].paths[].path': parameterName,
  'outputs[].paths[].allow_keys': pathKeys,
  'outputs[].paths[].keys': pathKeys,
  'outputs[].paths[].key_prefix': fc.constantFrom('APP_', 'VENDOR_', 'LD_', 'NODE_', 'app_', '1X', ''),
};
export const POOLED_KEYS = Object.keys(POOLS);

/** A pattern as fast-check can draw from it, else any short string. */
function matching(pattern: string): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(new RegExp(pattern));
  } catch {
    return fc.string({ maxLength: 12 });
  }
}

function arbitraryFor(shape: Shape, keyPath: string): fc.Arbitrary<unknown> {
  switch (shape.type) {
    case 'text':
      if (shape.enum) return fc.constantFrom(...shape.enum, 'x');
      return shape.pattern ? fc.oneof(matching(shape.pattern), fc.string({ maxLength: 12 })) : fc.string({ maxLength: 12 });
    case 'boolean':
      return fc.boolean();
    case 'const':
      return fc.constantFrom(shape.value, shape.value + 1, String(shape.value));
    case 'mode':
      return fc.constantFrom('0600', '0640', '0999');
    case 'list':
      return fc.array(arbitraryFor(shape.items, `${keyPath}[]`), { maxLength: 3 });
    case 'map':
      return fc.dictionary(keyName, arbitraryFor(shape.values, `${keyPath}.${shape.keyName}`), { maxKeys: 4 });
    case 'either':
      return fc.oneof(...shape.of.map((s) => arbitraryFor(s, keyPath)), junk);
    case 'object': {
      const fields = Object.fromEntries(
        Object.entries(shape.fields).map(([key, field]) => [key, maybe(fieldArbitrary(field, keyPath ? `${keyPath}.${key}` : key))]),
      );
      // Keys the schema does not declare, now and then.
      return fc
        .tuple(fc.record(fields, { requiredKeys: [] }), fc.dictionary(fc.string({ maxLength: 6 }), junk, { maxKeys: 1 }))
        .map(([known, unknown]) => ({ ...unknown, ...known }));
    }
  }
}

function fieldArbitrary(field: Field, keyPath: string): fc.Arbitrary<unknown> {
  return POOLS[keyPath] ?? arbitraryFor(field.shape, keyPath);
}

/** A manifest as a plain value, before it is written as YAML or JSON: every declared key may appear. */
export const hostileManifest: fc.Arbitrary<unknown> = arbitraryFor(manifestSchema, '');
