/** Fault injection through the real SDK: TPS limit, server errors, drops, stalls, latency, counters. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GetParameterCommand, GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { DEMO, REGION, baseSeed, client } from './helpers.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, seed: baseSeed() });
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(() => {
  emulator.setFaults({ latency_ms: 0, latency_jitter_ms: 0, tps: 0, error_rate: 0, drop_rate: 0, stall_rate: 0, seed: 1 });
  emulator.resetCounters();
});

type Outcome = 'ok' | string;
async function outcome(p: Promise<unknown>): Promise<Outcome> {
  return p.then(
    () => 'ok',
    (e: Error & { code?: string }) => e.name,
  );
}

describe('TPS limit (token bucket shared by GetParameter*)', () => {
  it('holds within 10% over a 5-second burst of 200+ requests, answering ThrottlingException', async () => {
    const tps = 20;
    const ssm = client(emulator);
    emulator.setFaults({ tps });
    const started = performance.now();
    const results: Outcome[] = [];
    // 6 workers, each pacing itself at ~50 requests/s: far above the limit.
    const worker = async (i: number): Promise<void> => {
      let n = 0;
      while (performance.now() - started < 5_000) {
        const call = n++ % 2 === 0 ? ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] })) : ssm.send(new GetParameterCommand({ Name: '/myapp/prod/env/NODE_ENV' }));
        results.push(await outcome(call));
        await new Promise((r) => setTimeout(r, 20 + i));
      }
    };
    await Promise.all(Array.from({ length: 6 }, (_, i) => worker(i)));
    const elapsed = (performance.now() - started) / 1000;
    const accepted = results.filter((r) => r === 'ok').length;
    const throttled = results.filter((r) => r === 'ThrottlingException').length;
    expect(results.length).toBeGreaterThanOrEqual(200);
    expect(accepted + throttled).toBe(results.length);
    // A full bucket to start with, then tps per second.
    const expected = tps + tps * elapsed;
    expect(Math.abs(accepted - expected) / expected).toBeLessThanOrEqual(0.1);
    const counters = emulator.counters();
    expect(counters.throttled).toBe(throttled);
    expect(counters.requests).toBe(results.length);
    ssm.destroy();
  }, 15_000);

  it('does not count PutParameter against the Get* bucket', async () => {
    emulator.setFaults({ tps: 1 });
    const ssm = client(emulator);
    expect(await outcome(ssm.send(new GetParameterCommand({ Name: '/myapp/prod/cert' })))).toBe('ok');
    expect(await outcome(ssm.send(new GetParameterCommand({ Name: '/myapp/prod/cert' })))).toBe('ThrottlingException');
    expect(await outcome(ssm.send(new PutParameterCommand({ Name: '/faults/put', Value: 'v', Type: 'String', Overwrite: true })))).toBe('ok');
    const raw = await fetchThrottled();
    expect(raw).toEqual({ __type: 'ThrottlingException', message: 'Rate exceeded' });
    ssm.destroy();
  });
});

/** A throttled answer as raw JSON, via an unsigned request to an `any`-signature twin. */
async function fetchThrottled(): Promise<unknown> {
  const twin = await startEmulator({ port: 0, seed: baseSeed(), signature: 'any', faults: { tps: 1 } });
  try {
    const call = () =>
      fetch(twin.url, { method: 'POST', headers: { 'x-amz-target': 'AmazonSSM.GetParameters', 'content-type': 'application/x-amz-json-1.1' }, body: '{"Names":["/a"]}' });
    expect((await call()).status).toBe(200);
    const res = await call();
    expect(res.status).toBe(400);
    return await res.json();
  } finally {
    await twin.close();
  }
}

describe('random faults', () => {
  async function sequence(n: number, ssm: SSMClient): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (let i = 0; i < n; i++) out.push(await outcome(ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] }))));
    return out;
  }

  it('answers about error_rate of requests with 500 InternalServerError, the same ones for the same seed', async () => {
    const ssm = client(emulator);
    emulator.setFaults({ error_rate: 0.3, seed: 42 });
    const first = await sequence(200, ssm);
    const errors = first.filter((r) => r === 'InternalServerError').length;
    expect(errors).toBeGreaterThan(40);
    expect(errors).toBeLessThan(80);
    expect(first.filter((r) => r !== 'ok' && r !== 'InternalServerError')).toEqual([]);
    expect(emulator.counters().faulted).toBe(errors);
    emulator.setFaults({ seed: 42 });
    expect(await sequence(200, ssm)).toEqual(first);
    ssm.destroy();
  });

  it('drops about drop_rate of connections without an answer', async () => {
    const ssm = client(emulator);
    emulator.setFaults({ drop_rate: 0.25, seed: 7 });
    const results = await sequence(120, ssm);
    const failed = results.filter((r) => r !== 'ok').length;
    expect(failed).toBeGreaterThan(15);
    expect(failed).toBeLessThan(45);
    expect(emulator.counters().dropped).toBe(failed);
    ssm.destroy();
  });

  it('stalls a request until the client gives up', async () => {
    emulator.setFaults({ stall_rate: 1 });
    const impatient = new SSMClient({ endpoint: emulator.url, region: REGION, credentials: DEMO, maxAttempts: 1, requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true } });
    const started = performance.now();
    const result = await outcome(impatient.send(new GetParameterCommand({ Name: '/myapp/prod/cert' })));
    expect(result).not.toBe('ok');
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
    expect(emulator.counters().stalled).toBe(1);
    impatient.destroy();
  });

  it('adds latency to every answer', async () => {
    const ssm = client(emulator);
    await ssm.send(new GetParameterCommand({ Name: '/myapp/prod/cert' }));
    emulator.setFaults({ latency_ms: 150, latency_jitter_ms: 50 });
    const started = performance.now();
    await ssm.send(new GetParameterCommand({ Name: '/myapp/prod/cert' }));
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(145);
    expect(took).toBeLessThan(1_000);
    ssm.destroy();
  });

  it('refuses fault settings out of range', () => {
    expect(() => emulator.setFaults({ error_rate: 2 })).toThrow(/error_rate/);
    expect(() => emulator.setFaults({ tps: -1 })).toThrow(/tps/);
  });
});

describe('counters', () => {
  it('count requests per operation and denials, and reset', async () => {
    const ssm = client(emulator);
    await ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] }));
    await ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] }));
    await outcome(ssm.send(new GetParameterCommand({ Name: '/nope' })));
    await outcome(client(emulator, { ...DEMO, secretAccessKey: 'bad' }).send(new GetParameterCommand({ Name: '/x' })));
    expect(emulator.counters()).toEqual({
      requests: 4,
      operations: { GetParameters: 2, GetParameter: 2 },
      throttled: 0,
      faulted: 0,
      dropped: 0,
      stalled: 0,
      denied: 1,
    });
    emulator.resetCounters();
    expect(emulator.counters().requests).toBe(0);
    ssm.destroy();
  });
});
