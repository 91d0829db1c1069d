// `node scripts/sign.mjs FILE [--public-key KEYFILE]`: FILE.asc, a detached
// ASCII-armoured GnuPG signature by the publisher's key named in
// SSM_MATERIALIZE_SIGNING_KEY (a key id or fingerprint in the publisher's
// keyring, or GNUPGHOME's). The private key is never in this repository.
// Without it, says plainly that FILE is unsigned. `npm run release` signs
// SHA256SUMS this way.
//
// A signature is kept only if it verifies against the public key operators
// are told to fetch: RELEASE-KEY.asc at the repository's root (README's
// install block), or KEYFILE. So a release can never be signed by a key its
// users cannot check: with no such file, or another key in it, signing
// stops the release and says how to publish the key.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** The public key README's install block fetches, beside this repository's package.json. */
export const RELEASE_KEY = join(import.meta.dirname, '..', 'RELEASE-KEY.asc');

/** Signs `file` (true), or says it is unsigned (false); throws, leaving no signature, when the signature does not verify against `publicKey`. */
export function sign(file, { publicKey = RELEASE_KEY } = {}) {
  const key = process.env.SSM_MATERIALIZE_SIGNING_KEY;
  if (!key) {
    process.stderr.write(
      `release: ${basename(file)} is UNSIGNED: no publisher key configured (set SSM_MATERIALIZE_SIGNING_KEY to a GnuPG key id to sign it)\n`,
    );
    return false;
  }
  const signature = `${file}.asc`;
  const publish = `export its public half with \`gpg --armor --export ${key} > RELEASE-KEY.asc\` at the repository's root, commit it, and release again`;
  if (!existsSync(publicKey))
    throw new Error(`release: no ${basename(publicKey)}: operators verify ${basename(signature)} against it (README, Install); ${publish}`);
  execFileSync('gpg', ['--batch', '--yes', '--local-user', key, '--armor', '--detach-sign', '--output', signature, file], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Verified as an operator verifies it: gpgv with a keyring made of the published key alone.
  const scratch = mkdtempSync(join(tmpdir(), 'ssm-materialize-verify-'));
  try {
    const keyring = join(scratch, 'release-key.gpg');
    execFileSync('gpg', ['--batch', '--dearmor', '--output', keyring, publicKey], { env: { ...process.env, GNUPGHOME: scratch }, stdio: 'ignore' });
    execFileSync('gpgv', ['--keyring', keyring, signature, file], { env: { ...process.env, GNUPGHOME: scratch }, stdio: 'ignore' });
  } catch {
    rmSync(signature, { force: true });
    throw new Error(`release: ${basename(signature)} by ${key} does not verify against ${publicKey}: operators would reject it; ${publish}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  process.stderr.write(`release: ${basename(file)} signed by ${key}: ${basename(signature)}, verified against ${basename(publicKey)}\n`);
  return true;
}

if (process.argv[1] === import.meta.filename) {
  const at = process.argv.indexOf('--public-key');
  try {
    sign(process.argv[2], at > 0 ? { publicKey: process.argv[at + 1] } : {});
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
