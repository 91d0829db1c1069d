/**
 * `plan`/`check` after an output's format changed (in-process main,
 * emulator): the file on disk was written by another format, and reading it
 * with the new format's reader turns pieces of old values into "key names"
 * (a password inside a connection URL, a line inside a multi-line value).
 * Keys are listed only for a file this format wrote; otherwise the plan says
 * the format changed, and no fragment of a value reaches stdout or stderr.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useInProcessEmulator } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';

const VALUES = {
  DB_URL: 'postgres://dbuser:s3cretPW@dbhost/appdb',
  MULTI: 'firstline\nINJECTEDKEY=injval\nyamlkey: yamlval\n$phpvar = 1;',
  JSONISH: '{"jsonfield": "jsonval"}',
  DSN: 'dsnserver=dsnhost dsnpass: dsnpassword',
};
/** Every word of every value: none may appear in plan output. */
const FRAGMENTS = [...new Set(Object.values(VALUES).flatMap((v) => v.match(/[A-Za-z0-9]{4,}/g) ?? []))];
const KEY_FORMATS = ['dotenv', 'shell', 'systemd', 'json', 'yaml', 'php'] as const;

const tempDir = useTempDir();
const { run } = useInProcessEmulator(
  () => ({ parameters: Object.entries(VALUES).map(([key, value]) => ({ name: `/fmt/${key.toLowerCase()}`, type: 'SecureString' as const, value })) }),
  's3cretPW',
);

function manifest(dir: string, format: string): string {
  const file = join(dir, `${format}.yaml`);
  writeFileSync(
    file,
    `version: 1\noutputs:\n  - path: out.conf\n    format: ${format}\n    values:\n${Object.keys(VALUES)
      .map((k) => `      ${k}: /fmt/${k.toLowerCase()}\n`)
      .join('')}`,
  );
  return file;
}

describe('plan after an output changed format', () => {
  for (const from of KEY_FORMATS) {
    it(`written as ${from}, then planned as every other format: "format changed", no fragment of a value`, async () => {
      const dir = tempDir();
      const written = await run(['write', '-m', manifest(dir, from)]);
      expect(written.stderr).toBe('');
      expect(written.code).toBe(0);
      for (const to of KEY_FORMATS.filter((f) => f !== from)) {
        for (const command of ['plan', 'check']) {
          const r = await run([command, '-m', manifest(dir, to)]);
          expect(r.code, `${from} -> ${to} ${command}: ${r.stderr}`).toBe(command === 'check' ? 1 : 0);
          const said = r.stdout + r.stderr;
          for (const fragment of FRAGMENTS) expect(said, `${from} -> ${to} ${command}`).not.toContain(fragment);
          expect(r.stdout, `${from} -> ${to}`).toContain(`out.conf (${to}): format changed (was ${from}): all 4 keys rewritten`);
        }
      }
    });
  }

  it('a file this format wrote is still compared key by key', async () => {
    const dir = tempDir();
    expect((await run(['write', '-m', manifest(dir, 'json')])).code).toBe(0);
    const m = join(dir, 'fewer.yaml');
    writeFileSync(m, 'version: 1\noutputs:\n  - path: out.conf\n    format: json\n    values:\n      DB_URL: /fmt/db_url\n');
    const r = await run(['plan', '-m', m]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/~ .*out\.conf \(json\): 0 added, 3 removed, 0 changed, 1 unchanged\n {4}- MULTI\n {4}- JSONISH\n {4}- DSN/);
  });
});
