// `node scripts/sign.mjs FILE`: FILE.asc, a detached ASCII-armoured GnuPG
// signature by the publisher's key named in SSM_MATERIALIZE_SIGNING_KEY (a key
// id or fingerprint in the publisher's keyring, or GNUPGHOME's). The key is
// never in this repository. Without it, says plainly that FILE is unsigned.
// `npm run release` signs SHA256SUMS this way.
import { execFileSync } from 'node:child_process';
import { basename } from 'node:path';

export function sign(file) {
  const key = process.env.SSM_MATERIALIZE_SIGNING_KEY;
  if (!key) {
    process.stderr.write(
      `release: ${basename(file)} is UNSIGNED: no publisher key configured (set SSM_MATERIALIZE_SIGNING_KEY to a GnuPG key id to sign it)\n`,
    );
    return false;
  }
  execFileSync('gpg', ['--batch', '--yes', '--local-user', key, '--armor', '--detach-sign', '--output', `${file}.asc`, file], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  process.stderr.write(`release: ${basename(file)} signed by ${key}: ${basename(file)}.asc\n`);
  return true;
}

if (process.argv[1] === import.meta.filename) sign(process.argv[2]);
