/** SsmStore's batching and paging, counted by the in-process emulator (the real SDK over HTTP). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { SsmStore } from '../../src/ssm.js';
import { cliEnv } from '../helpers/cli.js';

let emulator: RunningEmulator;
const saved = { ...process.env };

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    seed: { parameters: Array.from({ length: 23 }, (_, i) => ({ name: `/batch/p${String(i).padStart(2, '0')}`, type: 'String' as const, value: `v${i}` })) },
  });
  // The SDK takes credentials and region from this worker's environment.
  Object.assign(process.env, cliEnv(emulator.url));
});
afterAll(async () => {
  process.env = saved;
  await emulator.close();
});

const open = () => new SsmStore({ endpoint: emulator.url, region: 'us-east-1', timeoutMs: 10_000, maxAttempts: 2, concurrency: 4 });

describe('SsmStore batching', () => {
  it('asks for distinct names 10 per GetParameters call and sorts found from missing', async () => {
    const names = [...Array.from({ length: 23 }, (_, i) => `/batch/p${String(i).padStart(2, '0')}`), '/batch/p00', '/batch/none'];
    const store = open();
    emulator.resetCounters();
    try {
      const got = await store.get(names);
      expect(got.found.size).toBe(23);
      expect(got.found.get('/batch/p07')).toMatchObject({ value: 'v7', type: 'String' });
      expect(got.missing).toEqual(['/batch/none']);
      // 24 distinct names: ceil(24 / 10) calls.
      expect(emulator.counters().operations).toEqual({ GetParameters: 3 });
      expect(store.stats.calls).toEqual({ GetParameters: 3 });
    } finally {
      store.close();
    }
  });

  it('lists a path page by page (10 per page) to the end', async () => {
    const store = open();
    emulator.resetCounters();
    try {
      const all = await store.list('/batch', false);
      expect(all.map((p) => p.name)).toHaveLength(23);
      expect(emulator.counters().operations).toEqual({ GetParametersByPath: 3 });
    } finally {
      store.close();
    }
  });
});
