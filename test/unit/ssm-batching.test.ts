/** SsmStore's batching and paging, counted by the in-process emulator (the real SDK over HTTP). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { batchNames } from '../../src/aws/batches.js';
import { NAMES_PER_CALL, SsmStore } from '../../src/aws/ssm.js';
import { cliEnv } from '../helpers/cli.js';
import { withAwsEnv } from '../helpers/main.js';

const batchByBaseName = (names: string[]) => batchNames(names, NAMES_PER_CALL);

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    seed: { parameters: Array.from({ length: 23 }, (_, i) => ({ name: `/batch/p${String(i).padStart(2, '0')}`, type: 'String' as const, value: `v${i}` })) },
  });
});
afterAll(async () => {
  await emulator.close();
});

/**
 * A store against the emulator, used inside `fn` only: the SDK takes its
 * credentials from process.env, which withAwsEnv sets for that long and restores.
 */
function withStore<T>(fn: (store: SsmStore) => Promise<T>): Promise<T> {
  return withAwsEnv(cliEnv(emulator.url), async () => {
    const store = new SsmStore({ endpoint: emulator.url, region: 'us-east-1', timeoutMs: 10_000, maxAttempts: 2, concurrency: 4 });
    try {
      return await fn(store);
    } finally {
      store.close();
    }
  });
}

describe('SsmStore batching', () => {
  it('asks for distinct names 10 per GetParameters call and sorts found from missing', async () => {
    const names = [...Array.from({ length: 23 }, (_, i) => `/batch/p${String(i).padStart(2, '0')}`), '/batch/p00', '/batch/none'];
    emulator.resetCounters();
    await withStore(async (store) => {
      const got = await store.get(names);
      expect(got.found.size).toBe(23);
      expect(got.found.get('/batch/p07')).toMatchObject({ value: 'v7', type: 'String' });
      expect(got.missing).toEqual(['/batch/none']);
      // 24 distinct names: ceil(24 / 10) calls.
      expect(emulator.counters().operations).toEqual({ GetParameters: 3 });
      expect(store.stats.calls).toEqual({ GetParameters: 3 });
    });
  });

  it('lists a path page by page (10 per page) to the end', async () => {
    emulator.resetCounters();
    await withStore(async (store) => {
      const all = await store.list('/batch', false);
      expect(all.map((p) => p.name)).toHaveLength(23);
      expect(emulator.counters().operations).toEqual({ GetParametersByPath: 3 });
    });
  });
});

describe('batchByBaseName', () => {
  it('fills calls of 10 when no base name repeats: ceil(n / 10) calls', () => {
    const names = Array.from({ length: 23 }, (_, i) => `/app/p${i}`);
    expect(batchByBaseName(names).map((b) => b.length)).toEqual([10, 10, 3]);
  });

  it('never puts two requests for one base name (or a secret and its bare name) in one call', () => {
    const names = ['/a:1', '/a:2', '/a', '/a:old', '/b', '/c:3', '/aws/reference/secretsmanager/s', 's', ...Array.from({ length: 9 }, (_, i) => `/x${i}`)];
    const batches = batchByBaseName(names);
    expect(batches.flat().sort()).toEqual([...new Set(names)].sort());
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(10);
      const bases = batch.map((n) => n.replace(/:[^:/]*$/, '').replace('/aws/reference/secretsmanager/', ''));
      expect(new Set(bases).size, JSON.stringify(batch)).toBe(batch.length);
    }
    expect(batches.length).toBe(4);
  });
});
