/**
 * The one STS call `--role-arn` needs: AssumeRole, over the AWS Query
 * protocol (form-encoded POST, XML answers). A successful call mints
 * temporary credentials (ASIA... key, secret, session token) that SigV4
 * verification then accepts, carrying the role's access rules. Sessions live
 * in memory and expire after DurationSeconds.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AccessPolicy, Principal } from './access.js';
import { ROLE_ARN } from './seed.js';
import type { SsmError } from './ssm-error.js';
import type { AccessRule, SeedRole } from './types.js';
import { own } from './records.js';

export const STS_VERSION = '2011-06-15';
const STS_NS = `https://sts.amazonaws.com/doc/${STS_VERSION}/`;
const MIN_DURATION = 900;
const MAX_DURATION = 43200;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/** An error as STS sends it: XML `<ErrorResponse>` with a Type, Code and Message. */
export class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly kind: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
    this.name = 'StsError';
  }

  xml(requestId: string): string {
    return (
      `<ErrorResponse xmlns="${STS_NS}">` +
      `<Error><Type>${this.kind}</Type><Code>${escapeXml(this.code)}</Code><Message>${escapeXml(this.message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`
    );
  }
}

/** The authentication errors the server raises (in SSM's words), as STS words them. */
const STS_AUTH_ERRORS: Record<string, { code: string; status: number; message?: string }> = {
  MissingAuthenticationTokenException: { code: 'MissingAuthenticationToken', status: 403, message: 'Request is missing Authentication Token' },
  UnrecognizedClientException: { code: 'InvalidClientTokenId', status: 403 },
  InvalidSignatureException: { code: 'SignatureDoesNotMatch', status: 403 },
  IncompleteSignatureException: { code: 'IncompleteSignature', status: 400 },
  ExpiredTokenException: { code: 'ExpiredToken', status: 400 },
  InternalServerError: { code: 'InternalFailure', status: 500 },
};

export function toStsError(err: SsmError): StsError {
  const mapped = own(STS_AUTH_ERRORS, err.type);
  return mapped ? new StsError(mapped.code, mapped.message ?? err.message, mapped.status) : new StsError(err.type, err.message, err.status);
}

/** Codes counted as `denied`. */
export const STS_DENIALS = new Set([
  'AccessDenied',
  'MissingAuthenticationToken',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'ExpiredToken',
]);

export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
  roleArn: string;
  /** `arn:aws:sts::<account>:assumed-role/<role name>/<session name>` */
  arn: string;
  rules: AccessRule[] | undefined;
}

export interface StsContext {
  access: AccessPolicy;
  principal: Principal;
  account: string;
  /** signature: any and a caller that is not a known key or session: every role trusts it. */
  trustAnyone: boolean;
}

/** Upper-case letters and digits, like AWS key ids. */
function keyChars(n: number, seed?: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = seed === undefined ? randomBytes(n) : createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[(bytes[i % bytes.length] ?? 0) % 32];
  return out;
}

export class StsService {
  private readonly sessions = new Map<string, Session>();
  private readonly roles: Map<string, SeedRole>;

  constructor(roles: SeedRole[]) {
    this.roles = new Map(roles.map((r) => [r.arn, r]));
  }

  /** A session minted by AssumeRole (expired or not), by its access key id. */
  session(accessKeyId: string): Session | undefined {
    return this.sessions.get(accessKeyId);
  }

  /** Does `token` (the x-amz-security-token header) belong to `session`? Constant time. */
  static tokenMatches(session: Session, token: string | undefined): boolean {
    if (token === undefined) return false;
    const a = Buffer.from(session.sessionToken);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  static principalOf(session: Session): Principal {
    return { accessKeyId: session.accessKeyId, rules: session.rules, arn: session.arn, roleArn: session.roleArn };
  }

  /** Run one STS action; answers the success XML or throws StsError. */
  handle(action: string, params: URLSearchParams, ctx: StsContext, requestId: string): string {
    if (action !== 'AssumeRole') throw new StsError('InvalidAction', `Could not find operation ${action} for version ${STS_VERSION}`);
    return this.assumeRole(params, ctx, requestId);
  }

  private assumeRole(params: URLSearchParams, ctx: StsContext, requestId: string): string {
    const roleArn = params.get('RoleArn');
    const sessionName = params.get('RoleSessionName');
    const durationText = params.get('DurationSeconds');
    const problems: string[] = [];
    if (roleArn === null) problems.push(`Value null at 'roleArn' failed to satisfy constraint: Member must not be null`);
    else if (roleArn.length < 20 || roleArn.length > 2048)
      problems.push(`Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20`);
    if (sessionName === null) problems.push(`Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null`);
    else if (!SESSION_NAME.test(sessionName)) {
      problems.push(
        `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`,
      );
    }
    const duration = durationText === null ? 3600 : Number(durationText);
    if (!Number.isInteger(duration)) problems.push(`Value '${durationText}' at 'durationSeconds' failed to satisfy constraint: Member must be a whole number`);
    else if (duration < MIN_DURATION)
      problems.push(`Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to ${MIN_DURATION}`);
    else if (duration > MAX_DURATION)
      problems.push(`Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to ${MAX_DURATION}`);
    if (problems.length > 0 || roleArn === null || sessionName === null) {
      throw new StsError('ValidationError', `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
    }

    // An unknown role is refused exactly like an untrusted one, as on AWS.
    const role = this.roles.get(roleArn);
    const caller = ctx.principal;
    const trusted =
      role !== undefined &&
      (ctx.trustAnyone ||
        role.trusted?.includes(caller.accessKeyId) === true ||
        (caller.roleArn !== undefined && role.trusted?.includes(caller.roleArn) === true));
    if (!role || !trusted) {
      throw new StsError('AccessDenied', `User: ${ctx.access.userArn(caller)} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
    }
    const max = caller.roleArn !== undefined ? 3600 : (role.max_session_duration ?? 3600);
    if (duration > max) {
      throw new StsError(
        'ValidationError',
        caller.roleArn !== undefined
          ? `The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.`
          : `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
      );
    }

    const session = this.mint(role, sessionName, duration, ctx.account);
    const roleId = `AROA${keyChars(17, roleArn)}`;
    return (
      `<AssumeRoleResponse xmlns="${STS_NS}"><AssumeRoleResult>` +
      `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${escapeXml(session.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${escapeXml(session.sessionToken)}</SessionToken><Expiration>${new Date(session.expiresAt).toISOString().replace('.000Z', 'Z')}</Expiration></Credentials>` +
      `<AssumedRoleUser><AssumedRoleId>${roleId}:${escapeXml(sessionName)}</AssumedRoleId><Arn>${escapeXml(session.arn)}</Arn></AssumedRoleUser>` +
      `</AssumeRoleResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`
    );
  }

  /**
   * Temporary credentials for `role`, as AssumeRole or an instance profile
   * (the emulator's IMDS, imds.ts) hands them out: SigV4 verification accepts
   * them until they expire, with the role's access rules.
   */
  mint(role: SeedRole, sessionName: string, durationSeconds: number, account: string): Session {
    this.prune();
    const roleName = ROLE_ARN.exec(role.arn)?.[3] ?? role.arn;
    const session: Session = {
      accessKeyId: `ASIA${keyChars(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJemulator${randomBytes(96).toString('base64')}`,
      // AWS states Expiration to the second.
      expiresAt: Math.floor(Date.now() / 1000) * 1000 + durationSeconds * 1000,
      roleArn: role.arn,
      arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
      rules: role.allow === undefined ? undefined : Array.isArray(role.allow) ? role.allow : [role.allow],
    };
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  /** Forget sessions that expired more than a day ago (an expired one still answers ExpiredTokenException until then). */
  private prune(): void {
    const cutoff = Date.now() - 24 * 3600 * 1000;
    for (const [id, s] of this.sessions) if (s.expiresAt < cutoff) this.sessions.delete(id);
  }
}

/** A fresh id for x-amzn-RequestId and the XML's RequestId. */
export const requestId = (): string => randomUUID();

const XML_ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' };

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => own(XML_ENTITIES, c) ?? c);
}
