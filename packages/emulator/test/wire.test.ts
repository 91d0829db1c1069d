/** The wire format, loopback rules, control endpoints and the log, with raw HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { startEmulator, type RunningEmulator } from '../src/index.js';
import { baseSeed, rawCall } from './helpers.js';

let emulator: RunningEmulator;
const logLines: string[] = [];
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, seed: baseSeed(), signature: 'any', log: (l) => logLines.push(l) });
});
afterAll(async () => {
  await emulator?.close();
});

describe('AWS JSON 1.1 on the wire', () => {
  it('routes on X-Amz-Target whatever the URL path, with JSON-number timestamps', async () => {
    for (const path of ['/', '/some/path', '/path/']) {
      const res = await fetch(emulator.url + path, {
        method: 'POST',
        headers: { 'X-AMZ-TARGET': 'AmazonSSM.GetParameter', 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ Name: '/myapp/prod/cert' }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
      const body = (await res.json()) as { Parameter: { LastModifiedDate: unknown; Value: string } };
      expect(typeof body.Parameter.LastModifiedDate).toBe('number');
      expect(body.Parameter.Value).toBe('v3');
    }
  });

  it('sends errors as {"__type","message"} with no code field, ParameterNotFound with an empty message', async () => {
    const res = await rawCall(emulator.url, 'GetParameter', { Name: '/nope' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ __type: 'ParameterNotFound', message: '' });
  });

  it('answers unknown operations, bad JSON and wrong member types like AWS', async () => {
    expect((await rawCall(emulator.url, 'Frobnicate', {})).body.__type).toBe('UnknownOperationException');
    expect((await rawCall(emulator.url, 'GetParameter', '{not json')).body.__type).toBe('SerializationException');
    expect((await rawCall(emulator.url, 'GetParameters', { Names: 'x' })).body.__type).toBe('SerializationException');
    expect((await rawCall(emulator.url, 'GetParameter', {})).body).toEqual({
      __type: 'ValidationException',
      message: "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    });
  });

  it('refuses bodies over 1 MiB without falling over', async () => {
    const res = await rawCall(emulator.url, 'PutParameter', JSON.stringify({ Name: '/huge', Value: 'x'.repeat(1_100_000), Type: 'String' }));
    expect(res.status).toBe(413);
    expect((await rawCall(emulator.url, 'GetParameter', { Name: '/myapp/prod/cert' })).status).toBe(200);
  });

  it('omits NextToken on the last page and sends both GetParameters arrays', async () => {
    const page = await rawCall(emulator.url, 'GetParametersByPath', { Path: '/myapp/prod/env' });
    expect(Object.keys(page.body)).toEqual(['Parameters']);
    const none = await rawCall(emulator.url, 'GetParameters', { Names: ['/nope'] });
    expect(none.body).toEqual({ Parameters: [], InvalidParameters: ['/nope'] });
  });
});

describe('loopback only', () => {
  it('listens on 127.0.0.1', () => {
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(emulator.url, { method: 'POST', headers: { Host: 'evil.example', 'X-Amz-Target': 'AmazonSSM.GetParameter' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{"Name":"/myapp/prod/cert"}');
    });
    expect(status).toBe(403);
  });
});

describe('control endpoints', () => {
  it('serve counters, reset them, and change faults', async () => {
    await rawCall(emulator.url, 'GetParameters', { Names: ['/a'] });
    const counters = (await (await fetch(`${emulator.url}/_emulator/counters`)).json()) as { requests: number; operations: Record<string, number> };
    expect(counters.requests).toBeGreaterThan(0);
    expect(counters.operations.GetParameters).toBeGreaterThan(0);
    const reset = await fetch(`${emulator.url}/_emulator/reset-counters`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(emulator.counters().requests).toBe(0);

    const set = await fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ error_rate: 1 }) });
    expect(set.status).toBe(200);
    expect((await rawCall(emulator.url, 'GetParameters', { Names: ['/a'] })).status).toBe(500);
    const bad = await fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ error_rate: 5 }) });
    expect(bad.status).toBe(400);
    await fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ error_rate: 0 }) });
    const err = await rawCall(emulator.url, 'GetParameters', { Names: ['/a'] });
    expect(err.status).toBe(200);
  });
});

describe('log', () => {
  it('names operations, parameters and status, never values', async () => {
    logLines.length = 0;
    await rawCall(emulator.url, 'GetParameters', { Names: ['/myapp/prod/db/password'], WithDecryption: true });
    await rawCall(emulator.url, 'PutParameter', { Name: '/log/new', Value: 'CANARY-log-value', Type: 'SecureString' });
    await rawCall(emulator.url, 'GetParametersByPath', { Path: '/myapp', Recursive: true, WithDecryption: true });
    expect(logLines).toEqual(['GetParameters /myapp/prod/db/password -> 200', 'PutParameter /log/new -> 200', 'GetParametersByPath /myapp (recursive) -> 200']);
    expect(logLines.join('\n')).not.toMatch(/s3cr3t|CANARY|production/);
  });
});
