import { describe, expect, it } from 'vitest';
import { UnrepresentableValueError } from '../../src/errors.js';
import { formatNames, formats, getFormat } from '../../src/formats/index.js';
import type { RenderContext } from '../../src/formats/types.js';
import { CANARY } from './fuzz.js';

const ctxFor = (name: string): RenderContext =>
  name === 'template'
    ? { outputPath: '/out', template: { path: '/repo/t.tmpl', text: '{{ A | raw }} {{ B | raw }} {{ C | raw }}\n' } }
    : { outputPath: '/out' };

describe('format table', () => {
  it('lists every format once, by the name it carries', () => {
    expect([...formatNames].sort()).toEqual(Object.keys(formats).sort());
    for (const name of formatNames) {
      expect(getFormat(name).name).toBe(name);
      expect(getFormat(name).consumer.length).toBeGreaterThan(5);
    }
    expect(formatNames.filter((n) => formats[n].nests).sort()).toEqual(['json', 'php', 'yaml']);
    expect(() => getFormat('xml')).toThrow(/unknown format/);
  });

  // `file` holds one raw value, not key/value entries: test/formats/file.test.ts.
  for (const name of formatNames.filter((n) => n !== 'file')) {
    describe(name, () => {
      const format = formats[name];
      const ctx = ctxFor(name);

      it('names every refused key at once and never the value (canary)', () => {
        // A lone surrogate is refused by every format; the canary rides along in the value.
        const entries = [['A', `${CANARY}\ud800`], ['B', 'fine'], ['C', `\udfff${CANARY}`]] as const;
        let err: unknown;
        try {
          format.render(entries, ctx);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(UnrepresentableValueError);
        const e = err as UnrepresentableValueError;
        expect(e.keys).toEqual(['A', 'C']);
        expect(e.format).toBe(name);
        expect(e.exitCode).toBe(6);
        const everything = [e.message, e.stack, e.hint, JSON.stringify(e), String(e.cause)].join('\n');
        expect(everything).not.toContain(CANARY);
        expect(e.message).toContain('"A"');
      });

      it('renders the same bytes for the same entries', () => {
        const entries = [['A', 'x y'], ['B', "it's"], ['C', 'line\nbreak']] as const;
        const safe = name === 'docker' ? entries.map(([k, v]) => [k, v.replace('\n', ' ')] as const) : entries;
        const first = format.render(safe, ctx);
        expect(format.render(safe.map(([k, v]) => [k, v] as const), ctx)).toBe(first);
        if (name !== 'template') {
          expect(first.endsWith('\n')).toBe(true);
          expect(format.parse(first, ctx)).toEqual(Object.fromEntries(safe));
        }
      });

      if (name !== 'template') {
        it('renders no entries to a valid empty file', () => {
          const out = format.render([], ctx);
          expect(out.endsWith('\n')).toBe(true);
          expect(format.parse(out, ctx)).toEqual({});
        });
      }

      it('accepts ordinary environment-style keys', () => {
        expect(format.invalidKeys(['API_KEY', 'DB_PASSWORD', '_private', 'Mixed9'])).toEqual([]);
      });
    });
  }
});
