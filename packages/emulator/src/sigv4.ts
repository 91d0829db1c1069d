/**
 * SigV4 verification: parse the Authorization header, re-sign the received
 * request with @smithy/signature-v4 using the caller's signed headers, date
 * and the secret we know for its access key, and compare signatures.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { SsmError } from './ssm-error.js';
import { nullRecord, own } from './records.js';

/** node:crypto behind the hash interface smithy expects. */
export class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

const incomplete = (message: string): SsmError => new SsmError('IncompleteSignatureException', message);

export function parseAuthorization(header: string | undefined): ParsedAuthorization {
  if (!header) throw new SsmError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const match = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(header.trim());
  if (!match?.[1]) throw incomplete(`Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters of an AWS4-HMAC-SHA256 signature.`);
  const parts = new Map<string, string>();
  for (const piece of match[1].split(',')) {
    const eq = piece.indexOf('=');
    if (eq > 0) parts.set(piece.slice(0, eq).trim(), piece.slice(eq + 1).trim());
  }
  const credential = parts.get('Credential');
  const signedHeaders = parts.get('SignedHeaders');
  const signature = parts.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    throw incomplete(`Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters of an AWS4-HMAC-SHA256 signature.`);
  }
  const [accessKeyId, date, region, service, terminator] = credential.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request') {
    throw incomplete(`Credential should be scoped to a valid region, service and date: ${credential}`);
  }
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

export interface ReceivedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const headerValue = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = own(headers, name);
  return Array.isArray(v) ? v.join(',') : v;
};

/** `20240102T030405Z` -> Date. */
function parseAmzDate(s: string | undefined): Date | undefined {
  const m = s ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (!m) return s ? new Date(s) : undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

const SKEW_MS = 15 * 60 * 1000;

/** Throws InvalidSignatureException unless `auth.signature` is right for `secret`. `service` is `ssm` or `sts`. */
export async function verifySignature(req: ReceivedRequest, auth: ParsedAuthorization, secret: string, region: string, service = 'ssm'): Promise<void> {
  if (auth.service !== service) throw new SsmError('InvalidSignatureException', `Credential should be scoped to correct service: '${service}'.`);
  if (auth.region !== region) throw new SsmError('InvalidSignatureException', `Credential should be scoped to a valid region. `);
  const amzDate = headerValue(req.headers, 'x-amz-date');
  const signingDate = parseAmzDate(amzDate ?? headerValue(req.headers, 'date'));
  if (!signingDate || Number.isNaN(signingDate.getTime())) {
    throw incomplete(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.`);
  }
  if (Math.abs(Date.now() - signingDate.getTime()) > SKEW_MS) {
    throw new SsmError(
      'InvalidSignatureException',
      `Signature expired: ${amzDate ?? signingDate.toISOString()} is now earlier than the allowed 15 minutes of clock skew.`,
    );
  }

  const headers = nullRecord<string>();
  for (const name of auth.signedHeaders) {
    const v = headerValue(req.headers, name);
    if (v === undefined) throw new SsmError('InvalidSignatureException', MISMATCH);
    headers[name] = v;
  }
  // smithy trusts a x-amz-content-sha256 header instead of hashing the body:
  // check it, or a tampered body would pass.
  const contentSha = headers['x-amz-content-sha256'];
  if (contentSha !== undefined && contentSha !== createHash('sha256').update(req.body).digest('hex')) {
    throw new SsmError('InvalidSignatureException', MISMATCH);
  }

  const url = new URL(req.url, 'http://localhost');
  const query = nullRecord<string>();
  for (const [k, v] of url.searchParams) query[k] = v;
  const signer = new SignatureV4({
    service,
    region,
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: secret },
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: 'localhost',
      // The path as sent: SigV4 (outside S3) escapes the already-escaped path once more.
      path: url.pathname,
      query,
      headers,
      body: new Uint8Array(req.body),
    },
    {
      signingDate,
      signableHeaders: new Set(auth.signedHeaders),
      // The signer always adds x-amz-date; keep it out unless the caller signed it.
      ...(auth.signedHeaders.includes('x-amz-date') ? {} : { unsignableHeaders: new Set(['x-amz-date']) }),
    },
  );
  const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers['authorization'] ?? ''))?.[1] ?? '';
  const a = Buffer.from(expected);
  const b = Buffer.from(auth.signature);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new SsmError('InvalidSignatureException', MISMATCH);
}
