/**
 * What an AWS SDK error means for us, as a table: the AWS error name (or, for
 * errors that have no telling name, a sign in the code, status or message)
 * -> our error class, its exit code and the hint that says how to fix it.
 * The SDK's messages are safe to quote: they carry names, ARNs and codes,
 * never parameter values (redact.ts keeps an unparsable answer out).
 */
import {
  AccessDeniedError,
  ExitCode,
  MissingParametersError,
  StoreUnavailableError,
  ToolError,
  UsageError,
  type ExitCodeValue,
  type ToolErrorOptions,
} from '../errors.js';
import { ProxyConnectError } from './proxy.js';
import { quotableMessage } from '../redact.js';

/** An SDK error, and the call it failed. */
export interface SdkErrorFacts {
  err: unknown;
  name: string;
  message: string;
  code: string | undefined;
  status: number;
  operation: string;
  names: string[];
  /** The names for a message: one name, or "N parameters (a, b)". */
  what: string;
  /** Set when our deadline ran out during the call. */
  timedOutAfterMs: number | undefined;
  /** retryKind's verdict ('throttled' changes the hint). */
  retry: 'throttled' | 'transient' | undefined;
}

/** One row: our error class and its exit code, the message, and the hint. */
export interface SdkErrorRow {
  exitCode: ExitCodeValue;
  /** Builds our error (its class fixes the exit code above) from the message and options. */
  error: (message: string, options: ToolErrorOptions, facts: SdkErrorFacts) => ToolError;
  message: (facts: SdkErrorFacts) => string;
  hint: (facts: SdkErrorFacts) => string | undefined;
}

const denied = (message: string, options: ToolErrorOptions, facts: SdkErrorFacts): ToolError => new AccessDeniedError(message, facts.names, options);
const unavailable = (message: string, options: ToolErrorOptions): ToolError => new StoreUnavailableError(message, options);
const usage = (message: string, options: ToolErrorOptions): ToolError => new UsageError(message, options);
const noHint = (): undefined => undefined;
const withMessage = (f: SdkErrorFacts): string => `${f.name}${f.message ? `: ${f.message}` : ''}`;

export const THROTTLING_HINT =
  'the account is over its SSM API quota (40 TPS by default, shared by every host): use --jitter to spread a fleet, or enable higher throughput';

/** The proxy's own hint, naming the variable it came from. */
const proxyHint = (variable: string): string =>
  `check the proxy in ${variable} (and its credentials, as http://USER:PASSWORD@HOST:PORT), or list the endpoint's host in NO_PROXY to reach it directly`;

/** IAM, KMS or STS said no, or the credentials are invalid: the statement to add, or what to check. */
function denialHint(f: SdkErrorFacts): string {
  const kms = /KMS|kms:|ciphertext|customer master key|KeyId/i.test(f.message);
  const arn = /on resource: (\S+)/.exec(f.message)?.[1];
  const action = /perform: (\S+)/.exec(f.message)?.[1] ?? `ssm:${f.operation}`;
  if (action === 'sts:AssumeRole') {
    return `the role ${arn ?? ''} must trust the caller (its trust policy allows sts:AssumeRole for this principal), and the caller needs sts:AssumeRole on it; check --role-arn`;
  }
  if (kms)
    return `allow kms:Decrypt on the KMS key that encrypts ${f.what} (in the key policy or the role's policy); \`ssm-materialize policy\` prints the statement`;
  if (f.name === 'AccessDeniedException') {
    return `allow ${action} on ${arn ?? 'the parameter ARNs'} in the role's IAM policy; \`ssm-materialize policy -m FILE --account ID --region R\` prints a least-privilege policy`;
  }
  return 'check the credentials in use (aws sts get-caller-identity), their region and clock';
}

export const SDK_ERROR_ROWS = {
  timedOut: {
    exitCode: ExitCode.unavailable,
    error: unavailable,
    message: (f) => {
      const seconds = ((f.timedOutAfterMs ?? 0) / 1000).toFixed(1);
      const during = `timed out after ${seconds} s during ${f.operation} for ${f.what}`;
      return f.retry === 'throttled' ? `${during}, still throttled (${f.name}: ${f.message || 'Rate exceeded'})` : during;
    },
    hint: (f) =>
      f.retry === 'throttled'
        ? `${THROTTLING_HINT}; or raise --timeout (\`ssm-materialize plan --fleet N\` estimates the time a fleet needs)`
        : 'raise --timeout, or check network access to the SSM endpoint (VPC endpoint, proxy, security groups)',
  },
  proxyTunnel: {
    exitCode: ExitCode.unavailable,
    error: unavailable,
    message: (f) => `${f.operation} failed for ${f.what}: ${(f.err as ProxyConnectError).message}`,
    hint: (f) => proxyHint((f.err as ProxyConnectError).proxyVariable),
  },
  proxyAuth: {
    exitCode: ExitCode.unavailable,
    error: unavailable,
    message: (f) => `${f.operation} failed for ${f.what}: the proxy asked for credentials (407 Proxy Authentication Required)`,
    hint: () => proxyHint('HTTP_PROXY'),
  },
  tlsToPlainHttp: {
    exitCode: ExitCode.usage,
    error: usage,
    message: (f) => `TLS handshake with the SSM endpoint failed during ${f.operation}: the endpoint speaks plain HTTP? use http://`,
    hint: () => 'an emulator or a local proxy usually listens on http://, e.g. --endpoint-url http://127.0.0.1:4583',
  },
  noRegion: {
    exitCode: ExitCode.usage,
    error: usage,
    message: () => 'no AWS region configured',
    hint: () => 'pass --region, set `region:` in the manifest, or export AWS_REGION',
  },
  noCredentials: {
    exitCode: ExitCode.accessDenied,
    error: denied,
    message: (f) => `no AWS credentials found: ${f.message}`,
    hint: () =>
      "attach an instance role (instance profile), set AWS_PROFILE / --profile, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; in a container on EC2, the instance metadata (IMDSv2) answers only with the instance's HttpPutResponseHopLimit set to 2",
  },
  denied: {
    exitCode: ExitCode.accessDenied,
    error: denied,
    message: (f) => `${f.name} during ${f.operation} for ${f.what}: ${f.message || '(no message)'}`,
    hint: denialHint,
  },
  missing: {
    exitCode: ExitCode.missing,
    error: (_message, options, facts) => new MissingParametersError(facts.names, options),
    message: () => '', // MissingParametersError lists the names itself
    hint: noHint,
  },
  rejected: {
    exitCode: ExitCode.usage,
    error: usage,
    message: (f) => `${f.operation} rejected ${f.what}: ${f.message}`,
    hint: () => 'check the parameter names and selectors in the manifest',
  },
  exists: {
    exitCode: ExitCode.usage,
    error: (message, options) => new ToolError('parameter_exists', ExitCode.usage, message, options),
    message: (f) => `${f.what} already exists`,
    hint: () => 'pass --overwrite to store a new version',
  },
  badKey: {
    exitCode: ExitCode.accessDenied,
    error: denied,
    message: (f) => `KMS key not usable for ${f.what}: ${f.message}`,
    hint: () => 'check --kms-key (alias/NAME, key id or ARN) and that the key is enabled',
  },
  unavailable: {
    exitCode: ExitCode.unavailable,
    error: unavailable,
    message: (f) => `Parameter Store unavailable during ${f.operation} for ${f.what}: ${withMessage(f)} (after retries)`,
    hint: (f) => (f.retry === 'throttled' ? THROTTLING_HINT : 'retry later; check the endpoint, network access and the AWS Health Dashboard'),
  },
  failed: {
    exitCode: ExitCode.unavailable,
    error: unavailable,
    message: (f) => `${f.operation} failed for ${f.what}: ${withMessage(f)}`,
    hint: noHint,
  },
} satisfies Record<string, SdkErrorRow>;

export type SdkErrorRowName = keyof typeof SDK_ERROR_ROWS;

/** Names the store answers with that are worth another attempt (see retryKind), and fail as "unavailable" after the last. */
export const UNAVAILABLE_ERRORS: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
/** Node's network error codes: the endpoint could not be reached or dropped the connection. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/** The table: AWS error name -> row. */
export const SDK_ERRORS_BY_NAME: ReadonlyMap<string, SdkErrorRowName> = new Map<string, SdkErrorRowName>([
  ['AbortError', 'timedOut'],
  ['CredentialsProviderError', 'noCredentials'],
  ['AccessDeniedException', 'denied'],
  ['UnrecognizedClientException', 'denied'],
  ['InvalidSignatureException', 'denied'],
  ['ExpiredTokenException', 'denied'],
  ['InvalidClientTokenId', 'denied'],
  ['SignatureDoesNotMatch', 'denied'],
  ['AccessDenied', 'denied'],
  ['ParameterNotFound', 'missing'],
  ['ParameterVersionNotFound', 'missing'],
  ['ValidationException', 'rejected'],
  ['ValidationError', 'rejected'],
  ['ParameterAlreadyExists', 'exists'],
  ['InvalidKeyId', 'badKey'],
  ...[...UNAVAILABLE_ERRORS, ...NETWORK_CODES].map((name): [string, SdkErrorRowName] => [name, 'unavailable']),
]);

/**
 * Signs read before the name (they override it: a deadline, a proxy, TLS
 * spoken to plain HTTP, no region, no credentials), in order.
 */
export const SDK_ERROR_SIGNS_FIRST: ReadonlyArray<[string, (f: SdkErrorFacts) => boolean, SdkErrorRowName]> = [
  ['our deadline ran out', (f) => f.timedOutAfterMs !== undefined || f.name === 'AbortError', 'timedOut'],
  ['our proxy tunnel failed', (f) => f.err instanceof ProxyConnectError, 'proxyTunnel'],
  ['the proxy answered 407', (f) => f.status === 407, 'proxyAuth'],
  // OpenSSL reads a plain-HTTP answer as a bad record.
  ['TLS spoken to plain HTTP', (f) => f.code === 'EPROTO' || /wrong version number|packet length too long/i.test(f.message), 'tlsToPlainHttp'],
  ['no region', (f) => /Region is missing/i.test(f.message), 'noRegion'],
  ['no credentials', (f) => f.name === 'CredentialsProviderError' || /Could not load credentials/i.test(f.message), 'noCredentials'],
];

/** Signs read when the name is not in the table: a server fault or a network error is an outage. */
export const SDK_ERROR_SIGNS_LAST: ReadonlyArray<[string, (f: SdkErrorFacts) => boolean, SdkErrorRowName]> = [
  ['a server fault or a network error', (f) => f.status >= 500 || (f.code !== undefined && NETWORK_CODES.has(f.code)), 'unavailable'],
];

/** Which row an SDK error falls in. */
export function sdkErrorRow(f: SdkErrorFacts): SdkErrorRowName {
  return (
    SDK_ERROR_SIGNS_FIRST.find(([, sign]) => sign(f))?.[2] ??
    SDK_ERRORS_BY_NAME.get(f.name) ??
    SDK_ERROR_SIGNS_LAST.find(([, sign]) => sign(f))?.[2] ??
    'failed'
  );
}

/** Our ToolError for an SDK error of `operation` on `names`; a ToolError passes through. */
export function mapSdkError(err: unknown, operation: string, names: string[], timedOutAfterMs?: number): ToolError {
  if (err instanceof ToolError) return err;
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const facts: SdkErrorFacts = {
    err,
    name: e.name ?? 'Error',
    // A response the SDK could not parse is quoted in its SyntaxError: never print that.
    message: quotableMessage(e),
    code: e.code,
    status: e.$metadata?.httpStatusCode ?? 0,
    operation,
    names,
    what: names.length === 1 ? (names[0] ?? '') : `${names.length} parameters (${names.join(', ')})`,
    timedOutAfterMs,
    retry: retryKind(err),
  };
  const row: SdkErrorRow = SDK_ERROR_ROWS[sdkErrorRow(facts)];
  const hint = row.hint(facts);
  return row.error(row.message(facts), hint === undefined ? { cause: err } : { hint, cause: err }, facts);
}

/** Names of a throttling answer, across AWS services. */
const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
/** Server faults worth another attempt. */
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

/** Whether an attempt's failure is worth another attempt, and why; the SDK's own classification, narrowed to what SSM answers. */
export function retryKind(err: unknown, depth = 0): 'throttled' | 'transient' | undefined {
  const e = err as
    { name?: string; code?: string; message?: string; cause?: unknown; $metadata?: { httpStatusCode?: number; clockSkewCorrected?: boolean } } | undefined;
  if (!e || typeof e !== 'object' || e.name === 'AbortError') return undefined;
  const status = e.$metadata?.httpStatusCode ?? 0;
  if (status === 429 || THROTTLING_ERRORS.has(e.name ?? '')) return 'throttled';
  if (
    TRANSIENT_STATUS.has(status) ||
    UNAVAILABLE_ERRORS.has(e.name ?? '') ||
    NETWORK_CODES.has(e.code ?? '') ||
    e.$metadata?.clockSkewCorrected === true ||
    (e.name === 'InvalidSignatureException' && /Signature expired/.test(e.message ?? ''))
  )
    return 'transient';
  return depth < 3 && e.cause !== undefined ? retryKind(e.cause, depth + 1) : undefined;
}
