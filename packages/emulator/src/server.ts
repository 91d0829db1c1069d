/**
 * The HTTP side: AWS JSON 1.1 on loopback. Every request is a POST routed on
 * `X-Amz-Target: AmazonSSM.<Operation>` (never on the URL path), goes through
 * faults, SigV4 and the TPS limit, then its operation. A form-encoded request
 * without X-Amz-Target (`Action=AssumeRole&...`, or signed for service `sts`)
 * goes to the STS side instead (sts.ts, AWS Query protocol, XML). Also serves
 * the control endpoints under /_emulator/ for tests that run the emulator as
 * a separate process, and EC2 instance metadata under /latest/ (imds.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { AccessPolicy, type Principal } from './access.js';
import type { FaultInjector } from './faults.js';
import type { Kms } from './kms.js';
import { OPERATIONS, THROTTLED_OPERATIONS, type OpContext } from './ops.js';
import { parseAuthorization, verifySignature } from './sigv4.js';
import { SsmError } from './ssm-error.js';
import type { ParameterState } from './state.js';
import type { SecretStore } from './secrets.js';
import { STS_DENIALS, STS_VERSION, StsError, StsService, toStsError } from './sts.js';
import { IMDS_PREFIX, InstanceMetadata } from './imds.js';
import type { Counters, Faults, SeedCredential, SeedRole, SignatureMode } from './types.js';
import { own, setOwn } from './records.js';

export interface ServerConfig {
  region: string;
  account: string;
  signature: SignatureMode;
  credentials: SeedCredential[];
  roles: SeedRole[];
  /** The role whose credentials the instance metadata endpoints hand out (imds.ts). */
  instanceRole?: string | undefined;
  state: ParameterState;
  secrets: SecretStore;
  kms: Kms;
  faults: FaultInjector;
  log?: ((line: string) => void) | undefined;
}

const MAX_BODY = 1024 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const JSON_TYPE = 'application/x-amz-json-1.1';
/** Errors that mean "who are you / you may not": counted as denied. */
const DENIALS = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
]);

interface Caller {
  principal: Principal;
  /** A seeded access key or a minted session (not anonymous, not an unknown key under `signature: any`). */
  known: boolean;
}

export function emptyCounters(): Counters {
  return { requests: 0, operations: {}, throttled: 0, faulted: 0, dropped: 0, stalled: 0, denied: 0, scanned: 0 };
}

export class EmulatorServer {
  readonly http: Server;
  counters: Counters = emptyCounters();
  private readonly access: AccessPolicy;
  private readonly sts: StsService;
  private readonly imds: InstanceMetadata;
  private readonly stalled = new Set<Socket>();

  constructor(private readonly config: ServerConfig) {
    this.access = new AccessPolicy(config.account, config.region);
    this.sts = new StsService(config.roles);
    this.imds = new InstanceMetadata({
      region: config.region,
      account: config.account,
      role: config.roles.find((r) => r.arn === config.instanceRole),
      sts: this.sts,
    });
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // A bug in the emulator: answer like AWS would, keep serving.
        config.log?.(`internal error: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) this.send(res, new SsmError('InternalServerError', 'Internal error', 500).body(), 500);
      });
    });
  }

  /** Stalled requests hold their sockets open until the client gives up or we close. */
  releaseStalled(): void {
    for (const s of this.stalled) s.destroy();
    this.stalled.clear();
  }

  /** Every request, in the order AWS checks it (host, size, route, signature, access, operation); one function so that order reads top to bottom. */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isLoopback(req.socket.remoteAddress)) {
      req.socket.destroy();
      return;
    }
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!LOOPBACK_HOSTS.has(host)) {
      // Refuse other Host names too, so a web page cannot reach us through DNS rebinding.
      this.send(
        res,
        {
          __type: 'AccessDeniedException',
          message: `the ssm-materialize emulator only answers requests addressed to 127.0.0.1 or localhost, not ${host || '(no Host)'}`,
        },
        403,
      );
      return;
    }
    const url = req.url ?? '/';
    if (url.startsWith(IMDS_PREFIX)) {
      this.imds.handle(req, res, url.split('?')[0] ?? url);
      return;
    }
    if (url.startsWith('/_emulator/')) {
      await this.control(req, res, url);
      return;
    }
    if (req.method !== 'POST') {
      this.send(res, { __type: 'UnknownOperationException', message: 'Parameter Store takes POST requests with an X-Amz-Target header' }, 404);
      return;
    }

    const body = await readBody(req).catch(() => undefined);
    if (!body) {
      this.send(res, { __type: 'SerializationException', message: `Request body larger than ${MAX_BODY} bytes` }, 413);
      return;
    }
    this.counters.requests += 1;
    const target = String(req.headers['x-amz-target'] ?? '');
    const stsParams = stsRequest(req, body);
    const operation = stsParams ? (stsParams.get('Action') ?? '') : target.startsWith('AmazonSSM.') ? target.slice('AmazonSSM.'.length) : '';
    if (operation) setOwn(this.counters.operations, operation, (own(this.counters.operations, operation) ?? 0) + 1);

    const fault = this.config.faults.decide();
    if (fault === 'drop') {
      this.counters.dropped += 1;
      this.config.log?.(`${operation || '-'} dropped`);
      req.socket.destroy();
      return;
    }
    if (fault === 'stall') {
      this.counters.stalled += 1;
      this.config.log?.(`${operation || '-'} stalled`);
      this.stalled.add(req.socket);
      req.socket.once('close', () => this.stalled.delete(req.socket));
      return;
    }

    const delay = this.config.faults.delay();
    if (stsParams) {
      const answer = await this.answerSts(req, body, stsParams, fault === 'error');
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const roleArn = stsParams.get('RoleArn');
      this.config.log?.(`${operation || '-'}${roleArn ? ' ' + roleArn : ''} -> ${answer.outcome}`);
      this.sendXml(res, answer.xml, answer.status, answer.requestId);
      return;
    }
    let status = 200;
    let payload: unknown;
    let names = '';
    try {
      if (fault === 'error') {
        this.counters.faulted += 1;
        throw new SsmError('InternalServerError', 'An internal error occurred. Please try again.', 500);
      }
      const { principal } = await this.authenticate(req, body, 'ssm');
      const op = own(OPERATIONS, operation);
      if (!op) throw new SsmError('UnknownOperationException', target ? `Unknown operation ${target}` : 'Missing X-Amz-Target header');
      const input = parseJson(body);
      names = describeNames(input);
      if (THROTTLED_OPERATIONS.has(operation) && !this.config.faults.take()) {
        this.counters.throttled += 1;
        throw new SsmError('ThrottlingException', 'Rate exceeded');
      }
      const ctx: OpContext = {
        state: this.config.state,
        secrets: this.config.secrets,
        kms: this.config.kms,
        access: this.access,
        principal,
        region: this.config.region,
        account: this.config.account,
        counters: this.counters,
      };
      payload = op(input, ctx);
    } catch (err) {
      if (!(err instanceof SsmError)) throw err;
      if (DENIALS.has(err.type)) this.counters.denied += 1;
      status = err.status;
      payload = err.body();
    }
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    // Names and outcomes only: values never reach the log.
    const outcome = status === 200 ? '200' : `${status} ${(payload as { __type: string }).__type}`;
    this.config.log?.(`${operation || '-'}${names ? ' ' + names : ''} -> ${outcome}`);
    this.send(res, payload, status);
  }

  /**
   * Who signed the request: a seeded access key, or a session minted by
   * AssumeRole (its x-amz-security-token must be the minted token, and it
   * must not have expired). Throws in SSM's words; the STS side rewords.
   */
  private async authenticate(req: IncomingMessage, body: Buffer, service: 'ssm' | 'sts'): Promise<Caller> {
    const anySignature = this.config.signature === 'any';
    const header = req.headers.authorization;
    const anonymous: Caller = { principal: { accessKeyId: 'anonymous', rules: undefined }, known: false };
    if (anySignature && !header) return anonymous;
    let auth;
    try {
      auth = parseAuthorization(header);
    } catch (err) {
      if (anySignature) return anonymous;
      throw err;
    }
    const session = this.sts.session(auth.accessKeyId);
    const credential = session ? undefined : this.config.credentials.find((c) => c.access_key_id === auth.accessKeyId);
    if (anySignature) {
      if (session) return { principal: StsService.principalOf(session), known: true };
      return { principal: principalOf(credential, auth.accessKeyId), known: credential !== undefined };
    }
    const invalid = new SsmError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    const token = req.headers['x-amz-security-token'];
    const tokenText = Array.isArray(token) ? token.join(',') : token;
    // A session needs its own token; a long-term key takes none (AWS refuses a stray one the same way).
    if (session ? !StsService.tokenMatches(session, tokenText) : !credential || tokenText !== undefined) throw invalid;
    if (session && Date.now() >= session.expiresAt) throw new SsmError('ExpiredTokenException', 'The security token included in the request is expired');
    const secret = session ? session.secretAccessKey : (credential?.secret_access_key ?? '');
    await verifySignature({ method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body }, auth, secret, this.config.region, service);
    return session ? { principal: StsService.principalOf(session), known: true } : { principal: principalOf(credential, auth.accessKeyId), known: true };
  }

  /** One STS (AWS Query) request: its XML answer, status and a log outcome. Never throws StsError. */
  private async answerSts(
    req: IncomingMessage,
    body: Buffer,
    params: URLSearchParams,
    faulted: boolean,
  ): Promise<{ status: number; xml: string; outcome: string; requestId: string }> {
    const requestId = randomUUID();
    try {
      if (faulted) {
        this.counters.faulted += 1;
        throw new StsError('InternalFailure', 'An internal error occurred. Please try again.', 500);
      }
      let caller: Caller;
      try {
        caller = await this.authenticate(req, body, 'sts');
      } catch (err) {
        throw err instanceof SsmError ? toStsError(err) : err;
      }
      const action = params.get('Action');
      if (!action) throw new StsError('MissingAction', 'Missing Action');
      const version = params.get('Version');
      if (version !== STS_VERSION) throw new StsError('InvalidAction', `Could not find operation ${action} for version ${version ?? 'NO_VERSION_SPECIFIED'}`);
      const xml = this.sts.handle(
        action,
        params,
        { access: this.access, principal: caller.principal, account: this.config.account, trustAnyone: this.config.signature === 'any' && !caller.known },
        requestId,
      );
      return { status: 200, xml, outcome: '200', requestId };
    } catch (err) {
      if (!(err instanceof StsError)) throw err;
      if (STS_DENIALS.has(err.code)) this.counters.denied += 1;
      return { status: err.status, xml: err.xml(requestId), outcome: `${err.status} ${err.code}`, requestId };
    }
  }

  private async control(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
    const path = url.split('?')[0];
    if (req.method === 'GET' && path === '/_emulator/counters') {
      this.send(res, this.counters, 200, 'application/json');
    } else if (req.method === 'POST' && path === '/_emulator/reset-counters') {
      await readBody(req);
      this.counters = emptyCounters();
      this.send(res, this.counters, 200, 'application/json');
    } else if (req.method === 'POST' && path === '/_emulator/faults') {
      try {
        const input = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Partial<Faults>;
        this.config.faults.set(input);
        this.send(res, this.config.faults.current, 200, 'application/json');
      } catch (err) {
        this.send(res, { message: err instanceof Error ? err.message : String(err) }, 400, 'application/json');
      }
    } else {
      this.send(
        res,
        { message: 'control endpoints: GET /_emulator/counters, POST /_emulator/reset-counters, POST /_emulator/faults' },
        404,
        'application/json',
      );
    }
  }

  private sendXml(res: ServerResponse, xml: string, status: number, requestId: string): void {
    res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(xml), 'x-amzn-RequestId': requestId });
    res.end(xml);
  }

  private send(res: ServerResponse, payload: unknown, status: number, type = JSON_TYPE): void {
    const text = JSON.stringify(payload);
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), 'x-amzn-RequestId': randomUUID() });
    res.end(text);
  }
}

function principalOf(credential: SeedCredential | undefined, accessKeyId: string): Principal {
  const allow = credential?.allow;
  return { accessKeyId, rules: allow === undefined ? undefined : Array.isArray(allow) ? allow : [allow] };
}

/**
 * The STS request's parameters, or undefined for an SSM request. STS (AWS
 * Query) is a form-encoded POST with `Action=...` and no X-Amz-Target; a
 * request signed for service `sts` goes there too, so that it gets STS's
 * errors. Anything carrying X-Amz-Target stays SSM.
 */
function stsRequest(req: IncomingMessage, body: Buffer): URLSearchParams | undefined {
  if (req.headers['x-amz-target'] !== undefined) return undefined;
  const form = String(req.headers['content-type'] ?? '')
    .toLowerCase()
    .startsWith('application/x-www-form-urlencoded');
  const params = form ? new URLSearchParams(body.toString('utf8')) : undefined;
  if (params?.has('Action')) return params;
  if (/Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/sts\//.test(String(req.headers.authorization ?? ''))) return params ?? new URLSearchParams();
  return undefined;
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SsmError('SerializationException', 'The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new SsmError('SerializationException', 'The request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** For the log line: the names or path a request is about. Never values. */
function describeNames(input: Record<string, unknown>): string {
  if (typeof input.Name === 'string') return input.Name;
  if (typeof input.Path === 'string') return input.Path + (input.Recursive === true ? ' (recursive)' : '');
  if (Array.isArray(input.Names)) return input.Names.filter((n) => typeof n === 'string').join(',');
  return '';
}
