/** The shared config file read as the SDKs read it: endpoints for a profile, and the retry settings. */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configuredEndpoint, retrySettings } from '../../src/aws/aws-config.js';
import { UsageError } from '../../src/errors.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

function config(text: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const file = join(tempDir(), 'config');
  writeFileSync(file, text);
  return { AWS_CONFIG_FILE: file, ...extra };
}

const FILE = `# a comment
[default]
endpoint_url = http://default.example ; a trailing comment

[profile prod]
region = us-east-1
services = vpce
endpoint_url = http://prod-global.example
ignore_configured_endpoint_urls = false
max_attempts = 4
retry_mode = standard

[services vpce]
ssm =
  endpoint_url = http://ssm-vpce.example
sts =
  endpoint_url = http://sts-vpce.example
s3 =
  endpoint_url = http://s3.example
endpoint_url = http://not-a-sub-property.example

[profile ignoring]
endpoint_url = http://ignored.example
ignore_configured_endpoint_urls = true
`;

describe('configuredEndpoint', () => {
  it("takes the service's entry of the profile's services section, else the profile's endpoint_url", () => {
    const env = config(FILE);
    expect(configuredEndpoint('ssm', 'prod', env)).toBe('http://ssm-vpce.example');
    expect(configuredEndpoint('sts', 'prod', env)).toBe('http://sts-vpce.example');
    expect(configuredEndpoint('secretsmanager', 'prod', env)).toBe('http://prod-global.example');
    expect(configuredEndpoint('ssm', 'default', env)).toBe('http://default.example');
    expect(configuredEndpoint('ssm', 'absent', env)).toBeUndefined();
  });

  it('puts the environment first: AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL', () => {
    expect(configuredEndpoint('ssm', 'prod', config(FILE, { AWS_ENDPOINT_URL: 'http://env-global.example' }))).toBe('http://env-global.example');
    expect(
      configuredEndpoint('ssm', 'prod', config(FILE, { AWS_ENDPOINT_URL: 'http://env-global.example', AWS_ENDPOINT_URL_SSM: 'http://env-ssm.example' })),
    ).toBe('http://env-ssm.example');
  });

  it('ignores every configured endpoint when told to, the environment deciding before the profile', () => {
    expect(configuredEndpoint('ssm', 'ignoring', config(FILE))).toBeUndefined();
    expect(
      configuredEndpoint('ssm', 'prod', config(FILE, { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL_SSM: 'http://x.example' })),
    ).toBeUndefined();
    expect(configuredEndpoint('ssm', 'ignoring', config(FILE, { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false' }))).toBe('http://ignored.example');
  });

  it('refuses a services name with no section, and reads a missing file as empty', () => {
    expect(() => configuredEndpoint('ssm', 'p', config('[profile p]\nservices = gone\n'))).toThrow(UsageError);
    expect(configuredEndpoint('ssm', 'p', { AWS_CONFIG_FILE: join(tempDir(), 'none') })).toBeUndefined();
  });
});

describe('retrySettings', () => {
  it('reads AWS_MAX_ATTEMPTS, else the profile (given, else AWS_PROFILE, else default)', () => {
    expect(retrySettings('prod', config(FILE))).toEqual({ maxAttempts: 4 });
    expect(retrySettings(undefined, config(FILE, { AWS_PROFILE: 'prod' }))).toEqual({ maxAttempts: 4 });
    expect(retrySettings('prod', config(FILE, { AWS_MAX_ATTEMPTS: '2' }))).toEqual({ maxAttempts: 2 });
    expect(retrySettings(undefined, config(FILE))).toEqual({});
  });

  it('names the variable or the profile setting that is wrong', () => {
    expect(() => retrySettings(undefined, { AWS_RETRY_MODE: 'fast' })).toThrow('AWS_RETRY_MODE must be legacy, standard or adaptive');
    expect(() => retrySettings('p', config('[profile p]\nmax_attempts = 0\n'))).toThrow('max_attempts of profile p must be an integer >= 1');
  });
});
