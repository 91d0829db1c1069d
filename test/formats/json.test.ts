import { describe, expect, it } from 'vitest';
import { UnrepresentableValueError } from '../../src/errors.js';
import { jsonFormat } from '../../src/formats/json.js';
import { flattenParsed } from '../../src/formats/nest.js';
import { hasLoneSurrogate, nastyCorpus, nestedKeys, renderCorpus, roundTripProperty, FUZZ_TIMEOUT } from './fuzz.js';

const ctx = { outputPath: '/srv/app/config.json' };

function refusal(fn: () => unknown): UnrepresentableValueError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UnrepresentableValueError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('json format', { timeout: FUZZ_TIMEOUT }, () => {
  it('round-trips any string through JSON.parse (nested by dotted keys), refusing only lone surrogates', () => {
    const { accepted, refused } = roundTripProperty(jsonFormat, { keys: nestedKeys, mustRefuse: hasLoneSurrogate });
    expect(refused).toBeGreaterThan(0);
    for (const { entries, content } of accepted) expect(flattenParsed(JSON.parse(content))).toEqual(Object.fromEntries(entries));
    const corpus = renderCorpus(jsonFormat);
    expect(corpus.refusedValues).toEqual(nastyCorpus.filter(hasLoneSurrogate));
    for (const { entries, content } of corpus.accepted) expect(JSON.parse(content)).toEqual(Object.fromEntries(entries));
  });

  it('nests dotted keys, keeps entry order (even integer-like keys) and matches JSON.stringify layout', () => {
    const out = jsonFormat.render(
      [
        ['b', '1'],
        ['db.host', 'h'],
        ['10', 'ten'],
        ['db.port', '5432'],
      ],
      ctx,
    );
    expect(out).toBe('{\n  "b": "1",\n  "db": {\n    "host": "h",\n    "port": "5432"\n  },\n  "10": "ten"\n}\n');
    expect(JSON.parse(out)).toEqual({ b: '1', db: { host: 'h', port: '5432' }, 10: 'ten' });
    expect(jsonFormat.render([], ctx)).toBe('{}\n');
  });

  it('keeps every value a string', () => {
    const parsed = JSON.parse(
      jsonFormat.render(
        [
          ['a', '1'],
          ['b', 'true'],
          ['c', 'null'],
        ],
        ctx,
      ),
    ) as Record<string, unknown>;
    expect(Object.values(parsed).every((v) => typeof v === 'string')).toBe(true);
  });

  it('refuses a key that is both a value and a parent, naming both', () => {
    const err = refusal(() =>
      jsonFormat.render(
        [
          ['db', 'x'],
          ['db.host', 'h'],
          ['other', 'o'],
          ['a.b', '1'],
          ['a.b.c', '2'],
        ],
        ctx,
      ),
    );
    expect(err.keys.sort()).toEqual(['a.b', 'a.b.c', 'db', 'db.host']);
  });

  it('refuses keys with empty segments or control characters', () => {
    expect(jsonFormat.invalidKeys(['ok', 'a.b', 'a..b', '.a', 'a.', 'tab\tkey', '__proto__'])).toEqual(['a..b', '.a', 'a.', 'tab\tkey']);
    expect(refusal(() => jsonFormat.render([['a..b', 'x']], ctx)).keys).toEqual(['a..b']);
  });

  it('stores __proto__ as data, not as a prototype', () => {
    const out = jsonFormat.render([['__proto__.polluted', 'yes']], ctx);
    expect(jsonFormat.parse(out, ctx)).toEqual({ '__proto__.polluted': 'yes' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parse refuses documents that are not nested string maps', () => {
    expect(jsonFormat.parse('{"a": 1}', ctx)).toBeUndefined();
    expect(jsonFormat.parse('[]', ctx)).toBeUndefined();
    expect(jsonFormat.parse('{', ctx)).toBeUndefined();
  });
});
