import { describe, expect, it } from 'vitest';
import { checkParameterName, keyForPathParameter, parameterArn, splitSelector } from '../../src/names.js';

describe('parameter names', () => {
  it('splits the selector at the last colon', () => {
    expect(splitSelector('/a/b:3')).toEqual({ name: '/a/b', selector: '3' });
    expect(splitSelector('/a/b')).toEqual({ name: '/a/b', selector: undefined });
  });

  it.each([
    ['/app/db/password', undefined, true],
    ['single', undefined, true],
    ['/aws/reference/secretsmanager/prod-db', undefined, true],
    ['/aws/service/ami-amazon-linux-latest/x', undefined, true],
    ['/aws/mine', undefined, false],
    ['ssm-thing', undefined, false],
    ['/SSM/x', undefined, false],
    ['a/b', undefined, false],
    ['/a//b', undefined, false],
    ['/a b', undefined, false],
    ['/' + Array.from({ length: 16 }, (_, i) => `l${i}`).join('/'), undefined, false],
    ['/a', 'prod', true],
    ['/a', '12', true],
    ['/a', '0', false],
    ['/a', '1abc', false],
    ['/a', 'awsx', false],
  ])('%s (selector %s) valid: %s', (name, selector, valid) => {
    expect(checkParameterName(name, selector) === undefined).toBe(valid);
  });

  it('builds ARNs with exactly one slash after parameter, without selectors', () => {
    expect(parameterArn('/app/db/pw:3', 'us-east-1', '123456789012')).toBe('arn:aws:ssm:us-east-1:123456789012:parameter/app/db/pw');
    expect(parameterArn('single', 'us-east-1', '123456789012')).toBe('arn:aws:ssm:us-east-1:123456789012:parameter/single');
  });

  it('names keys from paths by one rule', () => {
    expect(keyForPathParameter('/myapp/prod/env', '/myapp/prod/env/NODE_ENV')).toBe('NODE_ENV');
    expect(keyForPathParameter('/myapp/prod/env', '/myapp/prod/env/mail/smtp-host')).toBe('MAIL_SMTP_HOST');
    expect(keyForPathParameter('/', '/top.level')).toBe('TOP_LEVEL');
  });
});
