// A small rate-limiting proxy for the benchmark: it puts the account's
// GetParameter* quota (a token bucket: `tps` per second, burst `burst`) in
// front of any SSM endpoint, here moto's server, so that the fleet figures do
// not rest on our own emulator alone. Over the quota it answers as AWS does:
// HTTP 400 {"__type":"ThrottlingException","message":"Rate exceeded"}.
// Other operations (PutParameter for seeding) pass unlimited.
import { createServer, request } from 'node:http';

const LIMITED = new Set(['AmazonSSM.GetParameter', 'AmazonSSM.GetParameters', 'AmazonSSM.GetParametersByPath']);

export async function startRateLimitProxy({ target, tps, burst = tps }) {
  const upstream = new URL(target);
  let tokens = burst;
  let refilledAt = performance.now();
  const counters = { forwarded: 0, throttled: 0 };
  const take = () => {
    const now = performance.now();
    tokens = Math.min(burst, tokens + ((now - refilledAt) / 1000) * tps);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
  const server = createServer((req, res) => {
    if (LIMITED.has(String(req.headers['x-amz-target'])) && !take()) {
      counters.throttled++;
      req.resume();
      const body = JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' });
      res.writeHead(400, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': `throttled-${counters.throttled}`,
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    counters.forwarded++;
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    counters: () => ({ ...counters }),
    /** A full bucket again, as after a second of quiet. */
    refill: () => {
      tokens = burst;
      refilledAt = performance.now();
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
