import { execFileSync } from 'node:child_process';

/**
 * A self-signed P-256 certificate and its key from openssl, written to `key`
 * and `cert` (PEM): subject CN=`cn`, and a subjectAltName for each of
 * `altNames` when given (what a TLS client checks the host name against).
 */
export function writeSelfSignedCert({ key, cert, cn, altNames = [] }: { key: string; cert: string; cn: string; altNames?: string[] }): void {
  const san = altNames.length ? ['-addext', `subjectAltName=${altNames.map((n) => `DNS:${n}`).join(',')}`] : [];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      ...san,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
}
