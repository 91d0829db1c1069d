/**
 * The SDK error table (src/aws/sdk-errors.ts) row by row: each AWS error name it
 * lists, built as the SDK builds it (an SSMServiceException, or the SDK's own
 * class where client-ssm exports one), maps to its class, exit code and hint;
 * each sign read before or after the name is met by an error that shows it;
 * and between them every row is reached. A name or a row added to the table
 * without a line here fails.
 */
import {
  InternalServerError,
  InvalidKeyId,
  ParameterAlreadyExists,
  ParameterNotFound,
  ParameterVersionNotFound,
  SSMServiceException,
} from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { AccessDeniedError, ExitCode, MissingParametersError, StoreUnavailableError, ToolError, UsageError } from '../../src/errors.js';
import { ProxyConnectError } from '../../src/aws/proxy.js';
import {
  mapSdkError,
  SDK_ERROR_ROWS,
  SDK_ERROR_SIGNS_FIRST,
  SDK_ERROR_SIGNS_LAST,
  SDK_ERRORS_BY_NAME,
  type SdkErrorRowName,
} from '../../src/aws/sdk-errors.js';

type ErrorClass = abstract new (...args: never[]) => ToolError;
const meta = (httpStatusCode: number) => ({ httpStatusCode, attempts: 1, totalRetryDelay: 0 });

/** The SDK's own classes for the SSM errors client-ssm models. */
const SDK_CLASSES = new Map<string, (message: string) => Error>([
  ['ParameterNotFound', (message) => new ParameterNotFound({ message, $metadata: meta(400) })],
  ['ParameterVersionNotFound', (message) => new ParameterVersionNotFound({ message, $metadata: meta(400) })],
  ['ParameterAlreadyExists', (message) => new ParameterAlreadyExists({ message, $metadata: meta(400) })],
  ['InvalidKeyId', (message) => new InvalidKeyId({ message, $metadata: meta(400) })],
  ['InternalServerError', (message) => new InternalServerError({ message, $metadata: meta(500) })],
]);

function sdkError(name: string, message = 'the service said no', status = 400): Error {
  const own = SDK_CLASSES.get(name);
  return own ? own(message) : new SSMServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: meta(status), message });
}

const CREDENTIALS_HINT = /^check the credentials in use \(aws sts get-caller-identity\)/;
const RETRY_HINT = /^retry later; check the endpoint/;
const QUOTA_HINT = /^the account is over its SSM API quota/;

/** What each AWS error name of the table means: row, class, exit code, and the hint's start. */
const BY_NAME: Record<string, [SdkErrorRowName, ErrorClass, number, RegExp | undefined]> = {
  AbortError: ['timedOut', StoreUnavailableError, ExitCode.unavailable, /^raise --timeout/],
  CredentialsProviderError: ['noCredentials', AccessDeniedError, ExitCode.accessDenied, /^attach an instance role/],
  AccessDeniedException: ['denied', AccessDeniedError, ExitCode.accessDenied, /^allow ssm:GetParameters on the parameter ARNs in the role's IAM policy/],
  UnrecognizedClientException: ['denied', AccessDeniedError, ExitCode.accessDenied, CREDENTIALS_HINT],
  InvalidSignatureException: ['denied', AccessDeniedError, ExitCode.accessDenied, CREDENTIALS_HINT],
  ExpiredTokenException: ['denied', AccessDeniedError, ExitCode.accessDenied, CREDENTIALS_HINT],
  InvalidClientTokenId: ['denied', AccessDeniedError, ExitCode.accessDenied, CREDENTIALS_HINT],
  SignatureDoesNotMatch: ['denied', AccessDeniedError, ExitCode.accessDenied, CREDENTIALS_HINT],
  AccessDenied: ['denied', AccessDeniedError, ExitCode.accessDenied, CREDENTIALS_HINT],
  ParameterNotFound: ['missing', MissingParametersError, ExitCode.missing, /^create them/],
  ParameterVersionNotFound: ['missing', MissingParametersError, ExitCode.missing, /^create them/],
  ValidationException: ['rejected', UsageError, ExitCode.usage, /^check the parameter names and selectors/],
  ValidationError: ['rejected', UsageError, ExitCode.usage, /^check the parameter names and selectors/],
  ParameterAlreadyExists: ['exists', ToolError, ExitCode.usage, /^pass --overwrite/],
  InvalidKeyId: ['badKey', AccessDeniedError, ExitCode.accessDenied, /^check --kms-key/],
  ThrottlingException: ['unavailable', StoreUnavailableError, ExitCode.unavailable, QUOTA_HINT],
  TooManyRequestsException: ['unavailable', StoreUnavailableError, ExitCode.unavailable, QUOTA_HINT],
  InternalServerError: ['unavailable', StoreUnavailableError, ExitCode.unavailable, RETRY_HINT],
  ServiceUnavailable: ['unavailable', StoreUnavailableError, ExitCode.unavailable, RETRY_HINT],
  TimeoutError: ['unavailable', StoreUnavailableError, ExitCode.unavailable, RETRY_HINT],
  RequestTimeout: ['unavailable', StoreUnavailableError, ExitCode.unavailable, RETRY_HINT],
  RequestTimeoutException: ['unavailable', StoreUnavailableError, ExitCode.unavailable, RETRY_HINT],
  ...Object.fromEntries(
    ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED'].map((code) => [
      code,
      ['unavailable', StoreUnavailableError, ExitCode.unavailable, RETRY_HINT],
    ]),
  ),
};

/** For each sign, an error that shows it (and no sign before it), with what it must map to. */
const BY_SIGN: Record<string, [() => unknown, SdkErrorRowName, ErrorClass, number, RegExp | undefined, number?]> = {
  'our deadline ran out': [
    () => sdkError('ThrottlingException', 'Rate exceeded'),
    'timedOut',
    StoreUnavailableError,
    ExitCode.unavailable,
    /^the account is over its SSM API quota.*; or raise --timeout/,
    2_500,
  ],
  'our proxy tunnel failed': [
    () => new ProxyConnectError('CONNECT to proxy.example:3128 refused', 'PROXY_REFUSED', 'HTTPS_PROXY'),
    'proxyTunnel',
    StoreUnavailableError,
    ExitCode.unavailable,
    /^check the proxy in HTTPS_PROXY/,
  ],
  'the proxy answered 407': [
    () => sdkError('UnknownError', '', 407),
    'proxyAuth',
    StoreUnavailableError,
    ExitCode.unavailable,
    /^check the proxy in HTTP_PROXY/,
  ],
  'TLS spoken to plain HTTP': [
    () => Object.assign(new Error('write EPROTO 40E8:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), { code: 'EPROTO' }),
    'tlsToPlainHttp',
    UsageError,
    ExitCode.usage,
    /^an emulator or a local proxy usually listens on http:\/\//,
  ],
  'no region': [() => new Error('Region is missing'), 'noRegion', UsageError, ExitCode.usage, /^pass --region/],
  'no credentials': [
    () => new Error('Could not load credentials from any providers'),
    'noCredentials',
    AccessDeniedError,
    ExitCode.accessDenied,
    /^attach an instance role/,
  ],
  'a server fault or a network error': [() => sdkError('SomethingNew', 'busy', 502), 'unavailable', StoreUnavailableError, ExitCode.unavailable, RETRY_HINT],
};

const reached = new Set<SdkErrorRowName>();

function expectMapped(err: unknown, row: SdkErrorRowName, errorClass: ErrorClass, exitCode: number, hint: RegExp | undefined, timedOutAfterMs?: number): void {
  const mapped = mapSdkError(err, 'GetParameters', ['/app/db'], timedOutAfterMs);
  expect(mapped).toBeInstanceOf(errorClass);
  expect(mapped.exitCode).toBe(exitCode);
  expect(SDK_ERROR_ROWS[row].exitCode).toBe(exitCode);
  if (hint) expect(mapped.hint).toMatch(hint);
  else expect(mapped.hint).toBeUndefined();
  expect(mapped.cause).toBe(err);
  reached.add(row);
}

describe('the SDK error table', () => {
  it('lists exactly the AWS error names checked here', () => {
    expect([...SDK_ERRORS_BY_NAME.keys()].sort()).toEqual(Object.keys(BY_NAME).sort());
    for (const [name, [row]] of Object.entries(BY_NAME)) expect(SDK_ERRORS_BY_NAME.get(name), name).toBe(row);
  });

  it.each(Object.entries(BY_NAME))('%s maps to its class, exit code and hint', (name, [row, errorClass, exitCode, hint]) => {
    expectMapped(sdkError(name), row, errorClass, exitCode, hint);
  });

  it('reads each sign, before the name or after it, as its row', () => {
    expect([...SDK_ERROR_SIGNS_FIRST, ...SDK_ERROR_SIGNS_LAST].map(([label]) => label).sort()).toEqual(Object.keys(BY_SIGN).sort());
    for (const [label, [build, row, errorClass, exitCode, hint, timedOutAfterMs]] of Object.entries(BY_SIGN)) {
      expect([...SDK_ERROR_SIGNS_FIRST, ...SDK_ERROR_SIGNS_LAST].find(([l]) => l === label)?.[2], label).toBe(row);
      expectMapped(build(), row, errorClass, exitCode, hint, timedOutAfterMs);
    }
  });

  it('an error with no known name and no sign is a failed call (exit 5, no hint)', () => {
    expectMapped(sdkError('SomethingNew', 'no idea', 400), 'failed', StoreUnavailableError, ExitCode.unavailable, undefined);
  });

  it('every row of the table is reached by some SDK error above', () => {
    expect([...reached].sort()).toEqual(Object.keys(SDK_ERROR_ROWS).sort());
  });
});
