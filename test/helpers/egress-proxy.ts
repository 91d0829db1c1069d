/**
 * An egress proxy on loopback, as an enterprise VPC has one: HTTP CONNECT
 * tunnels (for https:// endpoints) and absolute-form forwarding (for
 * http:// ones), optionally behind Basic credentials. It is the only way to
 * the store in the tests: the endpoints' host names resolve nowhere, and the
 * proxy alone maps each `host:port` to a loopback port. It never dials
 * anything but those routes, and logs every request line it sees.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSelfSignedCert } from './certs.js';

export interface EgressProxy {
  /** `http://127.0.0.1:PORT` (no credentials in it). */
  url: string;
  port: number;
  /** Request lines seen: `CONNECT host:port` or `POST http://host/`. */
  seen: string[];
  close(): Promise<void>;
}

export interface EgressProxyOptions {
  /** `host:port` as the client names it -> the loopback port it is served on. */
  routes: Record<string, number>;
  /** `user:password` the proxy requires (407 otherwise). */
  credentials?: string;
}

function authorized(req: IncomingMessage, credentials: string | undefined): boolean {
  return credentials === undefined || req.headers['proxy-authorization'] === `Basic ${Buffer.from(credentials).toString('base64')}`;
}

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (!authorized(req, options.credentials)) {
      req.resume();
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="egress"' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const port = options.routes[`${target.hostname}:${target.port || 80}`];
    if (port === undefined) {
      req.resume();
      res.writeHead(502).end();
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: `${target.pathname}${target.search}`, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    if (!authorized(req, options.credentials)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="egress"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const port = options.routes[req.url ?? ''];
    if (port === undefined) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface TlsFront {
  port: number;
  /** The certificate (self-signed, for `names`), to trust through NODE_EXTRA_CA_CERTS. */
  caFile: string;
  close(): Promise<void>;
}

/**
 * TLS in front of a plain-HTTP loopback port (the emulator), with a
 * certificate for `names` made by openssl in `dir`, so that a client checks
 * the endpoint's certificate through the tunnel as it would against AWS.
 */
export async function startTlsFront(targetPort: number, names: string[], dir: string): Promise<TlsFront> {
  const own = mkdtempSync(join(dir, 'front-'));
  const key = join(own, 'front.key');
  const cert = join(own, 'front.crt');
  writeSelfSignedCert({ key, cert, cn: names[0] ?? 'localhost', altNames: names });
  const sockets = new Set<Socket>();
  const server: TlsServer = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    caFile: cert,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on: a proxy that is down. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
