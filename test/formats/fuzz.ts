/**
 * Shared generators and the round-trip property every format must satisfy:
 * any string either comes back exactly through the consumer, or the render
 * throws UnrepresentableValueError naming that key (and only refused keys).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { UnrepresentableValueError } from '../../src/errors.js';
import type { Entries, Format } from '../../src/formats/types.js';

/** Fixed seed for CI; FUZZ_RUNS / FUZZ_SEED for longer local runs. */
export const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);
export const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/** A deterministic 4 KiB string of mixed ASCII, quotes and multibyte characters. */
function bigString(): string {
  const alphabet = 'abcXYZ019 \t"\'`$#=\\/\n{}é中😀';
  const chars = [...alphabet];
  let x = 12345;
  let s = '';
  while (s.length < 4096) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += chars[x % chars.length];
  }
  return s;
}

const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  '-----END PRIVATE KEY-----',
].join('\n');

/** Values that broke real-world writers, plus YAML 1.1 and shell traps. */
// prettier-ignore
export const nastyCorpus: string[] = [
  '', ' ', 'plain', 'no', 'yes', 'on', 'off', 'y', 'n', 'true', 'False', 'null', '~', 'NULL', '0x1F', '0o17', '017',
  '1e3', '1_000', '.inf', '-.Inf', '.NaN', '12:30:00', '2001-12-14', '<<', '=', '==', 'a=b', '=a',
  '\n', '\r', '\r\n', 'a\nb', 'a\r\nb', 'a\rb', '\n\n', 'trailing\n', '\nleading', 'x\\ny', '\\n', '\\r', '\\',
  "'", '"', '`', "'\"`", "it's", '"quoted"', "'single'", '`back`', "'\"`#", '#', '# comment', 'a #b', 'a#b', '#a',
  '$', '$HOME', '${HOME}', '$(touch pwned)', '`touch pwned`', "'$(touch pwned)'", '"$(touch pwned)"', '$((1+1))', '$$',
  ' lead', 'trail ', '  both  ', '\t', 'tab\tin', ' \t ', '\u00a0nbsp', '\u2028', '\u2029', '\u0085', '\ufeffbom',
  '\u0000', 'a\u0000b', '\u0001\u0007\u001b[31m', '\u007f', '\u0080\u009f', '\ufffe', '\uffff', 'x\ufdd0', '\u{10FFFF}', '\u{1FFFE}',
  'é', 'Ünïcödé', '中文', '😀', '👩‍👩‍👧', '\ud800', 'x\udfffy', 'e\u0301',
  PEM, PEM + '\n', '{"a": [1, "two", {"b": null}]}', '{\n  "k": "v"\n}\n', '- item\n- item2', 'key: value', '&anchor', '*alias', '!tag', '%YAML',
  '?>', '<?php echo 1; ?>', "\\'", "\\\\'", "'\\''", '-----', '...', '---', '"\r#', "'\"`\r#", 'a\\', '\\\\',
  bigString(),
];

/** Pieces glued together find the dotenv corner cases far faster than uniform strings. */
const pieces = ["'", '"', '`', '#', '\n', '\r', '\\', '$', '=', ' ', '\t', 'a', 'n', 'é', '😀', '{', '}', '\u2028', '\u0000'];

export const anyValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((a) => a.join('')) },
  { weight: 2, arbitrary: fc.constantFrom(...nastyCorpus) },
);

/** Keys for flat formats: plain variable names. */
export function flatKeys(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `K${i}`);
}

/** Keys for nesting formats: some nested, some flat, never colliding. */
export function nestedKeys(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (i % 3 === 0 ? `K${i}` : i % 3 === 1 ? `grp.K${i}` : `grp.sub${i % 2}.K${i}`));
}

export interface Accepted {
  entries: Entries;
  content: string;
}

export interface PropertyOptions {
  keys?: (n: number) => string[];
  /** For formats with an exact refusal rule: whether this value must be refused. */
  mustRefuse?: (value: string) => boolean;
}

/**
 * Run the round-trip property with the format's own parser (fast, shrinks) and
 * return every accepted rendering, for a batched check by the real consumer.
 */
export function roundTripProperty(format: Format, options: PropertyOptions = {}): { accepted: Accepted[]; refused: number } {
  const keysFor = options.keys ?? flatKeys;
  const accepted: Accepted[] = [];
  let refused = 0;
  const ctx = { outputPath: '/tmp/out' };
  fc.assert(
    fc.property(fc.array(anyValue, { minLength: 1, maxLength: 8 }), (values) => {
      const keys = keysFor(values.length);
      const entries: Entries = values.map((v, i) => [keys[i]!, v] as const);
      let content: string;
      try {
        content = format.render(entries, ctx);
      } catch (err) {
        if (!(err instanceof UnrepresentableValueError)) throw err;
        refused++;
        expect(err.keys.length).toBeGreaterThan(0);
        for (const k of err.keys) expect(keys).toContain(k);
        if (options.mustRefuse) {
          const expected = entries.filter(([, v]) => options.mustRefuse!(v)).map(([k]) => k);
          expect([...err.keys].sort()).toEqual(expected.sort());
        }
        // Refusal is per key: the rest still renders and round-trips.
        const rest = entries.filter(([k]) => !err.keys.includes(k));
        content = format.render(rest, ctx);
        expect(format.parse(content, ctx)).toEqual(Object.fromEntries(rest));
        accepted.push({ entries: rest, content });
        return;
      }
      if (options.mustRefuse) expect(entries.some(([, v]) => options.mustRefuse!(v))).toBe(false);
      expect(content.endsWith('\n')).toBe(true);
      expect(format.parse(content, ctx)).toEqual(Object.fromEntries(entries));
      // Deterministic: the same entries render to the same bytes.
      expect(format.render(entries, ctx)).toBe(content);
      accepted.push({ entries, content });
    }),
    { seed: SEED, numRuns: RUNS },
  );
  return { accepted, refused };
}

/** Every corpus value alone, one entry per value, split into accepted and refused keys. */
export function renderCorpus(
  format: Format,
  keyOf: (i: number) => string = (i) => `K${i}`,
): {
  accepted: Accepted[];
  refusedValues: string[];
} {
  const accepted: Accepted[] = [];
  const refusedValues: string[] = [];
  nastyCorpus.forEach((value, i) => {
    const entries: Entries = [[keyOf(i), value]];
    try {
      accepted.push({ entries, content: format.render(entries, { outputPath: '/tmp/out' }) });
    } catch (err) {
      if (!(err instanceof UnrepresentableValueError)) throw err;
      refusedValues.push(value);
    }
  });
  return { accepted, refusedValues };
}

/** Lone surrogates cannot be written as UTF-8; every format refuses them. */
export const hasLoneSurrogate = (v: string): boolean => /\p{Cs}/u.test(v);

/** A distinctive value to prove refusals never print a value. */
export const CANARY = 'CANARY-7f3e9a1c-do-not-print';

/** Long local fuzz runs (FUZZ_RUNS=5000) need more than the default 30 s per test. */
export const FUZZ_TIMEOUT = Math.max(30_000, RUNS * 40);
