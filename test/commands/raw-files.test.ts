/**
 * `format: file` end to end through `write` (in-process `main`, the real SDK,
 * the emulator): a TLS key, certificate and chain as three outputs, written
 * byte for byte, with a verify that checks the key against the certificate
 * through the staged paths; a binary keystore through `decode: base64`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useInProcessEmulator } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';
import { writeSelfSignedCert } from '../helpers/certs.js';

const CANARY = 'CANARY';

/** A fresh key pair and self-signed certificate from openssl, PEM text. */
function keyAndCert(cn: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ssm-mat-tls-'));
  try {
    writeSelfSignedCert({ key: join(dir, 'k'), cert: join(dir, 'c'), cn });
    return { key: readFileSync(join(dir, 'k'), 'utf8'), cert: readFileSync(join(dir, 'c'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const server = keyAndCert('server.test');
const other = keyAndCert('other.test');
const ca = keyAndCert('ca.test');
// openssl skips text before BEGIN, so the canary can ride in the key itself.
const KEY = `${CANARY}-tls-key\n${server.key}`;
const OTHER_KEY = `${CANARY}-other-key\n${other.key}`;
/** Every byte value, twice, and no trailing newline: a keystore-like blob. */
const BLOB = Buffer.from([...Array.from({ length: 256 }, (_, i) => i), ...Array.from({ length: 256 }, (_, i) => 255 - i)]);
const BLOB_B64 = BLOB.toString('base64').replace(/(.{76})/g, '$1\n');

const tempDir = useTempDir();
const { run, emulator } = useInProcessEmulator(
  () => ({
    parameters: [
      { name: '/tls/key', type: 'SecureString', value: KEY },
      { name: '/tls/other-key', type: 'SecureString', value: OTHER_KEY },
      { name: '/tls/cert', type: 'String', value: server.cert },
      { name: '/tls/chain', type: 'String', value: ca.cert },
      { name: '/tls/keystore', type: 'SecureString', value: BLOB_B64 },
      { name: '/tls/not-base64', type: 'SecureString', value: `${CANARY}-not base64!` },
      { name: '/app/token', type: 'SecureString', value: `${CANARY}-token` },
    ],
  }),
  CANARY,
);

/** The verify of the TLS example: the staged key's public key is the staged certificate's. */
const MATCHES_CERT = '[ "$(openssl pkey -in "$1" -pubout)" = "$(openssl x509 -in "$SSM_MATERIALIZE_STAGED_SERVER_CRT" -noout -pubkey)" ]';

function tlsManifest(dir: string, keyParameter = '/tls/key'): string {
  const file = join(dir, 'materialize.yaml');
  writeFileSync(
    file,
    `version: 1
outputs:
  - path: server.key
    format: file
    parameter: ${keyParameter}
    verify: '${MATCHES_CERT}'
  - path: server.crt
    format: file
    parameter: /tls/cert
  - path: chain.pem
    format: file
    parameter: /tls/chain
  - path: keystore.p12
    format: file
    parameter: /tls/keystore
    decode: base64
  - path: app.env
    format: dotenv
    values: { TOKEN: /app/token }
`,
  );
  return file;
}

describe('format: file', () => {
  it('writes key, certificate, chain and a decoded binary exactly, mode 0600, after a verify that sees every staged path', async () => {
    const dir = tempDir();
    const manifest = tlsManifest(dir);
    emulator().resetCounters();
    const r = await run(['write', '-m', manifest]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'server.key'), 'utf8')).toBe(KEY);
    expect(readFileSync(join(dir, 'server.crt'), 'utf8')).toBe(server.cert);
    expect(readFileSync(join(dir, 'chain.pem'), 'utf8')).toBe(ca.cert);
    expect(readFileSync(join(dir, 'keystore.p12')).equals(BLOB)).toBe(true);
    for (const f of ['server.key', 'server.crt', 'chain.pem', 'keystore.p12', 'app.env']) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    // Five parameters, one GetParameters call.
    expect(emulator().counters().operations['GetParameters']).toBe(1);
    // The real consumer agrees: openssl reads the written key and certificate as a pair.
    const pub = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });
    expect(pub(['pkey', '-in', join(dir, 'server.key'), '-pubout'])).toBe(pub(['x509', '-in', join(dir, 'server.crt'), '-noout', '-pubkey']));
  });

  it('a key that does not match the certificate fails the verify: exit 6, every output untouched, no temp file left', async () => {
    const dir = tempDir();
    expect((await run(['write', '-m', tlsManifest(dir)])).code).toBe(0);
    const outputs = () =>
      Object.fromEntries(
        readdirSync(dir)
          .filter((f) => f !== 'materialize.yaml')
          .map((f) => [f, readFileSync(join(dir, f))]),
      );
    const before = outputs();
    const r = await run(['write', '-m', tlsManifest(dir, '/tls/other-key')]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/server\.key: verify command exited with 1/);
    const after = outputs();
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const [f, bytes] of Object.entries(before)) expect(after[f]?.equals(bytes), f).toBe(true);
  });

  it('the verify sees the unchanged outputs at their own paths, and every output by index', async () => {
    const dir = tempDir();
    const listing = join(dir, 'seen.txt');
    const manifest = join(dir, 'm.yaml');
    writeFileSync(
      manifest,
      `version: 1
outputs:
  - { path: server.crt, format: file, parameter: /tls/cert }
  - path: server.key
    format: file
    parameter: /tls/key
    verify: 'printf "%s\\n" "$SSM_MATERIALIZE_STAGED_COUNT" "$SSM_MATERIALIZE_STAGED_0" "$SSM_MATERIALIZE_STAGED_1" "$SSM_MATERIALIZE_STAGED_SERVER_CRT" "$1" > ${listing}'
`,
    );
    writeFileSync(join(dir, 'server.crt'), server.cert, { mode: 0o600 });
    expect((await run(['write', '-m', manifest])).code).toBe(0);
    const [count, first, second, byName, own] = readFileSync(listing, 'utf8').trim().split('\n');
    expect(count).toBe('2');
    expect(first).toBe(join(dir, 'server.crt')); // unchanged: its own path
    expect(byName).toBe(first);
    expect(second).toBe(own); // changed: its temp file, also $1
    expect(second).toMatch(/\/\.server\.key\.ssm-materialize\.[0-9a-f]{8}\.\d+\.[0-9a-f]+\.tmp$/);
    expect(existsSync(second!)).toBe(false);
  });

  it('decode: base64 on a value that is not base64: exit 6 naming the parameter, never the value; nothing written', async () => {
    const dir = tempDir();
    const manifest = join(dir, 'm.yaml');
    writeFileSync(
      manifest,
      'version: 1\noutputs:\n  - { path: ok.env, format: dotenv, values: { T: /app/token } }\n  - { path: bad.bin, format: file, parameter: /tls/not-base64, decode: base64 }\n',
    );
    const r = await run(['write', '-m', manifest]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('/tls/not-base64');
    expect(r.stderr).toMatch(/not valid base64/);
    expect(readdirSync(dir)).toEqual(['m.yaml']);
  });

  it('plan names the parameter of a changed file output; check exits 1, then 0 once written; exec leaves file outputs out', async () => {
    const dir = tempDir();
    const manifest = tlsManifest(dir);
    const plan = await run(['plan', '-m', manifest]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/\+ .*server\.key \(file\): new file, mode 0600, 1 keys\n {4}\+ \/tls\/key/);
    expect((await run(['check', '-m', manifest])).code).toBe(1);
    expect((await run(['write', '-m', manifest])).code).toBe(0);
    expect((await run(['check', '-m', manifest])).code).toBe(0);
    writeFileSync(join(dir, 'chain.pem'), 'edited by hand\n');
    const drift = await run(['plan', '-m', manifest]);
    expect(drift.stdout).toMatch(/~ .*chain\.pem \(file\): 0 added, 0 removed, 1 changed, 0 unchanged\n {4}~ \/tls\/chain/);

    const out = join(dir, 'env.txt');
    const exec = await run(['exec', '-m', manifest, '--', 'sh', '-c', `env > ${out}`]);
    expect(exec.code).toBe(0);
    const env = readFileSync(out, 'utf8');
    expect(env).toContain(`TOKEN=${CANARY}-token`);
    expect(env).not.toContain('BEGIN');
    const chosen = await run(['exec', '-m', manifest, '--output', 'server.key', '--', 'true']);
    expect(chosen.code).toBe(2);
    expect(chosen.stderr).toMatch(/server\.key: format file has no key\/value form/);
  });

  it('validate: a file output takes `parameter` and nothing of values/paths; `parameter`/`decode` only on file outputs', async () => {
    const dir = tempDir();
    const manifest = join(dir, 'm.yaml');
    writeFileSync(
      manifest,
      `version: 1
outputs:
  - { path: a.pem, format: file, parameter: /tls/cert, values: { A: /x } }
  - { path: b.pem, format: file }
  - { path: c.pem, format: file, parameter: /tls/cert, decode: hex }
  - { path: d.env, format: dotenv, parameter: /tls/cert, values: { A: /x } }
  - { path: e.pem, format: file, parameter: /tls/cert, decode: base64 }
`,
    );
    const r = await run(['validate', '-m', manifest]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('m.yaml:3: outputs[0].values: a `file` output holds exactly one parameter');
    expect(r.stderr).toContain('m.yaml:4: outputs[1]: format `file` needs `parameter: NAME`');
    expect(r.stderr).toContain('m.yaml:5: outputs[2].decode: unknown decoding "hex"');
    expect(r.stderr).toContain('m.yaml:6: outputs[3].parameter: only used with `format: file`');
    expect(r.stderr).not.toContain('outputs[4]');
  });
});
