/** `policy --key-policy` and `policy --deny-for ROLE` through main(argv, io): offline, printed JSON. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain } from '../helpers/main.js';

const dir = mkdtempSync(join(tmpdir(), 'ssm-mat-keypolicy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const manifest = join(dir, 'm.yaml');
writeFileSync(
  manifest,
  `version: 1\noutputs:\n  - path: ${dir}/app.env\n    format: dotenv\n    values:\n      A: /myapp/prod/db/password\n      S: /aws/reference/secretsmanager/prod/db\n    paths:\n      - /myapp/prod/env\n`,
);
const BASE = ['policy', '-m', manifest, '--account', '123456789012', '--region', 'eu-west-1'];
const ROLE = 'arn:aws:iam::123456789012:role/myapp-instance';
const ADMIN = 'arn:aws:iam::123456789012:role/key-admins';

async function policy(extra: string[]): Promise<{ code: number; doc: any; stderr: string }> {
  const r = await runMain([...BASE, ...extra], { env: { PATH: process.env.PATH } });
  return { code: r.code, doc: r.code === 0 ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}
const sid = (doc: any, name: string) => doc.Statement.find((s: any) => s.Sid === name);

describe('policy --key-policy', () => {
  it('the account controls the key, administrators manage it without using it, the instance role decrypts only through Parameter Store for these parameters', async () => {
    const { code, doc } = await policy(['--key-policy', '--instance-role', ROLE, '--key-admin', ADMIN]);
    expect(code).toBe(0);
    expect(sid(doc, 'AccountControlsTheKey')).toMatchObject({ Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*' });
    const admin = sid(doc, 'KeyAdministratorsManageNotUse');
    expect(admin.Principal).toEqual({ AWS: ADMIN });
    expect(admin.Action.filter((a: string) => /Decrypt|Encrypt|GenerateDataKey|kms:\*/.test(a))).toEqual([]);
    const use = sid(doc, 'InstanceRoleDecryptsThroughParameterStore');
    expect([use.Principal, use.Action]).toEqual([{ AWS: ROLE }, 'kms:Decrypt']);
    expect(use.Condition.StringEquals).toEqual({ 'kms:ViaService': 'ssm.eu-west-1.amazonaws.com', 'kms:CallerAccount': '123456789012' });
    // Exactly the encryption contexts the read policy allows with --kms-key.
    const read = await policy(['--kms-key', '1234abcd-12ab-34cd-56ef-1234567890ab']);
    expect(use.Condition.StringLike).toEqual(sid(read.doc, 'DecryptParameters').Condition.StringLike);
    expect(sid(doc, 'InstanceRoleDecryptsThroughSecretsManager').Condition.StringEquals['kms:ViaService']).toBe('secretsmanager.eu-west-1.amazonaws.com');
  });

  it('needs the instance role, and role ARNs; refuses to print both policies at once', async () => {
    expect((await policy(['--key-policy'])).stderr).toContain('--key-policy needs --instance-role ARN');
    expect((await policy(['--key-policy', '--instance-role', 'myapp-instance'])).code).toBe(2);
    expect((await policy(['--key-policy', '--instance-role', ROLE, '--deny-for', 'PowerUser'])).code).toBe(2);
  });
});

describe('policy --deny-for ROLE', () => {
  it('denies every read the instance policy allows, parameter history and ancestor listings too, and the key', async () => {
    const { code, doc, stderr } = await policy(['--deny-for', 'PowerUserRole', '--kms-key', 'alias/MyApplicationKey']);
    expect(code).toBe(0);
    expect(stderr).toContain('--role-name PowerUserRole');
    for (const s of doc.Statement) expect(s.Effect).toBe('Deny');
    const allow = (await policy(['--kms-key', 'alias/MyApplicationKey'])).doc;
    const denied = sid(doc, 'DenyReadingTheAppsParameters');
    expect(denied.Action).toEqual(expect.arrayContaining(['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParameterHistory', 'ssm:GetParametersByPath']));
    for (const s of ['ReadNamedParameters', 'ReadParametersByPath']) for (const r of [sid(allow, s).Resource].flat()) expect(denied.Resource).toContain(r);
    expect(sid(doc, 'DenyListingAncestorPaths').Resource).toEqual([
      'arn:aws:ssm:eu-west-1:123456789012:parameter/',
      'arn:aws:ssm:eu-west-1:123456789012:parameter/myapp',
      'arn:aws:ssm:eu-west-1:123456789012:parameter/myapp/prod',
      'arn:aws:ssm:eu-west-1:123456789012:parameter/myapp/prod/db',
    ]);
    expect(sid(doc, 'DenyReadingReferencedSecrets').Resource).toEqual(sid(allow, 'ReadReferencedSecrets').Resource);
    const key = sid(doc, 'DenyUsingTheAppsKey');
    expect([key.Resource, key.Condition]).toEqual([
      sid(allow, 'DecryptParameters').Resource,
      { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/MyApplicationKey' } },
    ]);
    expect(key.Action).toContain('kms:Decrypt');
  });
});
