import { describe, expect, it } from 'vitest';
import { mapSdkError } from '../../src/aws/sdk-errors.js';
import { boundedConcurrency, mergeDenialHints } from '../../src/aws/ssm.js';
import { AccessDeniedError, MissingParametersError, StoreUnavailableError, UsageError } from '../../src/errors.js';

const sdkError = (name: string, message: string, status = 400) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('mapping SDK errors to exit codes and hints', () => {
  it('AccessDenied names the action and ARN to allow (exit 4)', () => {
    const err = mapSdkError(
      sdkError(
        'AccessDeniedException',
        'User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:1:parameter/app/db because no identity-based policy allows the ssm:GetParameters action',
      ),
      'GetParameters',
      ['/app/db', '/app/x'],
    );
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect(err.exitCode).toBe(4);
    expect(err.message).toContain('/app/db, /app/x');
    expect(err.hint).toContain('allow ssm:GetParameters on arn:aws:ssm:us-east-1:1:parameter/app/db');
  });

  it('denials of several parameters give one hint listing every ARN, not one sentence per ARN', () => {
    const denial = (name: string) =>
      mapSdkError(
        sdkError(
          'AccessDeniedException',
          `User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:1:parameter${name} because no identity-based policy allows the ssm:GetParameters action`,
        ),
        'GetParameters',
        [name],
      ).hint ?? '';
    const kms = "allow kms:Decrypt on the KMS key that encrypts /app/k (in the key policy or the role's policy)";
    const hint = mergeDenialHints([denial('/app/a'), denial('/app/b'), denial('/app/a'), kms]);
    expect(hint.match(/allow ssm:GetParameters on/g)).toHaveLength(1);
    expect(hint).toContain(
      "allow ssm:GetParameters on arn:aws:ssm:us-east-1:1:parameter/app/a, arn:aws:ssm:us-east-1:1:parameter/app/b in the role's IAM policy",
    );
    expect(hint).toContain(kms);
    expect(mergeDenialHints([denial('/app/a')])).toBe(denial('/app/a'));
  });

  it('a KMS-wrapped denial points at kms:Decrypt', () => {
    const err = mapSdkError(
      sdkError(
        'AccessDeniedException',
        'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access. (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)',
      ),
      'GetParameters',
      ['/app/db'],
    );
    expect(err.exitCode).toBe(4);
    expect(err.hint).toContain('kms:Decrypt');
  });

  it.each([
    ['ThrottlingException', 400, 5],
    ['InternalServerError', 500, 5],
    ['TimeoutError', 0, 5],
    ['UnrecognizedClientException', 400, 4],
    ['InvalidSignatureException', 400, 4],
    ['ValidationException', 400, 2],
    ['ParameterNotFound', 400, 3],
  ])('%s (HTTP %i) exits %i', (name, status, code) => {
    expect(mapSdkError(sdkError(name, 'm', status), 'GetParameters', ['/a']).exitCode).toBe(code);
  });

  it('network errors and the deadline exit 5 with a hint', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(mapSdkError(reset, 'GetParameters', ['/a'])).toBeInstanceOf(StoreUnavailableError);
    const timeout = mapSdkError(sdkError('AbortError', 'aborted'), 'GetParametersByPath', ['/p'], 2500);
    expect(timeout.message).toContain('timed out after 2.5 s');
    expect(timeout.hint).toContain('--timeout');
  });

  it('a missing region is a usage error, missing parameters exit 3', () => {
    expect(mapSdkError(new Error('Region is missing'), 'GetParameters', [])).toBeInstanceOf(UsageError);
    expect(mapSdkError(sdkError('ParameterNotFound', ''), 'GetParameter', ['/a'])).toBeInstanceOf(MissingParametersError);
  });
});

describe('boundedConcurrency', () => {
  it('never runs more than n tasks at once and runs them all', async () => {
    const limit = boundedConcurrency(3);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 2));
          running--;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
