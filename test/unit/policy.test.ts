import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest.js';
import { buildPolicy, policyWarnings } from '../../src/iam/policy.js';
import { UsageError } from '../../src/errors.js';

const manifest = parseManifest(
  `version: 1
prefix: /app
outputs:
  - { path: a.env, format: dotenv, values: { B: b:3, A: /other/a, B2: b:prod }, paths: [ /app/env, { path: /app/env, recursive: true } ] }
  - { path: b.json, format: json, values: { x: a2 } }
`,
  'm.yaml',
  {},
  '/out',
);

describe('buildPolicy', () => {
  it('names each parameter once without its selector, and each path with its subtree', () => {
    const policy = buildPolicy(manifest, { account: '123456789012', region: 'eu-west-1' });
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Action: ['ssm:GetParameters', 'ssm:GetParameter'],
        Resource: [
          'arn:aws:ssm:eu-west-1:123456789012:parameter/app/a2',
          'arn:aws:ssm:eu-west-1:123456789012:parameter/app/b',
          'arn:aws:ssm:eu-west-1:123456789012:parameter/other/a',
        ],
      }),
      expect.objectContaining({
        Action: 'ssm:GetParametersByPath',
        Resource: ['arn:aws:ssm:eu-west-1:123456789012:parameter/app/env', 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/env/*'],
      }),
    ]);
  });

  it('uses the partition given, and adds kms:Decrypt only for a named key', () => {
    const policy = buildPolicy(manifest, {
      account: '123456789012',
      region: 'cn-north-1',
      partition: 'aws-cn',
      kmsKey: '1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    expect(JSON.stringify(policy)).toContain('arn:aws-cn:ssm:cn-north-1:123456789012:parameter/app/b');
    expect(policy.Statement.at(-1)).toMatchObject({
      Action: 'kms:Decrypt',
      Resource: 'arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
  });

  it('refuses a malformed account or region', () => {
    expect(() => buildPolicy(manifest, { account: '12', region: 'eu-west-1' })).toThrow(UsageError);
    expect(() => buildPolicy(manifest, { account: '123456789012', region: 'Europe' })).toThrow(UsageError);
  });
});

const manifestWith = (values: string, paths = '[]') =>
  parseManifest(`version: 1\noutputs:\n  - { path: a.env, format: dotenv, values: ${values}, paths: ${paths} }\n`, 'm.yaml', {}, '/out');
const OPTIONS = { account: '123456789012', region: 'eu-west-1', kmsKey: '1234abcd-12ab-34cd-56ef-1234567890ab' };

describe('policy builder', () => {
  it('grants a Secrets Manager reference GetSecretValue on the secret ARN with the -?????? suffix, and the KMS grant through secretsmanager', () => {
    const policy = buildPolicy(manifestWith('{ DB: /aws/reference/secretsmanager/prod/db }'), OPTIONS);
    const byId = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    expect(byId['ReadReferencedSecrets']).toEqual({
      Sid: 'ReadReferencedSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-??????'],
    });
    expect(byId['DecryptReferencedSecrets']).toMatchObject({
      Action: 'kms:Decrypt',
      Resource: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      Condition: {
        StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
        StringLike: { 'kms:EncryptionContext:SecretARN': ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-??????'] },
      },
    });
    // No SSM-side decrypt grant for a parameter that is really a secret.
    expect(byId['DecryptParameters']).toBeUndefined();
  });

  it('gives /aws/service public parameters an ARN without an account, and no KMS context', () => {
    const policy = buildPolicy(manifestWith('{ AMI: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64, OWN: /app/x }'), OPTIONS);
    expect(policy.Statement[0]?.Resource).toEqual([
      'arn:aws:ssm:eu-west-1:123456789012:parameter/app/x',
      'arn:aws:ssm:eu-west-1::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    ]);
    const decrypt = policy.Statement.find((s) => s.Sid === 'DecryptParameters');
    expect(decrypt?.Condition?.['StringLike']).toEqual({ 'kms:EncryptionContext:PARAMETER_ARN': ['arn:aws:ssm:eu-west-1:123456789012:parameter/app/x'] });
  });

  it('drops paths and decrypt contexts already covered by an enclosing path', () => {
    const policy = buildPolicy(
      manifestWith('{ A: /app/env/a, B: /other/b }', '[ { path: /app, recursive: true }, { path: /app/env }, { path: /apple } ]'),
      OPTIONS,
    );
    const byPath = policy.Statement.find((s) => s.Sid === 'ReadParametersByPath');
    expect(byPath?.Resource).toEqual([
      'arn:aws:ssm:eu-west-1:123456789012:parameter/app',
      'arn:aws:ssm:eu-west-1:123456789012:parameter/app/*',
      'arn:aws:ssm:eu-west-1:123456789012:parameter/apple',
      'arn:aws:ssm:eu-west-1:123456789012:parameter/apple/*',
    ]);
    const decrypt = policy.Statement.find((s) => s.Sid === 'DecryptParameters');
    expect(decrypt?.Condition?.['StringLike']).toEqual({
      'kms:EncryptionContext:PARAMETER_ARN': [
        'arn:aws:ssm:eu-west-1:123456789012:parameter/other/b',
        'arn:aws:ssm:eu-west-1:123456789012:parameter/app/*',
        'arn:aws:ssm:eu-west-1:123456789012:parameter/apple/*',
      ],
    });
  });

  it('warns, without --kms-key, that SecureStrings under a customer key will be denied', () => {
    const m = manifestWith('{ A: /app/a }');
    expect(policyWarnings(m, { account: OPTIONS.account, region: OPTIONS.region }).join('\n')).toMatch(/no --kms-key.*customer managed KMS key will be denied/);
    expect(policyWarnings(m, OPTIONS)).toEqual([]);
  });
});
