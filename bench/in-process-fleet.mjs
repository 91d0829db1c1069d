// The fleet's pacing without process start-up: N store clients in one Node
// process (each with its own SDK client, pacing state and sockets, exactly as
// N hosts would have), started together against one 40 TPS store. On a
// machine too busy to start 50 Node processes quickly, this isolates what
// src/aws/pacing.ts decides. The SDK's own adaptive retry mode runs the same
// scenario as a baseline.
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { importTypeScript } from './fleet.mjs';

/** The real SsmStore (src/aws/ssm.ts), bundled once for this plain-JS benchmark. */
export async function loadSsmStore() {
  return (await importTypeScript('src/aws/ssm.ts')).SsmStore;
}

const CREDENTIALS = { accessKeyId: 'AKIAEMULATORDEMO', secretAccessKey: 'emulator-demo-secret' };

/** N SsmStores, each fetching every name; resolves with wall ms, failures and throttled answers. */
export async function inProcessFleet(SsmStore, { hosts, names, endpoint }) {
  process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
  const stores = Array.from({ length: hosts }, () => new SsmStore({ region: 'us-east-1', endpoint, timeoutMs: 120_000, concurrency: 4 }));
  const started = performance.now();
  const outcomes = await Promise.allSettled(stores.map((s) => s.get(names)));
  const ms = performance.now() - started;
  for (const s of stores) s.close();
  if (process.env.BENCH_DEBUG) console.error(stores.map((s) => `${s.pacing.callsPerSecond?.toFixed(2)}/${s.stats.throttled}`).join(' '));
  const failed = outcomes.filter((o) => o.status === 'rejected' || o.value.found.size !== names.length).length;
  return { ms, failed, throttled: stores.reduce((n, s) => n + s.stats.throttled, 0) };
}

/** The baseline: plain SDK clients in adaptive retry mode, 4 calls in flight each, as the baseline did. */
export async function sdkAdaptiveFleet({ hosts, names, endpoint, maxAttempts = 10 }) {
  const batches = [];
  for (let i = 0; i < names.length; i += 10) batches.push(names.slice(i, i + 10));
  const started = performance.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: hosts }, async () => {
      const client = new SSMClient({ region: 'us-east-1', endpoint, credentials: CREDENTIALS, retryMode: 'adaptive', maxAttempts });
      try {
        const queue = [...batches];
        let found = 0;
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            for (let b = queue.shift(); b; b = queue.shift()) {
              const out = await client.send(new GetParametersCommand({ Names: b, WithDecryption: true }));
              found += out.Parameters?.length ?? 0;
            }
          }),
        );
        if (found !== names.length) throw new Error('incomplete');
      } finally {
        client.destroy();
      }
    }),
  );
  const rejected = outcomes.filter((o) => o.status === 'rejected');
  return {
    ms: performance.now() - started,
    failed: rejected.length,
    firstFailure: rejected[0] ? `${rejected[0].reason?.name}: ${rejected[0].reason?.message}` : undefined,
  };
}
