import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest.js';
import { buildPolicy } from '../../src/commands/policy.js';
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
      expect.objectContaining({ Action: ['ssm:GetParameters', 'ssm:GetParameter'], Resource: ['arn:aws:ssm:eu-west-1:123456789012:parameter/app/a2', 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/b', 'arn:aws:ssm:eu-west-1:123456789012:parameter/other/a'] }),
      expect.objectContaining({ Action: 'ssm:GetParametersByPath', Resource: ['arn:aws:ssm:eu-west-1:123456789012:parameter/app/env', 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/env/*'] }),
    ]);
  });

  it('uses the partition given, and adds kms:Decrypt only for a named key', () => {
    const policy = buildPolicy(manifest, { account: '123456789012', region: 'cn-north-1', partition: 'aws-cn', kmsKey: '1234abcd-12ab-34cd-56ef-1234567890ab' });
    expect(JSON.stringify(policy)).toContain('arn:aws-cn:ssm:cn-north-1:123456789012:parameter/app/b');
    expect(policy.Statement.at(-1)).toMatchObject({ Action: 'kms:Decrypt', Resource: 'arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' });
  });

  it('refuses a malformed account or region', () => {
    expect(() => buildPolicy(manifest, { account: '12', region: 'eu-west-1' })).toThrow(UsageError);
    expect(() => buildPolicy(manifest, { account: '123456789012', region: 'Europe' })).toThrow(UsageError);
  });
});
