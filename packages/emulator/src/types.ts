/**
 * Public shapes of the emulator: the seed (what a seed file holds), fault
 * settings and counters. The seed uses snake_case keys because it is written
 * by hand in YAML; the same object is accepted programmatically.
 */

export type ParameterType = 'String' | 'StringList' | 'SecureString';
export type Tier = 'Standard' | 'Advanced';

/** One parameter in the seed. Give `value` (one version) or `versions` (oldest first). */
export interface SeedParameter {
  name: string;
  /** @default 'String' */
  type?: ParameterType;
  value?: string | string[];
  versions?: (string | string[])[];
  /** SecureString only. @default 'alias/aws/ssm' */
  key_id?: string;
  /** A list puts each label on the latest version; a map puts label -> version. */
  labels?: string[] | Record<string, number>;
  description?: string;
  /** @default 'Standard' (or 'Advanced' when a value needs it) */
  tier?: Tier;
}

/** A Secrets Manager secret, served through `/aws/reference/secretsmanager/<name>`. */
export interface SeedSecret {
  /** The secret's name (letters, digits and / _ + = . @ -). */
  name: string;
  /** SecretString: often a JSON object (`{"username": ..., "password": ...}`); a mapping is stored as its JSON. Give `value` or `binary`. */
  value?: string | Record<string, unknown>;
  /**
   * SecretBinary, as base64: a binary secret (a keystore). Answered without a
   * `Value`, its bytes (base64) in `SourceResult.SecretBinary`: AWS documents
   * `SourceResult` as the secret's GetSecretValue answer and not what `Value`
   * holds for a binary secret; moto answers such a secret without `Value`.
   */
  binary?: string;
}

export interface SeedKmsKey {
  /** Key id, e.g. `1234abcd-12ab-34cd-56ef-1234567890ab`. */
  id: string;
  /** Each `alias/<name>`. */
  aliases?: string[];
}

/** What one access key may do. An omitted list is unrestricted; `[]` allows nothing. */
export interface AccessRule {
  /** Parameter (or path) ARNs, wildcards `*` and `?`. */
  parameters?: string[];
  /** `ssm:GetParameters` etc., wildcards allowed (`ssm:Get*`). */
  actions?: string[];
  /** KMS keys this principal may use (kms:Decrypt/Encrypt): id, key ARN, alias or alias ARN; wildcards allowed. */
  kms_keys?: string[];
}

export interface SeedCredential {
  access_key_id: string;
  secret_access_key: string;
  /** No `allow` = full access. A list = any rule that matches allows. */
  allow?: AccessRule | AccessRule[];
}

/**
 * An IAM role that STS AssumeRole can hand out sessions for. The session's
 * temporary credentials carry the role's `allow` rules.
 */
export interface SeedRole {
  /** `arn:aws:iam::<account>:role/<path/>name`, in the seed's account. */
  arn: string;
  /** Who may assume it: access key ids from `credentials`, or the ARN of another role (role chaining). */
  trusted?: string[];
  /** Same shape as a credential's `allow`. No `allow` = full access. */
  allow?: AccessRule | AccessRule[];
  /** Longest DurationSeconds AssumeRole accepts, 3600..43200. @default 3600 */
  max_session_duration?: number;
}

export interface Faults {
  /** Added to every answer, in milliseconds. @default 0 */
  latency_ms: number;
  /** Extra uniform random latency 0..jitter ms. @default 0 */
  latency_jitter_ms: number;
  /** Token-bucket limit on GetParameter/GetParameters/GetParametersByPath per second; 0 = unlimited. @default 0 */
  tps: number;
  /** Fraction of requests answered 500 InternalServerError. @default 0 */
  error_rate: number;
  /** Fraction of requests whose connection is destroyed without an answer. @default 0 */
  drop_rate: number;
  /** Fraction of requests never answered (until the client gives up). @default 0 */
  stall_rate: number;
  /** PRNG seed, so fault sequences repeat. @default 1 */
  seed: number;
}

export type SignatureMode = 'verify' | 'any';

export interface Seed {
  /** @default 'us-east-1' */
  region?: string;
  /** @default '123456789012' */
  account?: string;
  /** @default 'verify' */
  signature?: SignatureMode;
  /** @default the demo pair AKIAEMULATORDEMO / emulator-demo-secret, full access */
  credentials?: SeedCredential[];
  /** Roles for STS AssumeRole. @default none */
  roles?: SeedRole[];
  /**
   * The ARN of one of `roles`: the instance profile whose credentials the
   * instance metadata endpoints (/latest/...) serve. @default none
   */
  instance_role?: string;
  kms_keys?: SeedKmsKey[];
  parameters?: SeedParameter[];
  /** Secrets Manager secrets, readable as /aws/reference/secretsmanager/<name>. @default none */
  secrets?: SeedSecret[];
  faults?: Partial<Faults>;
}

export interface Counters {
  /** Every request to the SSM or STS endpoint (not /_emulator/*). */
  requests: number;
  /** Requests per operation (X-Amz-Target, or the STS `Action`), whatever their outcome. */
  operations: Record<string, number>;
  /** Answered ThrottlingException by the TPS limit. */
  throttled: number;
  /** Answered 500 InternalServerError by error_rate. */
  faulted: number;
  /** Connections destroyed by drop_rate. */
  dropped: number;
  /** Requests left unanswered by stall_rate. */
  stalled: number;
  /** Refused: bad or unknown credentials, or an access rule / KMS grant said no. */
  denied: number;
  /** Parameters that listings (GetParametersByPath, DescribeParameters) looked at: about what their pages returned, not the store's size. */
  scanned: number;
}

export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ACCOUNT = '123456789012';
export const DEMO_CREDENTIAL: SeedCredential = { access_key_id: 'AKIAEMULATORDEMO', secret_access_key: 'emulator-demo-secret' };
export const NO_FAULTS: Faults = { latency_ms: 0, latency_jitter_ms: 0, tps: 0, error_rate: 0, drop_rate: 0, stall_rate: 0, seed: 1 };
