/** Seed files: the documented shape loads; every mistake is reported with file and line. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParametersCommand } from '@aws-sdk/client-ssm';
import { SeedError } from '../src/seed.js';
import { loadSeedFile, startEmulator } from '../src/index.js';
import { client } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'emulator-seed-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const GOOD = `region: us-east-1
account: "123456789012"
signature: verify
credentials:
  - access_key_id: AKIAEMULATORDEMO
    secret_access_key: emulator-demo-secret
kms_keys:
  - id: 1234abcd-12ab-34cd-56ef-1234567890ab
    aliases: [alias/MyApplicationKey]
parameters:
  - { name: /myapp/prod/db/password, type: SecureString, key_id: alias/MyApplicationKey, value: "s3cr3t", labels: [prod] }
  - { name: /myapp/prod/cert, versions: ["v1", "v2", "v3"], type: String, labels: { stable: 2 } }
  - { name: /myapp/prod/list, type: StringList, value: [a, b] }
faults: { latency_ms: 0, latency_jitter_ms: 0, tps: 0, error_rate: 0, drop_rate: 0, stall_rate: 0, seed: 1 }
`;

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SeedError);
    expect((err as SeedError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error('expected a SeedError');
}

describe('seed files', () => {
  it('load the documented YAML shape: history, labels, StringList lists, KMS aliases', async () => {
    const seed = loadSeedFile(file('good.yaml', GOOD));
    const emulator = await startEmulator({ port: 0, seed });
    try {
      const out = await client(emulator).send(
        new GetParametersCommand({
          Names: ['/myapp/prod/db/password:prod', '/myapp/prod/cert:stable', '/myapp/prod/cert', '/myapp/prod/list'],
          WithDecryption: true,
        }),
      );
      expect(out.Parameters?.map((p) => [p.Name, p.Selector, p.Value])).toEqual([
        ['/myapp/prod/cert', undefined, 'v3'],
        ['/myapp/prod/cert', ':stable', 'v2'],
        ['/myapp/prod/db/password', ':prod', 's3cr3t'],
        ['/myapp/prod/list', undefined, 'a,b'],
      ]);
    } finally {
      await emulator.close();
    }
  });

  it('load JSON too', () => {
    const seed = loadSeedFile(file('good.json', JSON.stringify({ parameters: [{ name: '/j', value: 'x' }] })));
    expect(seed.parameters?.[0]?.name).toBe('/j');
  });

  it('report every problem with file and line', () => {
    const path = file(
      'bad.yaml',
      `account: 1234
parameters:
  - name: /ok
    value: fine
  - name: a/b
    value: x
  - name: /secure
    type: SecureString
    key_id: alias/Missing
    value: x
  - name: /nolabel
    versions: [a, b]
    labels: { old: 5 }
  - name: /typo
    valeu: x
faults: { error_rate: 3 }
`,
    );
    const message = problemsOf(() => loadSeedFile(path));
    expect(message).toContain(`${path}:1: account: must be 12 digits`);
    expect(message).toContain(`${path}:5: parameters[1].name: invalid parameter name: Parameter name must be a fully qualified name.`);
    expect(message).toContain(`${path}:9: parameters[2].key_id: unknown KMS key`);
    expect(message).toContain(`${path}:13: parameters[3].labels.old: must be a version between 1 and 2`);
    expect(message).toContain(`${path}:15: parameters[4].valeu: unknown key`);
    expect(message).toContain(`${path}:16: faults.error_rate: must be a fraction between 0 and 1`);
  });

  it('report YAML syntax errors with their line, and unreadable files', () => {
    const path = file('syntax.yaml', 'parameters:\n  - name: /a\n    value: "unterminated\n');
    expect(problemsOf(() => loadSeedFile(path))).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+`));
    expect(problemsOf(() => loadSeedFile(join(dir, 'missing.yaml')))).toContain('cannot read the seed file: ENOENT');
  });

  it('are checked when passed in code as well', async () => {
    await expect(startEmulator({ seed: { parameters: [{ name: '/e', value: '' }] } })).rejects.toThrow(/must not be empty/);
    await expect(startEmulator({ seed: { parameters: [{ name: '/big', value: 'x'.repeat(4097) }] } })).rejects.toThrow(/Standard tier/);
  });
});
