/** SigV4-sign a raw POST the way the SDK would, for tests that need to see (or tamper with) the wire. */
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../src/sigv4.js';

export interface SignOptions {
  service: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  headers: Record<string, string>;
  body: string;
  date?: Date;
}

/** The headers (Authorization, X-Amz-Date, ...) to POST `body` to `endpoint` + `/`. */
export async function signedHeaders(endpoint: string, o: SignOptions): Promise<Record<string, string>> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({ service: o.service, region: o.region, credentials: o.credentials, sha256: Sha256 });
  const req = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: {},
      headers: { host: url.host, ...o.headers },
      body: o.body,
    },
    o.date ? { signingDate: o.date } : {},
  );
  return req.headers;
}
