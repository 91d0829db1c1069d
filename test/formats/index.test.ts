import { describe, expect, it } from 'vitest';
import { UnrepresentableValueError } from '../../src/errors.js';
import { formatNames, formats, getFormat, type FormatName } from '../../src/formats/index.js';
import type { RenderContext } from '../../src/formats/types.js';
import { CANARY } from './fuzz.js';

const ctxFor = (name: FormatName): RenderContext =>
  formats[name].kind === 'template'
    ? { outputPath: '/out', template: { path: '/repo/t.tmpl', text: '{{ A | raw }} {{ B | raw }} {{ C | raw }}\n' } }
    : { outputPath: '/out' };

describe('format table', () => {
  it('lists every format once, by the name it carries', () => {
    expect([...formatNames].sort()).toEqual(Object.keys(formats).sort());
    for (const name of formatNames) {
      expect(getFormat(name).name).toBe(name);
      expect(getFormat(name).consumer.length).toBeGreaterThan(5);
    }
    // Named here, not derived: a format added to the table is checked by what it declares, below.
    for (const name of ['json', 'php', 'yaml'] as const) expect(formats[name].nests, name).toBe(true);
    for (const name of ['dotenv', 'shell', 'systemd', 'docker', 'template', 'file'] as const) expect(formats[name].nests, name).toBe(false);
    expect(() => getFormat('xml')).toThrow(/unknown format/);
  });

  it('every format declares its kind, and only a file of keys reads keys back', () => {
    expect(Object.fromEntries(formatNames.map((n) => [n, formats[n].kind]))).toMatchObject({ dotenv: 'keys', json: 'keys', template: 'template', file: 'raw' });
    for (const name of formatNames) {
      const format = formats[name];
      expect(['keys', 'template', 'raw'], name).toContain(format.kind);
      if (format.kind !== 'keys') expect(format.parse(format.kind === 'raw' ? 'x' : 'x\n', ctxFor(name)), name).toBeUndefined();
      // A nested format is a file of keys: dotted keys are paths in its tree.
      if (format.nests) expect(format.kind, name).toBe('keys');
    }
  });

  // A raw format (`file`) holds one value, not key/value entries: test/formats/file.test.ts.
  for (const name of formatNames.filter((n) => formats[n].kind !== 'raw')) {
    describe(name, () => {
      const format = formats[name];
      const ctx = ctxFor(name);

      it('names every refused key at once and never the value (canary)', () => {
        // A lone surrogate is refused by every format; the canary rides along in the value.
        const entries = [
          ['A', `${CANARY}\ud800`],
          ['B', 'fine'],
          ['C', `\udfff${CANARY}`],
        ] as const;
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
        const entries = [
          ['A', 'x y'],
          ['B', "it's"],
          ['C', 'line\nbreak'],
        ] as const;
        const safe = name === 'docker' ? entries.map(([k, v]) => [k, v.replace('\n', ' ')] as const) : entries;
        const first = format.render(safe, ctx);
        expect(
          format.render(
            safe.map(([k, v]) => [k, v] as const),
            ctx,
          ),
        ).toBe(first);
        if (format.kind === 'keys') {
          expect(first.endsWith('\n')).toBe(true);
          expect(format.parse(first, ctx)).toEqual(Object.fromEntries(safe));
        }
      });

      if (format.kind === 'keys') {
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
