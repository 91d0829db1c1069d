/**
 * Per-access-key rules, evaluated like an IAM identity policy made only of
 * Allow statements: a call is allowed when some rule names both the action
 * and the resource; KMS keys likewise. A principal without rules may do
 * anything. Denials use the wording of real SSM and KMS errors.
 */
import { SsmError } from './ssm-error.js';
import { kmsSuffix, type KmsKey } from './kms.js';
import type { AccessRule } from './types.js';

export interface Principal {
  accessKeyId: string;
  /** undefined = full access. */
  rules: AccessRule[] | undefined;
  /** The caller's ARN when it is not `user/<access key id>`: an assumed-role session's ARN. */
  arn?: string;
  /** For an assumed-role session: the role it was minted for. */
  roleArn?: string;
}

/** IAM-style wildcards: `*` any run of characters, `?` exactly one. */
export function globToRegExp(pattern: string, flags = ''): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

const matchesAny = (patterns: string[] | undefined, value: string, flags = ''): boolean =>
  patterns === undefined || patterns.some((p) => globToRegExp(p, flags).test(value));

export class AccessPolicy {
  constructor(
    private readonly account: string,
    private readonly region: string,
  ) {}

  userArn(p: Principal): string {
    return p.arn ?? `arn:aws:iam::${this.account}:user/${p.accessKeyId}`;
  }

  /** undefined when allowed; else SSM's AccessDeniedException. `action` is e.g. `GetParameters`. */
  checkSsm(p: Principal, action: string, resource: string): SsmError | undefined {
    return this.check(p, `ssm:${action}`, resource);
  }

  /** Any service's action, e.g. `secretsmanager:GetSecretValue` on a secret's ARN. */
  check(p: Principal, full: string, resource: string): SsmError | undefined {
    if (!p.rules) return undefined;
    // Action names are case-insensitive in IAM, ARNs are not.
    if (p.rules.some((r) => matchesAny(r.actions, full, 'i') && matchesAny(r.parameters, resource))) return undefined;
    return new SsmError(
      'AccessDeniedException',
      `User: ${this.userArn(p)} is not authorized to perform: ${full} on resource: ${resource} because no identity-based policy allows the ${full} action`,
    );
  }

  /** The AWS-managed key needs no grant; customer keys need one in `kms_keys`. */
  checkKms(p: Principal, key: KmsKey, action: 'Decrypt' | 'Encrypt'): SsmError | undefined {
    if (key.managed || !p.rules) return undefined;
    const names = [key.id, key.arn, ...key.aliases, ...key.aliases.map((a) => `arn:aws:kms:${this.region}:${this.account}:${a}`)];
    if (p.rules.some((r) => names.some((n) => matchesAny(r.kms_keys, n)))) return undefined;
    if (action === 'Decrypt') {
      return new SsmError(
        'AccessDeniedException',
        `The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access. ${kmsSuffix('AccessDeniedException')}`,
      );
    }
    return new SsmError(
      'AccessDeniedException',
      `User: ${this.userArn(p)} is not authorized to perform: kms:Encrypt on resource: ${key.arn} because no identity-based policy allows the kms:Encrypt action ${kmsSuffix('AccessDeniedException')}`,
    );
  }
}
