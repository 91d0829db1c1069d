/** `file`: one value, byte for byte; `decode: base64` decodes exactly or refuses by name. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnrepresentableValueError } from '../../src/errors.js';
import { decodeBase64, fileFormat, renderFileBytes } from '../../src/formats/file.js';
import { FUZZ_SEED, fuzzRuns } from '../reliability/figures.js';
import { CANARY } from './fuzz.js';

describe('file format', () => {
  it('writes the value exactly: no header, no added newline, UTF-8', () => {
    for (const value of ['no newline', 'two\nlines\n', '\r\n\t  ', 'Grüße 👋', '-----BEGIN X-----\nAAAA\n-----END X-----']) {
      expect(renderFileBytes([['/p', value]], undefined).equals(Buffer.from(value, 'utf8'))).toBe(true);
      expect(fileFormat.render([['/p', value]], { outputPath: '/out' })).toBe(value);
    }
  });

  it('decode: base64 gives back any bytes, with or without line breaks (seeded fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(0, 64, 76), (bytes, width) => {
        let b64 = Buffer.from(bytes).toString('base64');
        if (width) b64 = b64.replace(new RegExp(`(.{${width}})`, 'g'), '$1\n');
        expect(renderFileBytes([['/p', b64]], 'base64').equals(Buffer.from(bytes))).toBe(true);
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(300) },
    );
  });

  it('refuses what is not standard padded base64, by key, never quoting the value', () => {
    for (const bad of [`${CANARY}!`, 'QUJD=', 'QUJ', 'QU==Qg==', 'QUJD-_', `${CANARY}`]) {
      expect(decodeBase64(bad), bad).toBeUndefined();
      let err: unknown;
      try {
        renderFileBytes([['/tls/keystore', bad]], 'base64');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UnrepresentableValueError);
      const e = err as UnrepresentableValueError;
      expect(e.exitCode).toBe(6);
      expect(e.keys).toEqual(['/tls/keystore']);
      expect([e.message, e.hint, e.stack].join('\n')).not.toContain(bad);
    }
  });

  it('refuses a lone surrogate (it cannot be written as UTF-8) and has no key/value form', () => {
    expect(() => renderFileBytes([['/p', `${CANARY}\ud800`]], undefined)).toThrow(UnrepresentableValueError);
    expect(fileFormat.parse('anything', { outputPath: '/out' })).toBeUndefined();
  });
});
