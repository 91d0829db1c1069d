/**
 * EC2 instance metadata (IMDSv2), the way an instance hands its role's
 * credentials and its region to the SDK: PUT /latest/api/token for a session
 * token, then GETs carrying it. Served on the emulator's own port, so
 * `AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:PORT/` lets a deploy
 * hook run with no keys and no region in its environment, as on EC2.
 *
 * Like an instance that requires IMDSv2 (HttpTokens: required): a GET
 * without a valid token gets 401. The credentials are sessions minted by the
 * STS side (sts.ts), so SigV4 verification accepts them with the seeded
 * role's access rules.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROLE_ARN } from './seed.js';
import type { Session, StsService } from './sts.js';
import type { SeedRole } from './types.js';

export const IMDS_PREFIX = '/latest/';
const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
const MAX_TOKEN_TTL = 21600;
/** Instance profile credentials last about 6 hours; a new set is served well before they run out. */
const CREDENTIAL_SECONDS = 6 * 3600;
const RENEW_BEFORE_MS = 15 * 60 * 1000;
const CREDENTIALS_PATH = '/latest/meta-data/iam/security-credentials/';

export interface ImdsConfig {
  region: string;
  account: string;
  /** The instance profile's role; none = an instance without one (the credentials listing is 404). */
  role: SeedRole | undefined;
  sts: StsService;
}

export class InstanceMetadata {
  private readonly tokens = new Map<string, number>();
  private session: Session | undefined;
  readonly instanceId = `i-${randomBytes(9).toString('hex').slice(0, 17)}`;

  constructor(private readonly config: ImdsConfig) {}

  handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return send(res, 405, '');
      const ttl = Number(req.headers[TOKEN_TTL_HEADER]);
      // IMDS refuses a token request that came through a proxy (X-Forwarded-For).
      if (req.headers['x-forwarded-for'] !== undefined) return send(res, 403, '');
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL) return send(res, 400, '');
      const token = randomBytes(32).toString('base64');
      for (const [t, expires] of this.tokens) if (expires <= Date.now()) this.tokens.delete(t);
      this.tokens.set(token, Date.now() + ttl * 1000);
      res.setHeader(TOKEN_TTL_HEADER, String(ttl));
      return send(res, 200, token);
    }
    if (req.method !== 'GET') return send(res, 405, '');
    if (!this.validToken(req.headers[TOKEN_HEADER])) return send(res, 401, '');
    const answer = this.answer(path);
    if (answer === undefined) return send(res, 404, '');
    send(res, 200, answer, answer.startsWith('{') ? 'application/json' : 'text/plain');
  }

  private validToken(header: string | string[] | undefined): boolean {
    if (typeof header !== 'string') return false;
    const expires = this.tokens.get(header);
    if (expires === undefined) return false;
    if (Date.now() >= expires) {
      this.tokens.delete(header);
      return false;
    }
    return true;
  }

  private answer(path: string): string | undefined {
    const { region, account, role } = this.config;
    if (path === CREDENTIALS_PATH) return role && roleName(role);
    if (role && path === CREDENTIALS_PATH + roleName(role)) return this.credentials(role);
    switch (path) {
      case '/latest/meta-data/placement/region':
        return region;
      case '/latest/meta-data/placement/availability-zone':
        return `${region}a`;
      case '/latest/meta-data/instance-id':
        return this.instanceId;
      case '/latest/dynamic/instance-identity/document':
        return JSON.stringify(
          {
            accountId: account,
            architecture: 'x86_64',
            availabilityZone: `${region}a`,
            imageId: 'ami-0emulator0000000',
            instanceId: this.instanceId,
            instanceType: 't3.micro',
            pendingTime: new Date(0).toISOString(),
            privateIp: '127.0.0.1',
            region,
            version: '2017-09-30',
          },
          null,
          2,
        );
      default:
        return undefined;
    }
  }

  private credentials(role: SeedRole): string {
    if (!this.session || this.session.expiresAt - Date.now() < RENEW_BEFORE_MS) {
      this.session = this.config.sts.mint(role, this.instanceId, CREDENTIAL_SECONDS, this.config.account);
    }
    const s = this.session;
    return JSON.stringify(
      {
        Code: 'Success',
        LastUpdated: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        Type: 'AWS-HMAC',
        AccessKeyId: s.accessKeyId,
        SecretAccessKey: s.secretAccessKey,
        Token: s.sessionToken,
        Expiration: new Date(s.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
      null,
      2,
    );
  }
}

const roleName = (role: SeedRole): string => ROLE_ARN.exec(role.arn)?.[3] ?? role.arn;

function send(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
