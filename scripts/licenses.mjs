// What the bundle redistributes, from the bundler's own list of the files
// whose code it contains (scripts/bundle.mjs returns it from esbuild's
// metafile). Every runtime package is a devDependency (the published bin is
// one file), so tools that read `dependencies` would see nothing: this list
// is the only true one. From it:
//   - the packages, each with its licence text (THIRD_PARTY_LICENSES),
//   - a CycloneDX SBOM per artifact,
//   - the licence gate: a package whose licence is not in ALLOWED_LICENSES
//     stops the build (so CI fails before such code ships).
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';

/** SPDX identifiers whose terms allow shipping inside an MIT tool and its executables with notices alone. */
export const ALLOWED_LICENSES = ['MIT', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD'];

/** The package directory a bundled file belongs to: the innermost node_modules/<name> or node_modules/@scope/<name>. */
function packageDir(file) {
  const parts = file.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const length = parts[at + 1]?.startsWith('@') ? 3 : 2;
  return parts.slice(0, at + length).join(sep);
}

function licenceFiles(dir) {
  return readdirSync(dir)
    .filter((f) => /^(licen[cs]e|copying|notice)([.-].*)?$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Every package with code in the bundle: { name, version, license, dir, texts: [{ file, text }] },
 * sorted by name. Throws when a package names no licence, ships no licence
 * text, or has a licence outside ALLOWED_LICENSES.
 */
export function bundledPackages(inputs) {
  const dirs = [...new Set(inputs.map(packageDir).filter(Boolean))];
  const packages = dirs.map((dir) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const texts = licenceFiles(dir).map((file) => ({ file: file.slice(dir.length + 1), text: readFileSync(file, 'utf8') }));
    return { name: pkg.name, version: pkg.version, license: typeof pkg.license === 'string' ? pkg.license : undefined, dir, texts };
  });
  // Apache-2.0's text names no copyright holder, so a package that ships none
  // (a few AWS SDK packages) is given the standard text another bundled package ships.
  const apache = packages.find((p) => p.license === 'Apache-2.0' && p.texts.some((t) => /Apache License\s+Version 2\.0/.test(t.text)));
  for (const p of packages) {
    if (p.texts.length === 0 && p.license === 'Apache-2.0' && apache) {
      p.texts = [
        { file: `(none shipped; the Apache-2.0 text as shipped by ${apache.name})`, text: apache.texts.find((t) => /Apache License/.test(t.text)).text },
      ];
    }
  }
  const problems = packages.flatMap((p) => [
    ...(p.license === undefined ? [`${p.name}@${p.version}: package.json names no licence`] : []),
    ...(p.license !== undefined && !ALLOWED_LICENSES.includes(p.license)
      ? [`${p.name}@${p.version}: licence ${p.license} is not on the allow-list (${ALLOWED_LICENSES.join(', ')}; scripts/licenses.mjs)`]
      : []),
    ...(p.texts.length === 0 ? [`${p.name}@${p.version}: ships no LICENSE file to reproduce`] : []),
  ]);
  if (problems.length) throw new Error(`bundled packages the release cannot ship:\n  ${problems.join('\n  ')}`);
  const unique = new Map(packages.map((p) => [`${p.name}@${p.version}`, p]));
  return [...unique.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version, undefined, { numeric: true }));
}

const rule = '='.repeat(78);

/** THIRD_PARTY_LICENSES: every bundled package with its licence text, then `extra` ({ title, text }), e.g. Node's for the executables. */
export function thirdPartyNotices(packages, extra = []) {
  const head = [
    'ssm-materialize redistributes the following third-party software.',
    'Each entry gives the package, its version, its licence and the licence text it ships.',
    '',
  ].join('\n');
  const entries = [
    ...packages.map(
      (p) => `${rule}\n${p.name} ${p.version} (${p.license})\n${rule}\n\n${p.texts.map((t) => `--- ${t.file} ---\n${t.text.trim()}\n`).join('\n')}`,
    ),
    ...extra.map((e) => `${rule}\n${e.title}\n${rule}\n\n${e.text.trim()}\n`),
  ];
  return `${head}\n${entries.join('\n')}`;
}

const purl = (name, version) => `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const sriHex = (integrity) => Buffer.from(integrity.replace(/^sha512-/, ''), 'base64').toString('hex');

/**
 * A CycloneDX 1.5 SBOM of one artifact: the tool itself (with the artifact's
 * SHA-256), each bundled package, and `node` ({ version, integrity, arch })
 * for an executable that embeds Node.
 */
export function cycloneDx({ artifact, file, version, packages, node }) {
  const self = `pkg:npm/ssm-materialize@${version}`;
  const components = packages.map((p) => {
    const [group, name] = p.name.startsWith('@') ? p.name.split('/') : [undefined, p.name];
    return {
      type: 'library',
      'bom-ref': purl(p.name, p.version),
      ...(group ? { group } : {}),
      name,
      version: p.version,
      purl: purl(p.name, p.version),
      licenses: [{ license: { id: p.license } }],
    };
  });
  if (node) {
    const ref = purl(`node-linux-${node.arch}`, node.version);
    components.push({
      type: 'platform',
      'bom-ref': ref,
      name: 'node',
      version: node.version,
      description: `Node.js ${node.version} runtime embedded in the executable (npm package node-linux-${node.arch})`,
      purl: ref,
      hashes: [{ alg: 'SHA-512', content: sriHex(node.integrity) }],
      licenses: [{ license: { id: 'MIT' } }],
      externalReferences: [{ type: 'website', url: 'https://nodejs.org/' }],
    });
  }
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: new Date(process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now()).toISOString(),
      tools: { components: [{ type: 'application', name: 'ssm-materialize scripts/licenses.mjs', version }] },
      component: {
        type: 'application',
        'bom-ref': self,
        name: 'ssm-materialize',
        version,
        purl: self,
        licenses: [{ license: { id: 'MIT' } }],
        hashes: [{ alg: 'SHA-256', content: sha256(file) }],
        properties: [{ name: 'artifact', value: artifact }],
      },
    },
    components,
    dependencies: [{ ref: self, dependsOn: components.map((c) => c['bom-ref']) }],
  };
}
