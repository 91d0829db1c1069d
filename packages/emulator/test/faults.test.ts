/** Fault injection through the real SDK: TPS limit, server errors, drops, stalls, latency, counters. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GetParameterCommand, GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startEmulator, type RunningEmulator } from '../src/index.js';
import { FaultInjector } from '../src/faults.js';
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
  it('refills at exactly tps per second, capacity tps (a fake clock: no wall time involved)', () => {
    let now = 0;
    const bucket = new FaultInjector({ tps: 20 }, () => now);
    const takeAll = (): number => {
      let n = 0;
      while (bucket.take()) n++;
      return n;
    };
    expect(takeAll()).toBe(20); // starts full
    now += 500;
    expect(takeAll()).toBe(10); // half a second refills half the capacity
    now += 10_000;
    expect(takeAll()).toBe(20); // never more than its capacity
    now += 49;
    expect(bucket.take()).toBe(false); // 0.98 of a token is not a token
    now += 1;
    expect(bucket.take()).toBe(true);
  });

  it('answers a burst beyond the bucket with ThrottlingException (HTTP 400) through the SDK, and counts it', async () => {
    // 1 token per second and 12 calls at once: all but a handful must be
    // throttled however slow the machine is (it would take 11 s to refill).
    emulator.setFaults({ tps: 1 });
    const ssm = client(emulator); // maxAttempts 1: no retry hides a throttle
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        outcome(
          i % 2 ? ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert'] })) : ssm.send(new GetParameterCommand({ Name: '/myapp/prod/env/NODE_ENV' })),
        ),
      ),
    );
    const accepted = results.filter((r) => r === 'ok').length;
    const throttled = results.filter((r) => r === 'ThrottlingException').length;
    expect(accepted + throttled).toBe(12);
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(throttled).toBeGreaterThan(0);
    const counters = emulator.counters();
    expect(counters.throttled).toBe(throttled);
    expect(counters.requests).toBe(12);
    ssm.destroy();
  });

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
      fetch(twin.url, {
        method: 'POST',
        headers: { 'x-amz-target': 'AmazonSSM.GetParameters', 'content-type': 'application/x-amz-json-1.1' },
        body: '{"Names":["/a"]}',
      });
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
    const impatient = new SSMClient({
      endpoint: emulator.url,
      region: REGION,
      credentials: DEMO,
      maxAttempts: 1,
      requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
    });
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
    // Only a lower bound: a loaded machine may answer later, never sooner.
    expect(took).toBeGreaterThanOrEqual(145);
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
      scanned: 0,
    });
    emulator.resetCounters();
    expect(emulator.counters().requests).toBe(0);
    ssm.destroy();
  });
});
