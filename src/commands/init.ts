/**
 * `init`: write a commented starter manifest. With `--from .env`, propose a
 * parameter name per key and print the `put` commands that upload them. The
 * values are never printed: each `put` reads its value from stdin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import dotenv from 'dotenv';
import packageJson from '../../package.json' with { type: 'json' };
import { OutputError, UsageError } from '../errors.js';
import { formatNames } from '../formats/index.js';
import type { Logger } from '../log.js';
import { checkPath } from '../names.js';

export interface InitArgs {
  manifest: string;
  from?: string;
  prefix: string;
  'kms-key': string;
  force: boolean;
}

export async function initCommand(args: InitArgs, log: Logger): Promise<number> {
  // The prefix may hold ${VAR} references (the default does): check the name around them.
  const problem = checkPath(args.prefix.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x'));
  if (problem) throw new UsageError(`--prefix: ${problem}`);
  let keys: string[] = [];
  if (args.from) {
    if (!existsSync(args.from)) throw new UsageError(`--from ${args.from}: no such file`);
    keys = Object.keys(dotenv.parse(readFileSync(args.from)));
    if (keys.length === 0) throw new UsageError(`--from ${args.from}: no KEY=value lines found`);
  }
  // The modeline must be the first line: yaml-language-server (VS Code's YAML extension) reads it there.
  const text = `# yaml-language-server: $schema=${schemaReference(args.manifest)}\n${starterManifest(args.prefix, keys)}`;
  try {
    // wx: never overwrite an existing manifest unless --force.
    await fs.writeFile(args.manifest, text, { flag: args.force ? 'w' : 'wx', mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${args.manifest} exists; pass --force to replace it`);
    throw new OutputError(args.manifest, `cannot write (${(err as NodeJS.ErrnoException).code})`, { cause: err });
  }
  const lines = [`wrote ${args.manifest}`];
  if (keys.length) {
    lines.push('', 'Upload the values (each command reads the value from a hidden prompt, or from stdin):');
    for (const key of keys) lines.push(`  ssm-materialize put ${args.prefix}/${key} --type SecureString --kms-key ${args['kms-key']}`);
    lines.push('', `For example, from the existing file without typing:`);
    lines.push(
      `  node -e 'process.stdout.write(require("dotenv").parse(require("fs").readFileSync(process.argv[1])).${keys[0]})' ${args.from} | ssm-materialize put ${args.prefix}/${keys[0]} --kms-key ${args['kms-key']}`,
    );
  }
  log.result('init', { path: args.manifest, keys: keys.length }, lines.join('\n'));
  return 0;
}

function starterManifest(prefix: string, keys: string[]): string {
  const values = keys.length
    ? keys.map((k) => `      ${k}: ${k}`).join('\n')
    : '      API_KEY: api-key                       # -> ' + prefix + '/api-key\n      LOG_LEVEL: { parameter: log-level, optional: true, default: info }';
  return `# ssm-materialize manifest. Guide: docs/manifest-guide.md in the ssm-materialize repository.
# Check it offline with: ssm-materialize validate -m materialize.yaml
version: 1
# region: us-east-1            # else --region, AWS_REGION or the profile
prefix: ${prefix}                # names without a leading slash are relative to this
outputs:
  - path: .env                 # relative to this file; absolute paths are fine
    format: dotenv             # ${formatNames.join(' | ')} (docs/formats.md)
    mode: "0600"
    # owner: www-data
    # group: www-data
    values:
${values}
    # paths:
    #   - { path: env, recursive: true }   # every parameter below ${prefix}/env becomes a key
    # verify: "test -s \\"$1\\""           # runs against the new file before it replaces the old one
    # on_change: "systemctl reload php-fpm"
`;
}

/** The JSON Schema inside the npm package (package.json `files`), as `npm run schema` writes it. */
const PACKAGED_SCHEMA = 'schema/materialize.schema.json';

/**
 * Where an editor finds the manifest's JSON Schema (docs/manifest.md, "Editor
 * support"): the copy an npm install put in a node_modules beside the manifest
 * or above it, as a path relative to the manifest, which works offline and
 * matches the installed tool; else (a global install, npx, the standalone
 * executable) the npm CDN's copy of this version's package.
 */
export function schemaReference(manifestPath: string): string {
  const from = dirname(resolve(manifestPath));
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', packageJson.name, PACKAGED_SCHEMA);
    if (existsSync(candidate)) return relative(from, candidate).split(sep).join('/');
    if (dirname(dir) === dir) break;
  }
  return `https://cdn.jsdelivr.net/npm/${packageJson.name}@${packageJson.version}/${PACKAGED_SCHEMA}`;
}
