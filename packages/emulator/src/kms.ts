/**
 * The KMS keys the seed declares, plus the AWS-managed default
 * `alias/aws/ssm`. SecureString values are really encrypted (AES-256-GCM
 * under a key that lives only in this process), so what a caller sees
 * without decryption is opaque ciphertext, as from AWS, never the plaintext.
 */
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { SsmError } from './ssm-error.js';
import type { SeedKmsKey } from './types.js';

export const DEFAULT_KEY_ALIAS = 'alias/aws/ssm';
/** Fixed so that DescribeParameters output is stable across runs. */
const DEFAULT_KEY_ID = '5e55a0de-0000-4000-8000-000000005353';

export interface KmsKey {
  id: string;
  arn: string;
  aliases: string[];
  /** The AWS-managed key: usable without a kms grant. */
  managed: boolean;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** How KMS errors look once SSM has wrapped them. */
export function kmsSuffix(code: string): string {
  return `(Service: AWSKMS; Status Code: 400; Error Code: ${code}; Request ID: ${randomUUID()}; Proxy: null)`;
}

export class Kms {
  readonly keys: KmsKey[];
  private readonly dataKey = randomBytes(32);

  constructor(
    private readonly region: string,
    private readonly account: string,
    seeded: SeedKmsKey[],
  ) {
    const arn = (id: string): string => `arn:aws:kms:${region}:${account}:key/${id}`;
    this.keys = [
      { id: DEFAULT_KEY_ID, arn: arn(DEFAULT_KEY_ID), aliases: [DEFAULT_KEY_ALIAS], managed: true },
      ...seeded.map((k) => ({ id: k.id, arn: arn(k.id), aliases: [...(k.aliases ?? [])], managed: false })),
    ];
  }

  aliasArn(alias: string): string {
    return `arn:aws:kms:${this.region}:${this.account}:${alias}`;
  }

  /** KeyId in any form AWS accepts: key id, key ARN, `alias/<name>`, alias ARN. */
  resolve(keyId: string): KmsKey | SsmError {
    const arnPrefix = `arn:aws:kms:${this.region}:${this.account}:`;
    let local = keyId;
    if (keyId.startsWith('arn:')) {
      if (!keyId.startsWith(arnPrefix)) return this.notFound(keyId);
      local = keyId.slice(arnPrefix.length);
    }
    if (local.startsWith('alias/')) {
      const key = this.keys.find((k) => k.aliases.includes(local));
      return key ?? new SsmError('InvalidKeyId', `Alias ${this.aliasArn(local)} is not found. ${kmsSuffix('NotFoundException')}`);
    }
    const id = local.startsWith('key/') ? local.slice(4) : local;
    if (!UUID.test(id) && !keyId.startsWith('arn:')) return new SsmError('InvalidKeyId', `Invalid keyId ${keyId}`);
    return this.keys.find((k) => k.id === id) ?? this.notFound(keyId);
  }

  private notFound(keyId: string): SsmError {
    const shown = keyId.startsWith('arn:') ? keyId : `arn:aws:kms:${this.region}:${this.account}:key/${keyId}`;
    return new SsmError('InvalidKeyId', `Key '${shown}' does not exist ${kmsSuffix('NotFoundException')}`);
  }

  /**
   * A KMS-looking ciphertext blob (base64 starting `AQICAH`, like real ones).
   * Encrypted with a process-local key: only opacity matters, the plaintext
   * is kept beside it for decryption.
   */
  encrypt(key: KmsKey, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.dataKey, iv);
    cipher.setAAD(Buffer.from(key.arn));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([1, 2, 2, 0, 0x78]), randomBytes(31), iv, body, cipher.getAuthTag()]).toString('base64');
  }
}
