/**
 * The HTTP side: AWS JSON 1.1 on loopback. Every request is a POST routed on
 * `X-Amz-Target: AmazonSSM.<Operation>` (never on the URL path), goes through
 * faults, SigV4 and the TPS limit, then its operation. Also serves the
 * control endpoints under /_emulator/ for tests that run the emulator as a
 * separate process.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { AccessPolicy, type Principal } from './access.js';
import { FaultInjector } from './faults.js';
import type { Kms } from './kms.js';
import { OPERATIONS, THROTTLED_OPERATIONS, type OpContext } from './ops.js';
import { parseAuthorization, verifySignature } from './sigv4.js';
import { SsmError } from './ssm-error.js';
import type { ParameterState } from './state.js';
import type { Counters, Faults, SeedCredential, SignatureMode } from './types.js';

export interface ServerConfig {
  region: string;
  account: string;
  signature: SignatureMode;
  credentials: SeedCredential[];
  state: ParameterState;
  kms: Kms;
  faults: FaultInjector;
  log?: ((line: string) => void) | undefined;
}

const MAX_BODY = 1024 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const JSON_TYPE = 'application/x-amz-json-1.1';
/** Errors that mean "who are you / you may not": counted as denied. */
const DENIALS = new Set(['AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException', 'IncompleteSignatureException', 'MissingAuthenticationTokenException']);

export function emptyCounters(): Counters {
  return { requests: 0, operations: {}, throttled: 0, faulted: 0, dropped: 0, stalled: 0, denied: 0 };
}

export class EmulatorServer {
  readonly http: Server;
  counters: Counters = emptyCounters();
  private readonly access: AccessPolicy;
  private readonly stalled = new Set<Socket>();

  constructor(private readonly config: ServerConfig) {
    this.access = new AccessPolicy(config.account, config.region);
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isLoopback(req.socket.remoteAddress)) {
      req.socket.destroy();
      return;
    }
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!LOOPBACK_HOSTS.has(host)) {
      // Refuse other Host names too, so a web page cannot reach us through DNS rebinding.
      this.send(res, { __type: 'AccessDeniedException', message: `the ssm-materialize emulator only answers requests addressed to 127.0.0.1 or localhost, not ${host || '(no Host)'}` }, 403);
      return;
    }
    const url = req.url ?? '/';
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
    const operation = target.startsWith('AmazonSSM.') ? target.slice('AmazonSSM.'.length) : '';
    if (operation) this.counters.operations[operation] = (this.counters.operations[operation] ?? 0) + 1;

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
    let status = 200;
    let payload: unknown;
    let names = '';
    try {
      if (fault === 'error') {
        this.counters.faulted += 1;
        throw new SsmError('InternalServerError', 'An internal error occurred. Please try again.', 500);
      }
      const principal = await this.authenticate(req, body);
      const op = OPERATIONS[operation];
      if (!op) throw new SsmError('UnknownOperationException', target ? `Unknown operation ${target}` : 'Missing X-Amz-Target header');
      const input = parseJson(body);
      names = describeNames(input);
      if (THROTTLED_OPERATIONS.has(operation) && !this.config.faults.take()) {
        this.counters.throttled += 1;
        throw new SsmError('ThrottlingException', 'Rate exceeded');
      }
      const ctx: OpContext = { state: this.config.state, kms: this.config.kms, access: this.access, principal, region: this.config.region, account: this.config.account };
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

  private async authenticate(req: IncomingMessage, body: Buffer): Promise<Principal> {
    const anySignature = this.config.signature === 'any';
    const header = req.headers.authorization;
    if (anySignature && !header) return { accessKeyId: 'anonymous', rules: undefined };
    let auth;
    try {
      auth = parseAuthorization(header);
    } catch (err) {
      if (anySignature) return { accessKeyId: 'anonymous', rules: undefined };
      throw err;
    }
    const credential = this.config.credentials.find((c) => c.access_key_id === auth.accessKeyId);
    if (anySignature) return principalOf(credential, auth.accessKeyId);
    if (!credential) throw new SsmError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    await verifySignature({ method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body }, auth, credential.secret_access_key, this.config.region);
    return principalOf(credential, auth.accessKeyId);
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
      this.send(res, { message: 'control endpoints: GET /_emulator/counters, POST /_emulator/reset-counters, POST /_emulator/faults' }, 404, 'application/json');
    }
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
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SsmError('SerializationException', 'The request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** For the log line: the names or path a request is about. Never values. */
function describeNames(input: Record<string, unknown>): string {
  if (typeof input.Name === 'string') return input.Name;
  if (typeof input.Path === 'string') return input.Path + (input.Recursive === true ? ' (recursive)' : '');
  if (Array.isArray(input.Names)) return input.Names.filter((n) => typeof n === 'string').join(',');
  return '';
}
