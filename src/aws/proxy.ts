/**
 * HTTPS_PROXY, HTTP_PROXY and NO_PROXY for the AWS clients, given to each
 * client as its own agents (the SDK's NodeHttpHandler httpAgent/httpsAgent),
 * never process-wide: instance metadata (IMDS) and container credentials
 * must never go through a proxy (IMDSv2 refuses a token request that carries
 * X-Forwarded-For, and a proxy would see the instance role's credentials),
 * and the SDK reaches them with Node's global agent, which stays direct.
 *
 * Our own agents rather than https-proxy-agent / http-proxy-agent: one agent
 * serves several hosts (SSM, and STS through the SDK's nested clients), so
 * NO_PROXY has to be decided per connection, which those agents do not do;
 * their `debug` dependency logs the proxy URL with its password under
 * DEBUG=*; and a proxy's refusal (407, 403) reaches the SDK as if the store
 * had answered, where ours is an error that names the proxy (without its
 * credentials) and the variable it came from.
 *
 * The rules follow curl and Python (and so the AWS CLI): the lower-case
 * variable first, an empty value is unset, a URL without a scheme is http://.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { UsageError } from '../errors.js';
import { own } from '../records.js';

export interface Proxy {
  url: URL;
  /** The environment variable it came from, for messages. */
  variable: string;
}

export interface ProxySettings {
  /** For http:// endpoints. */
  http?: Proxy;
  /** For https:// endpoints (every AWS endpoint). */
  https?: Proxy;
  /** NO_PROXY entries, lower-cased. */
  noProxy: readonly string[];
}

/** The value of NAME, lower-case spelling first. */
function fromEnv(env: NodeJS.ProcessEnv, name: string): { value: string; variable: string } | undefined {
  for (const variable of [name.toLowerCase(), name.toUpperCase()]) {
    const value = own(env, variable)?.trim();
    if (value) return { value, variable };
  }
  return undefined;
}

/** The proxy URL as it may be printed: its credentials, if any, replaced. */
export function redactProxyUrl(url: URL): string {
  return `${url.protocol}//${url.username || url.password ? '***:***@' : ''}${url.host}`;
}

function parseProxy(env: NodeJS.ProcessEnv, name: string): Proxy | undefined {
  const found = fromEnv(env, name);
  if (!found) return undefined;
  const raw = /^[a-z][a-z0-9+.-]*:\/\//i.test(found.value) ? found.value : `http://${found.value}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not quoted: the value may hold a password.
    throw new UsageError(`${found.variable} is not a valid proxy URL`, {
      hint: `set ${found.variable} to http://HOST:PORT (or http://USER:PASSWORD@HOST:PORT)`,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `${found.variable} names a ${url.protocol.slice(0, -1)} proxy (${redactProxyUrl(url)}): only http:// and https:// proxies are supported`,
      {
        hint: `set ${found.variable} to an HTTP proxy, http://HOST:PORT`,
      },
    );
  }
  if (!url.hostname) throw new UsageError(`${found.variable} names no proxy host`, { hint: `set ${found.variable} to http://HOST:PORT` });
  return { url, variable: found.variable };
}

/** The proxies the environment configures; bad URLs are usage errors, found before any call. */
export function proxySettings(env: NodeJS.ProcessEnv): ProxySettings {
  const noProxy = (fromEnv(env, 'no_proxy')?.value ?? '')
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  const settings: ProxySettings = { noProxy };
  const httpProxy = parseProxy(env, 'http_proxy');
  const httpsProxy = parseProxy(env, 'https_proxy');
  if (httpProxy) settings.http = httpProxy;
  if (httpsProxy) settings.https = httpsProxy;
  return settings;
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address, as host and optional port. */
function splitHostPort(entry: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1] ?? '', ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  if (withPort) return { host: withPort[1] ?? '', port: Number(withPort[2]) };
  return { host: entry };
}

function inSubnet(host: string, cidr: string): boolean {
  const [network = '', bits = ''] = cidr.split('/');
  const family = net.isIP(network);
  if (family === 0 || net.isIP(host) !== family || !/^\d+$/.test(bits)) return false;
  const list = new net.BlockList();
  try {
    list.addSubnet(network, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
  return list.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Whether NO_PROXY sends a connection to `hostname:port` direct: `*` (every
 * host); a name, which also covers its subdomains (a leading `.` or `*.`
 * changes nothing); an IP address or a CIDR subnet; any of these with
 * `:port` to match that port only.
 */
export function bypassesProxy(noProxy: readonly string[], hostname: string, port: number): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  return noProxy.some((entry) => {
    if (entry === '*') return true;
    const { host: pattern, port: only } = splitHostPort(entry);
    if (only !== undefined && only !== port) return false;
    if (pattern.includes('/')) return inSubnet(host, pattern);
    const name = pattern.replace(/^\*?\./, '').replace(/\.$/, '');
    if (host === name) return true;
    return net.isIP(host) === 0 && host.endsWith(`.${name}`);
  });
}

/** The proxy for a connection to `host:port` over `protocol`, or undefined: go direct. */
export function proxyFor(settings: ProxySettings, protocol: 'http:' | 'https:', host: string, port: number): Proxy | undefined {
  const proxy = protocol === 'https:' ? settings.https : settings.http;
  return proxy && !bypassesProxy(settings.noProxy, host, port) ? proxy : undefined;
}

/**
 * A failure on the way through the proxy. Its message names the proxy
 * without credentials and the variable that set it; `code` is the network
 * error's (so that an unreachable proxy is retried like an unreachable
 * endpoint) or PROXY_REFUSED for an answer other than 200 to CONNECT.
 */
export class ProxyConnectError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly proxyVariable: string,
  ) {
    super(message);
    this.name = 'ProxyConnectError';
  }
}

function proxyPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

function basicAuth(url: URL): string | undefined {
  if (!url.username && !url.password) return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
}

function authority(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A connected socket to the proxy itself (TLS for an https:// proxy). */
function connectToProxy(proxy: Proxy, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const host = proxy.url.hostname.replace(/^\[|\]$/g, '');
    const port = proxyPort(proxy.url);
    const socket = proxy.url.protocol === 'https:' ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
    const fail = (err: Error & { code?: string }): void => {
      socket.destroy();
      const code = err.code ?? 'ETIMEDOUT';
      reject(new ProxyConnectError(`cannot reach the proxy ${redactProxyUrl(proxy.url)} (${proxy.variable}): ${code}`, code, proxy.variable));
    };
    socket.setTimeout(timeoutMs, () => fail(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    socket.once('error', fail);
    socket.once(proxy.url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/** The proxy's status line, as printable text of bounded length (a proxy's words, not ours). */
function statusLine(head: Buffer): string {
  const line = head.subarray(0, Math.max(0, head.indexOf('\r\n'))).toString('latin1');
  return line.replace(/[^\x20-\x7e]/g, '?').slice(0, 120);
}

/** A socket through the proxy to `host:port` (HTTP CONNECT), ready for TLS. */
async function openTunnel(proxy: Proxy, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const socket = await connectToProxy(proxy, timeoutMs);
  const target = authority(host, port);
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const done = (err?: Error): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.setTimeout(0);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        socket.pause();
        resolve(socket);
      }
    };
    const refused = (why: string): ProxyConnectError =>
      new ProxyConnectError(
        `the proxy ${redactProxyUrl(proxy.url)} (${proxy.variable}) did not open a tunnel to ${target}: ${why}`,
        'PROXY_REFUSED',
        proxy.variable,
      );
    const onError = (err: Error & { code?: string }): void =>
      done(
        new ProxyConnectError(
          `the connection to the proxy ${redactProxyUrl(proxy.url)} (${proxy.variable}) failed: ${err.code ?? 'error'}`,
          err.code ?? 'ECONNRESET',
          proxy.variable,
        ),
      );
    const onEnd = (): void =>
      done(
        new ProxyConnectError(
          `the proxy ${redactProxyUrl(proxy.url)} (${proxy.variable}) closed the connection before answering CONNECT ${target}`,
          'ECONNRESET',
          proxy.variable,
        ),
      );
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16 * 1024) done(refused('an answer too long to be a CONNECT response'));
        return;
      }
      const line = statusLine(head);
      if (!/^HTTP\/1\.[01] 200\b/.test(line)) return done(refused(`it answered "${line}"`));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      done();
    };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('end', onEnd);
    socket.setTimeout(timeoutMs, () => done(refused(`no answer to CONNECT within ${timeoutMs} ms`)));
    const auth = basicAuth(proxy.url);
    socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}\r\n`);
  });
}

type ConnectionCallback = (err: Error | null, stream: Duplex) => void;

/** https:// endpoints: a CONNECT tunnel through the proxy, then TLS to the endpoint itself (its certificate checked as usual). */
class TunnelingAgent extends https.Agent {
  constructor(
    private readonly settings: ProxySettings,
    private readonly connectTimeoutMs: number,
  ) {
    super({ keepAlive: true });
  }

  override createConnection(options: https.RequestOptions, callback?: ConnectionCallback): Duplex | null | undefined {
    const host = String(options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port ?? 443);
    const proxy = proxyFor(this.settings, 'https:', host, port);
    if (!proxy || !callback) return super.createConnection(options, callback);
    openTunnel(proxy, host, port, this.connectTimeoutMs).then(
      (socket) => callback(null, tls.connect({ ...(options as tls.ConnectionOptions), socket })),
      (err: Error) => callback(err, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/** Node's Agent method that attaches a request to a socket: not in its type declarations, stable since Node 0.x. */
interface AgentWithAddRequest {
  addRequest(req: http.ClientRequest, options: http.RequestOptions): void;
}

/**
 * http:// endpoints: the request goes to the proxy in absolute form
 * (`POST http://host:port/ HTTP/1.1`), as HTTP proxies expect.
 */
class ForwardingAgent extends http.Agent {
  constructor(
    private readonly settings: ProxySettings,
    private readonly connectTimeoutMs: number,
  ) {
    super({ keepAlive: true });
  }

  addRequest(req: http.ClientRequest, options: http.RequestOptions): void {
    const addRequest = (http.Agent.prototype as unknown as AgentWithAddRequest).addRequest;
    const host = String(options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port ?? 80);
    const proxy = proxyFor(this.settings, 'http:', host, port);
    if (!proxy) return addRequest.call(this, req, options);
    req.path = `http://${authority(host, port)}${req.path}`;
    const auth = basicAuth(proxy.url);
    if (auth) req.setHeader('Proxy-Authorization', auth);
    // The pool is keyed by the proxy's address; `proxy` tells createConnection how to reach it.
    addRequest.call(this, req, { ...options, host: proxy.url.hostname.replace(/^\[|\]$/g, ''), port: proxyPort(proxy.url), proxy } as http.RequestOptions);
  }

  override createConnection(options: http.ClientRequestArgs & { proxy?: Proxy }, callback?: ConnectionCallback): Duplex | null | undefined {
    const proxy = options.proxy;
    if (!proxy || !callback) return super.createConnection(options, callback);
    connectToProxy(proxy, this.connectTimeoutMs).then(
      (socket) => callback(null, socket),
      (err: Error) => callback(err, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/**
 * The agents for one AWS client's request handler, or undefined when no
 * proxy is configured (the SDK's own agents then). NO_PROXY is decided for
 * each connection, by its host and port.
 */
export function proxyAgents(settings: ProxySettings, connectTimeoutMs: number): { httpAgent: http.Agent; httpsAgent: https.Agent } | undefined {
  if (!settings.http && !settings.https) return undefined;
  return { httpAgent: new ForwardingAgent(settings, connectTimeoutMs), httpsAgent: new TunnelingAgent(settings, connectTimeoutMs) };
}
