/**
 * One loopback endpoint in front of one emulator per region: each request
 * goes to the emulator of the region it is signed for (SigV4 credential
 * scope), unchanged, so signatures still verify. A region can be switched
 * `down`: its requests are answered 503 ServiceUnavailable, what a regional
 * outage looks like to the SDK (retried, then exit 5). `downOperations` takes
 * down one operation of one region (`us-east-1:GetParametersByPath`), so that
 * one call of a run meets an outage while the others are answered.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RegionProxy {
  url: string;
  down: Set<string>;
  /** `region:Operation` pairs answered 503, as `down` answers a whole region. */
  downOperations: Set<string>;
  /** Requests seen per region. */
  seen: Map<string, number>;
  close(): Promise<void>;
}

export async function startRegionProxy(targets: Record<string, string>): Promise<RegionProxy> {
  const down = new Set<string>();
  const downOperations = new Set<string>();
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    seen.set(region, (seen.get(region) ?? 0) + 1);
    const target = targets[region];
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSSM\./, '');
    if (!target || down.has(region) || downOperations.has(`${region}:${operation}`)) {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'ServiceUnavailable', message: `region ${region} is down (test proxy)` }));
      return;
    }
    const url = new URL(target);
    const upstream = request({ hostname: url.hostname, port: url.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    down,
    downOperations,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
