/** `ssm-materialize emulator` as the CLI runs it: banner, env vars, counters on stop. */
import { describe, expect, it } from 'vitest';
import { emulatorCommand } from '../src/command.js';

describe('emulatorCommand', () => {
  it('prints the URL and the env vars to use, serves, and prints counters when stopped', async () => {
    const out: string[] = [];
    const stop = new AbortController();
    const done = emulatorCommand({ port: 0, tps: 40 }, { stdout: (s) => out.push(s), stderr: (s) => out.push(s) }, stop.signal);
    await expect.poll(() => out.join(''), { timeout: 5_000 }).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out.join(''))![0];
    const banner = out.join('');
    expect(banner).toContain(`export AWS_ENDPOINT_URL_SSM=${url}`);
    expect(banner).toContain('export AWS_ACCESS_KEY_ID=AKIAEMULATORDEMO');
    expect(banner).toContain('export AWS_SECRET_ACCESS_KEY=emulator-demo-secret');
    expect(banner).toContain('export AWS_REGION=us-east-1');
    expect((await fetch(`${url}/_emulator/counters`)).status).toBe(200);
    stop.abort();
    expect(await done).toBe(0);
    expect(out.join('')).toMatch(/counters: \{"requests":0,/);
  });

  it('logs requests to stderr with verbose, without values', async () => {
    const err: string[] = [];
    const out: string[] = [];
    const stop = new AbortController();
    const done = emulatorCommand({ port: 0, verbose: true, anySignature: true }, { stdout: (s) => out.push(s), stderr: (s) => err.push(s) }, stop.signal);
    await expect.poll(() => out.join(''), { timeout: 5_000 }).toMatch(/127\.0\.0\.1:\d+/);
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out.join(''))![0];
    const body = JSON.stringify({ Name: '/v/x', Value: 'CANARY-verbose', Type: 'String' });
    const res = await fetch(url, { method: 'POST', headers: { 'x-amz-target': 'AmazonSSM.PutParameter' }, body });
    expect(res.status).toBe(200);
    stop.abort();
    await done;
    expect(err.join('')).toBe('emulator: PutParameter /v/x -> 200\n');
  });

  it('fails with a usage error when the port is taken', async () => {
    const stop = new AbortController();
    const out: string[] = [];
    const first = emulatorCommand({ port: 0 }, { stdout: (s) => out.push(s), stderr: () => {} }, stop.signal);
    await expect.poll(() => out.join(''), { timeout: 5_000 }).toMatch(/127\.0\.0\.1:\d+/);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(out.join(''))![1]);
    await expect(emulatorCommand({ port }, { stdout: () => {}, stderr: () => {} })).rejects.toThrow(`port ${port} is already in use`);
    stop.abort();
    await first;
  });
});
