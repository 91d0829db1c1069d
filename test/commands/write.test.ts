/**
 * Write in-process through `main(argv, io)`: the real SDK over real HTTP, the emulator, and
 * every written file read back by its real consumer.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { APP_KEY_ALIAS, useCanaryEmulator } from '../helpers/emulator.js';
import { readDotenv, readJson, readShell, readYaml } from '../helpers/consumers.js';
import { useTempDir } from '../helpers/tmp.js';

/** Values that break naive writers; each carries a canary so leaks are findable. */
const NASTY: Record<string, string> = {
  NEWLINES: 'CANARY-nl line one\nline two\n',
  SINGLE: "CANARY-sq it's",
  DOUBLE: 'CANARY-dq say "hi"',
  BACKTICK: 'CANARY-bt `whoami`',
  HASH: 'CANARY-hash #not a comment',
  DOLLAR: 'CANARY-dollar $HOME ${PATH} $(id)',
  SPACES: '   CANARY-spaces   ',
  UNICODE: 'CANARY-unicode Grüße 世界 👋',
  PEM: '-----BEGIN PRIVATE KEY-----\nCANARY-pem MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n',
  JSON_DOC: '{"CANARY":"json","n":[1,2,{"x":"y"}]}',
  YAML_TRAP: 'no',
  BIG: 'CANARY-big ' + 'x'.repeat(4096 - 11),
};
/** A CR survives json, yaml and shell, but not Node's .env parser: the dotenv output does not list it. */
const CR_VALUES: Record<string, string> = { CRLF: 'CANARY-crlf a\r\nb\r\n' };
const CANARY = 'CANARY';

const tempDir = useTempDir();
const { emulator, main: run } = useCanaryEmulator(
  [
    ...Object.entries(NASTY).map(([k, value]) => ({ name: `/e2e/nasty/${k}`, type: 'SecureString' as const, key_id: APP_KEY_ALIAS, value })),
    ...Object.entries(CR_VALUES).map(([k, value]) => ({ name: `/e2e/cr/${k}`, type: 'SecureString' as const, key_id: APP_KEY_ALIAS, value })),
    { name: '/e2e/app/api-key', type: 'SecureString', key_id: APP_KEY_ALIAS, value: 'CANARY-api-key-v1' },
    { name: '/e2e/app/cert', type: 'String', versions: ['CANARY-cert-v1', 'CANARY-cert-v2', 'CANARY-cert-v3'], labels: { stable: 2 } },
    ...Array.from({ length: 1000 }, (_, i) => ({ name: `/bulk/p${String(i).padStart(4, '0')}`, type: 'String' as const, value: `CANARY-bulk-${i}` })),
  ],
  CANARY,
);
const cli = (args: string[]) => run(args);

function manifestFor(dir: string): string {
  const file = join(dir, 'materialize.yaml');
  writeFileSync(
    file,
    `version: 1
prefix: /e2e/app
outputs:
${['dotenv', 'json', 'yaml', 'shell']
  .map(
    (format) => `  - path: out.${format}
    format: ${format}
    values:
      API_KEY: api-key
      CERT_V1: cert:1
      CERT_STABLE: cert:stable
      LOG_LEVEL: { parameter: log-level, optional: true, default: info }
    paths:
      - { path: /e2e/nasty, recursive: true }
${format === 'dotenv' ? '' : '      - { path: /e2e/cr }\n'}`,
  )
  .join('')}`,
  );
  return file;
}

const expected: Record<string, string> = {
  API_KEY: 'CANARY-api-key-v1',
  CERT_V1: 'CANARY-cert-v1',
  CERT_STABLE: 'CANARY-cert-v2',
  LOG_LEVEL: 'info',
  ...NASTY,
};
const expectedWithCr = { ...expected, ...CR_VALUES };

describe('write, end to end', () => {
  it('materializes four formats whose files re-parse exactly, all mode 0600', async () => {
    const dir = tempDir();
    const manifest = manifestFor(dir);
    emulator().resetCounters();
    const result = await cli(['write', '-m', manifest]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/wrote +.*out\.dotenv \(dotenv, 16 keys, mode 0600\)/);
    // 2 GetParameters for the 4 names (cert:1 and cert:stable share a base name, so they go in
    // separate calls) + 2 pages for the 12 parameters under the path, shared by all 4 outputs, + 1 for /e2e/cr.
    expect(result.stdout).toMatch(/done: 4 outputs, 4 changed, 5 API calls/);
    expect(emulator().counters().operations).toMatchObject({ GetParameters: 2, GetParametersByPath: 3 });

    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    expect(readDotenv(read('out.dotenv'))).toEqual(expected);
    expect(readJson(read('out.json'))).toEqual(expectedWithCr);
    expect(readYaml(read('out.yaml'))).toEqual(expectedWithCr);
    expect(readShell(join(dir, 'out.shell'), Object.keys(expectedWithCr))).toEqual(expectedWithCr);
    for (const f of ['out.dotenv', 'out.json', 'out.yaml', 'out.shell']) expect(statSync(join(dir, f)).mode & 0o7777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['materialize.yaml', 'out.dotenv', 'out.json', 'out.shell', 'out.yaml']);

    const again = await cli(['write', '-m', manifest]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/done: 4 outputs, 0 changed/);
  });

  it('exits 3 naming every missing parameter and leaves existing outputs byte-identical', async () => {
    const dir = tempDir();
    const manifest = manifestFor(dir);
    expect((await cli(['write', '-m', manifest])).code).toBe(0);
    const before = ['out.dotenv', 'out.json'].map((f) => ({ st: statSync(join(dir, f)), bytes: readFileSync(join(dir, f)) }));

    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('API_KEY: api-key', 'API_KEY: api-key\n      GONE: gone\n      ALSO_GONE: /e2e/nope:7'));
    const result = await cli(['write', '-m', manifest]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('/e2e/app/gone');
    expect(result.stderr).toContain('/e2e/nope:7');
    expect(result.stderr).toContain('hint:');
    ['out.dotenv', 'out.json'].forEach((f, i) => {
      const st = statSync(join(dir, f));
      expect([st.ino, st.mtimeMs]).toEqual([before[i]!.st.ino, before[i]!.st.mtimeMs]);
      expect(readFileSync(join(dir, f)).equals(before[i]!.bytes)).toBe(true);
    });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('fetches 1000 explicit names in exactly 100 GetParameters calls', async () => {
    const dir = tempDir();
    const values = Array.from({ length: 1000 }, (_, i) => `      K${i}: /bulk/p${String(i).padStart(4, '0')}`).join('\n');
    const manifest = join(dir, 'bulk.yaml');
    writeFileSync(
      manifest,
      `version: 1\noutputs:\n  - path: bulk.env\n    format: dotenv\n    values:\n${values}\n  - path: bulk.json\n    format: json\n    values:\n${values}\n`,
    );
    emulator().resetCounters();
    const result = await cli(['write', '-m', manifest, '--verbose']);
    expect(result.code).toBe(0);
    expect(emulator().counters().operations).toEqual({ GetParameters: 100 });
    expect(result.stdout).toContain('100 API calls');
    const parsed = readDotenv(readFileSync(join(dir, 'bulk.env'), 'utf8'));
    expect(Object.keys(parsed)).toHaveLength(1000);
    expect(parsed.K999).toBe('CANARY-bulk-999');
  });

  it('validates a manifest offline with file and line, exit 2', async () => {
    const dir = tempDir();
    const manifest = join(dir, 'bad.yaml');
    writeFileSync(manifest, 'version: 1\noutputs:\n  - path: x\n    format: nope\n    values: { A: /a }\n');
    const result = await cli(['validate', '-m', manifest]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${manifest}:4`);
    expect(result.stderr).toContain('unknown format "nope"');
    const ok = await cli(['validate', '-m', manifestFor(dir)]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('valid (4 outputs');
  });

  it('exits 2 on an unknown option and prints usage help on --help', async () => {
    const bad = await cli(['write', '--no-such-flag']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown argument at position 2 of the command line/);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes');
  });

  it("prints each command's own help, also after parsing a command by name (yargs' help cache is skipped, not the help)", async () => {
    for (const [command, option] of [
      ['write', '--keep-last-good'],
      ['plan', '--fleet'],
      ['validate', '--manifest'],
      ['put', '--kms-key'],
    ] as const) {
      const help = await cli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stderr).toBe('');
      expect(help.stdout).toContain(`ssm-materialize ${command}`);
      expect(help.stdout).toContain(option);
    }
    // A failure after a command was parsed by name prints our error, not a help text.
    const failed = await cli(['validate', '-m', '/nonexistent/materialize.yaml']);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('/nonexistent/materialize.yaml');
    expect(failed.stdout + failed.stderr).not.toContain('Exit codes');
  });
});
