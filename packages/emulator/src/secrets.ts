/**
 * Secrets Manager secrets, as Parameter Store serves them under
 * `/aws/reference/secretsmanager/<name>` (GetParameter and GetParameters
 * only, with decryption). The seed's `secrets:` section declares them; the
 * emulator has no Secrets Manager API of its own.
 */
import { createHash } from 'node:crypto';

export const SECRETS_REFERENCE_PREFIX = '/aws/reference/secretsmanager/';
/** Secrets Manager's own name rule. */
export const SECRET_NAME = /^[a-zA-Z0-9/_+=.@-]{1,512}$/;

export interface Secret {
  name: string;
  /** SecretString, or for a binary secret its bytes as base64. */
  value: string;
  /** A binary secret (SecretBinary): answered without a Value. */
  binary?: true;
  /** Like AWS: the name, a dash and six characters that differ per secret. */
  arn: string;
  /** Epoch seconds, as LastModifiedDate. */
  created: number;
}

export class SecretStore {
  private readonly byName = new Map<string, Secret>();

  constructor(
    private readonly region: string,
    private readonly account: string,
    secrets: ReadonlyArray<{ name: string; value: string; binary?: true }>,
    now = Date.now() / 1000,
  ) {
    for (const s of secrets) this.byName.set(s.name, { ...s, arn: this.arnFor(s.name), created: now });
  }

  /** Stable across runs (derived from the name), so tests and policies can predict it. */
  private arnFor(name: string): string {
    const suffix = createHash('sha256')
      .update(name)
      .digest('base64')
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 6);
    return `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${name}-${suffix}`;
  }

  get(name: string): Secret | undefined {
    return this.byName.get(name);
  }

  /** What IAM checks before the secret is found: its ARN with any suffix. */
  arnPattern(name: string): string {
    return `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${name}-??????`;
  }

  /**
   * The secret's metadata as Parameter Store puts it in `SourceResult`
   * (DescribeSecret's shape; never a SecretString). A binary secret also
   * carries `SecretBinary` (base64), as GetSecretValue answers it: the one
   * place its bytes can travel, since it has no text `Value`.
   */
  sourceResult(secret: Secret): string {
    return JSON.stringify({
      ARN: secret.arn,
      Name: secret.name,
      LastChangedDate: secret.created,
      VersionIdsToStages: { [createHash('sha256').update(`${secret.name}\0${secret.value}`).digest('hex').slice(0, 32)]: ['AWSCURRENT'] },
      ...(secret.binary ? { SecretBinary: secret.value } : {}),
    });
  }
}
