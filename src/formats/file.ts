/**
 * `file`: one output holds exactly one parameter's value, byte for byte: a
 * TLS key, a certificate, a chain, a keystore. No header, no added newline,
 * no quoting. With `decode: base64` the value is decoded first, so binary
 * content (PKCS#12, JKS) can live in a text parameter.
 *
 * There is no key/value form to read back: `parse` returns undefined (like
 * `template`), and plan/check compare the bytes.
 */
import { UnrepresentableValueError } from '../errors.js';
import { Refusals, isWellFormed, reasons } from './common.js';
import type { Entries, Format } from './types.js';

export const fileDecodings = ['base64'] as const;
export type FileDecoding = (typeof fileDecodings)[number];

function single(entries: Entries): readonly [string, string] {
  const [only, ...rest] = entries;
  // The manifest gives a file output exactly one parameter; anything else is a bug upstream.
  if (!only || rest.length) throw new Error(`internal: a file output takes exactly one value, got ${entries.length}`);
  return only;
}

/**
 * Standard base64 (RFC 4648 section 4), padded, with line breaks and spaces
 * allowed between groups, as `base64`, `openssl base64` and PEM bodies write
 * it. Node's decoder skips anything it does not know, so check first: a value
 * that is not base64 must be refused, not turned into garbage bytes.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeBase64(value: string): Buffer | undefined {
  const compact = value.replace(/[ \t\r\n]/g, '');
  if (!BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

/** The bytes of a file output. Refusals name the parameter (the entry's key), never the value. */
export function renderFileBytes(entries: Entries, decode: FileDecoding | undefined): Buffer {
  const [key, value] = single(entries);
  const refusals = new Refusals('file');
  if (!isWellFormed(value)) refusals.add(key, reasons.malformed);
  refusals.throwIfAny();
  if (decode === undefined) return Buffer.from(value, 'utf8');
  const bytes = decodeBase64(value);
  if (bytes === undefined) {
    throw new UnrepresentableValueError('file', [key], 'it is not valid base64 (the output says `decode: base64`)', {
      hint: 'store the base64 of the file (base64 -w0 FILE), or drop `decode: base64` to write the value as text',
    });
  }
  return bytes;
}

export const fileFormat: Format = {
  name: 'file',
  kind: 'raw',
  consumer: 'any program that reads one file as it is (TLS keys and certificates, keystores, tokens)',
  nests: false,
  // The one key is the parameter's name, only used in messages and plans.
  invalidKeys: () => [],
  render(entries: Entries) {
    return renderFileBytes(entries, undefined).toString('utf8');
  },
  parse: () => undefined,
};
