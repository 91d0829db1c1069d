/**
 * Retries and pacing of the real store client (SsmStore on the real SDK, over
 * HTTP) against the in-process emulator's token bucket and fault injection.
 * Assertions count calls and outcomes, never elapsed time. Each test has its
 * own emulator, so the tests (mostly waiting on buckets and backoff) run
 * concurrently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { SsmStore } from '../../src/aws/ssm.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { DEMO, REGION, isolatedAwsEnv } from '@ssm-materialize/emulator/testing';

const NAMES = Array.from({ length: 200 }, (_, i) => `/pace/app/k${String(i).padStart(3, '0')}`);

const emulators: RunningEmulator[] = [];
beforeAll(() => {
  // This file has a worker of its own (vitest.config.ts): the SDK takes its credentials from process.env.
  Object.assign(process.env, isolatedAwsEnv());
});
afterAll(async () => {
  await Promise.all(emulators.map((e) => e.close()));
});

/** A test's own emulator holding NAMES, knowing the demo access key by `secret` (the demo secret unless given). */
async function pacingEmulator(secret = DEMO.secretAccessKey): Promise<RunningEmulator> {
  const emulator = await startEmulator({
    port: 0,
    seed: {
      region: REGION,
      credentials: [{ access_key_id: DEMO.accessKeyId, secret_access_key: secret }],
      parameters: NAMES.map((name, i) => ({ name, type: 'SecureString', value: `pace-${i}` })),
    },
  });
  emulators.push(emulator);
  emulator.setFaults({ seed: 5 });
  return emulator;
}

function store(emulator: RunningEmulator, options: { timeoutMs?: number; maxAttempts?: number; concurrency?: number } = {}): SsmStore {
  return new SsmStore({
    region: REGION,
    endpoint: emulator.url,
    timeoutMs: options.timeoutMs ?? 60_000,
    maxAttempts: options.maxAttempts,
    concurrency: options.concurrency ?? 4,
  });
}

async function failure(p: Promise<unknown>): Promise<StoreUnavailableError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreUnavailableError);
  return err as StoreUnavailableError;
}

describe.concurrent('throttling', () => {
  it('20 calls against a 5 TPS bucket: every throttled call is retried and every name arrives, with the minimal calls plus one per throttled answer', async () => {
    const emulator = await pacingEmulator();
    emulator.setFaults({ tps: 5 });
    const s = store(emulator);
    try {
      const { found, missing } = await s.get(NAMES);
      expect(missing).toEqual([]);
      expect([...found.keys()].sort()).toEqual(NAMES);
      expect(found.get('/pace/app/k123')?.value).toBe('pace-123');
      const c = emulator.counters();
      expect(c.throttled).toBeGreaterThan(0);
      expect(c.operations.GetParameters).toBe(20 + c.throttled);
      expect(s.stats).toEqual({ calls: { GetParameters: 20 }, retries: c.throttled, throttled: c.throttled });
      // Once throttled, the process paces itself.
      expect(s.pacing.callsPerSecond).toBeDefined();
    } finally {
      s.close();
    }
  }, 60_000);

  it('three stores sharing one 10 TPS bucket (a small fleet in one process) all succeed', async () => {
    const emulator = await pacingEmulator();
    emulator.setFaults({ tps: 10 });
    const stores = [store(emulator), store(emulator), store(emulator)];
    try {
      const results = await Promise.all(stores.map((s) => s.get(NAMES.slice(0, 100))));
      for (const r of results) expect(r.found.size).toBe(100);
      const c = emulator.counters();
      expect(c.operations.GetParameters).toBe(30 + c.throttled);
      expect(stores.reduce((n, s) => n + s.stats.throttled, 0)).toBe(c.throttled);
    } finally {
      for (const s of stores) s.close();
    }
  }, 60_000);

  it('with --max-attempts given, throttling stops there: exit 5 naming ThrottlingException and the quota', async () => {
    const emulator = await pacingEmulator();
    emulator.setFaults({ tps: 0.01 }); // a bucket of 0.01 tokens: every call is throttled
    const s = store(emulator, { maxAttempts: 3, concurrency: 1 });
    try {
      const err = await failure(s.get(NAMES.slice(0, 10)));
      expect(err.exitCode).toBe(5);
      expect(err.message).toContain('ThrottlingException');
      expect(err.hint).toContain('over its SSM API quota');
      expect(emulator.counters().operations.GetParameters).toBe(3);
    } finally {
      s.close();
    }
  });

  it('without --max-attempts, throttling is retried past the 5 attempts a fault gets, until the store lets the call through', async () => {
    const emulator = await pacingEmulator();
    emulator.setFaults({ tps: 0.01 });
    const s = store(emulator, { concurrency: 1 });
    try {
      const pending = s.get(NAMES.slice(0, 10));
      // Open the bucket only after the sixth throttling answer.
      while (emulator.counters().throttled < 6) await new Promise((r) => setTimeout(r, 50));
      emulator.setFaults({ tps: 1000 });
      const { found } = await pending;
      expect(found.size).toBe(10);
      expect(s.stats.throttled).toBeGreaterThanOrEqual(6);
      expect(emulator.counters().operations.GetParameters).toBe(1 + s.stats.throttled);
    } finally {
      s.close();
    }
  });

  it('without --max-attempts, the deadline ends endless throttling, with the quota hint', async () => {
    const emulator = await pacingEmulator();
    emulator.setFaults({ tps: 0.01 });
    const s = store(emulator, { timeoutMs: 1_500, concurrency: 1 });
    try {
      const err = await failure(s.get(NAMES.slice(0, 10)));
      expect(err.exitCode).toBe(5);
      expect(err.message).toMatch(/^timed out after 1\.5 s during GetParameters for 10 parameters .*still throttled \(ThrottlingException/);
      expect(err.hint).toContain('over its SSM API quota');
      expect(err.hint).toContain('--timeout');
      expect(emulator.counters().throttled).toBeGreaterThanOrEqual(1);
    } finally {
      s.close();
    }
  });
});

describe.concurrent('server faults', () => {
  it('InternalServerError on every call: 5 attempts by default, then exit 5', async () => {
    const emulator = await pacingEmulator();
    emulator.setFaults({ error_rate: 1 });
    const s = store(emulator, { concurrency: 1 });
    try {
      const err = await failure(s.get(NAMES.slice(0, 10)));
      expect(err.message).toContain('InternalServerError');
      expect(s.stats).toEqual({ calls: { GetParameters: 1 }, retries: 4, throttled: 0 });
      expect(emulator.counters().faulted).toBeGreaterThanOrEqual(5);
    } finally {
      s.close();
    }
  });

  it('InternalServerError on 30% of calls: every name arrives, faulted calls retried', async () => {
    const emulator = await pacingEmulator();
    emulator.setFaults({ error_rate: 0.3 });
    // 5 attempts (the default) all fail for one call in 400, and which call draws which fault
    // depends on timing: 20 calls flaked 1 run in 20. With 20 attempts: 1 in 10^10 per call.
    const s = store(emulator, { maxAttempts: 20 });
    try {
      const { found } = await s.get(NAMES);
      expect(found.size).toBe(200);
      const c = emulator.counters();
      expect(c.faulted).toBeGreaterThan(0);
      expect(c.operations.GetParameters).toBe(20 + c.faulted);
      expect(s.stats.retries).toBe(c.faulted);
    } finally {
      s.close();
    }
  });

  it('a denial is not retried', async () => {
    // The store signs with the demo secret; this emulator knows the key by another one.
    const emulator = await pacingEmulator('another-secret');
    const s = new SsmStore({ region: REGION, endpoint: emulator.url, timeoutMs: 10_000, concurrency: 1 });
    try {
      const err = await s.get(NAMES.slice(0, 10)).then(
        () => undefined,
        (e: { exitCode?: number }) => e,
      );
      expect(err?.exitCode).toBe(4);
      expect(emulator.counters().requests).toBe(1);
    } finally {
      s.close();
    }
  });
});
