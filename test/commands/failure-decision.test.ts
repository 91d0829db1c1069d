/**
 * The failure decision end to end (src/trust/failures.ts), with the real SDK
 * against one emulator per region behind a proxy that can take down one
 * operation of one region: a parameter missing or denied in the primary
 * region stops the run (exit 3 / 4) even while another call of the same run
 * meets an outage; it is never read from the fallback region nor answered by
 * the last good file. And the degraded states that do apply (fallback,
 * last good) are printed under --quiet, in text and JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { DEMO_CREDENTIAL } from '@ssm-materialize/emulator';
import { readDotenv } from '../helpers/consumers.js';
import { runAgainst, useCanaryRuns } from '../helpers/inproc.js';
import { startRegionProxy, type RegionProxy } from '../helpers/region-proxy.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'CANARY';
const LIMITED = { access_key_id: 'AKIALIMITED', secret_access_key: 'limited-secret' };
const LIMITED_ENV = { AWS_ACCESS_KEY_ID: LIMITED.access_key_id, AWS_SECRET_ACCESS_KEY: LIMITED.secret_access_key };
const REGIONS = ['us-east-1', 'us-west-2'];
let emulators: RunningEmulator[] = [];
let proxy: RegionProxy;

const keep = useCanaryRuns(CANARY);
const tempDir = useTempDir();

beforeAll(async () => {
  emulators = await Promise.all(
    REGIONS.map((region) =>
      startEmulator({
        port: 0,
        seed: {
          region,
          credentials: [
            DEMO_CREDENTIAL,
            // In the primary, this key may list /app/env but not read /app/a (a KMS key policy is per region).
            region === 'us-east-1'
              ? { ...LIMITED, allow: { actions: ['ssm:GetParametersByPath'], parameters: ['arn:aws:ssm:*:123456789012:parameter/app/env*'] } }
              : LIMITED,
          ],
          parameters: [
            { name: '/app/a', type: 'SecureString', value: `${CANARY}-a-${region}` },
            { name: '/app/k', type: 'SecureString', value: `${CANARY}-k-${region}` },
            { name: '/app/env/b', type: 'String', value: `${CANARY}-b-${region}` },
            // Deleted in the primary (a revoked key), still replicated in the fallback.
            ...(region === 'us-west-2' ? [{ name: '/app/gone', type: 'SecureString' as const, value: `${CANARY}-gone` }] : []),
          ],
          // The primary answers slower than the proxy's outage: the outage is known first, as when a region is overloaded.
          ...(region === 'us-east-1' ? { faults: { latency_ms: 150 } } : {}),
        },
      }),
    ),
  );
  proxy = await startRegionProxy(Object.fromEntries(REGIONS.map((r, i) => [r, emulators[i]!.url])));
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all(emulators.map((e) => e.close()));
});
afterEach(() => {
  proxy.down.clear();
  proxy.downOperations.clear();
});

const run = async (args: string[], env: Record<string, string> = {}) =>
  keep(await runAgainst(args[0] === 'write' ? [...args, '--max-attempts', '1'] : args, proxy.url, env));

function manifest(dir: string, regions: string, values: string): string {
  const file = join(dir, 'm.yaml');
  writeFileSync(file, `version: 1\n${regions}\noutputs:\n  - path: app.env\n    format: dotenv\n    values: { ${values} }\n    paths: [/app/env]\n`);
  return file;
}
const TWO_REGIONS = 'regions: [us-east-1, us-west-2]';

describe('a missing or denied parameter stops the run whatever else failed', () => {
  it('missing in the primary while the path call is unavailable: exit 3, the fallback region is never read', async () => {
    const dir = tempDir();
    const m = manifest(dir, TWO_REGIONS, 'A: /app/gone');
    proxy.downOperations.add('us-east-1:GetParametersByPath');
    proxy.seen.clear();
    const r = await run(['write', '-m', m]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/required parameter not found:\n {2}\/app\/gone/);
    // The outage is named too, as another failure of the same run.
    expect(r.stderr).toMatch(/other failures of the same run:\n {2}unavailable \(us-east-1\): .*GetParametersByPath/);
    expect(proxy.seen.get('us-west-2')).toBeUndefined();
    expect(() => readFileSync(join(dir, 'app.env'))).toThrow();
  });

  it('denied in the primary while the path call is unavailable: exit 4, the fallback region is never read', async () => {
    const dir = tempDir();
    const m = manifest(dir, TWO_REGIONS, 'A: /app/a');
    proxy.downOperations.add('us-east-1:GetParametersByPath');
    proxy.seen.clear();
    const r = await run(['write', '-m', m], LIMITED_ENV);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/AccessDeniedException during GetParameters for \/app\/a/);
    expect(proxy.seen.get('us-west-2')).toBeUndefined();
  });

  it('with --keep-last-good: a parameter deleted while the path call is unavailable is exit 3, and the last good file is not kept', async () => {
    const dir = tempDir();
    const m = manifest(dir, 'region: us-east-1', 'K: /app/k');
    expect((await run(['write', '-m', m, '--keep-last-good', '1h'])).code).toBe(0);
    const before = readFileSync(join(dir, 'app.env'), 'utf8');
    const ssm = new SSMClient({
      region: 'us-east-1',
      endpoint: emulators[0]!.url,
      credentials: { accessKeyId: DEMO_CREDENTIAL.access_key_id, secretAccessKey: DEMO_CREDENTIAL.secret_access_key },
    });
    try {
      await ssm.send(new DeleteParameterCommand({ Name: '/app/k' }));
    } finally {
      ssm.destroy();
    }
    proxy.downOperations.add('us-east-1:GetParametersByPath');
    const r = await run(['write', '-m', m, '--keep-last-good', '1h']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/\/app\/k/);
    expect(r.stderr).not.toMatch(/kept/);
    expect(readFileSync(join(dir, 'app.env'), 'utf8')).toBe(before);
  });

  it('with --keep-last-good: a denied parameter while the path call is unavailable is exit 4, and the last good file is not kept', async () => {
    const dir = tempDir();
    const m = manifest(dir, 'region: us-east-1', 'A: /app/a');
    expect((await run(['write', '-m', m, '--keep-last-good', '1h'])).code).toBe(0);
    proxy.downOperations.add('us-east-1:GetParametersByPath');
    const r = await run(['write', '-m', m, '--keep-last-good', '1h'], LIMITED_ENV);
    expect(r.code).toBe(4);
    expect(r.stderr).not.toMatch(/kept/);
  });

  it('an outage on every failing call still falls back, and still keeps the last good files', async () => {
    const dir = tempDir();
    proxy.downOperations.add('us-east-1:GetParametersByPath');
    const fallback = await run(['write', '-m', manifest(dir, TWO_REGIONS, 'A: /app/a')]);
    expect(fallback.code).toBe(0);
    expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8'))).toEqual({ A: `${CANARY}-a-us-west-2`, B: `${CANARY}-b-us-west-2` });

    const single = manifest(dir, 'region: us-east-1', 'A: /app/a');
    proxy.downOperations.clear();
    expect((await run(['write', '-m', single, '--keep-last-good', '1h'])).code).toBe(0);
    proxy.downOperations.add('us-east-1:GetParametersByPath');
    const kept = await run(['write', '-m', single, '--keep-last-good', '1h']);
    expect(kept.code).toBe(0);
    expect(kept.stderr).toMatch(/kept .*app\.env as last fetched/);
  });
});

describe('degraded states are never silent', () => {
  it('--quiet still prints "reading every parameter from the fallback region", in text and json', async () => {
    const dir = tempDir();
    const m = manifest(dir, TWO_REGIONS, 'A: /app/a');
    proxy.down.add('us-east-1');
    const text = await run(['write', '-m', m, '--quiet']);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^warning: Parameter Store in us-east-1 is unavailable; reading every parameter from us-west-2 instead$/m);
    const json = await run(['write', '-m', m, '--quiet', '--log-format', 'json']);
    expect(json.code).toBe(0);
    const events = json.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toMatchObject([{ level: 'warn', event: 'region_fallback', degraded: true, from: 'us-east-1', to: 'us-west-2' }]);
  });

  it('--quiet still prints "kept the last good file", in text and json', async () => {
    const dir = tempDir();
    const m = manifest(dir, 'region: us-east-1', 'A: /app/a');
    expect((await run(['write', '-m', m, '--keep-last-good', '1h', '--quiet'])).code).toBe(0);
    proxy.down.add('us-east-1');
    const text = await run(['write', '-m', m, '--keep-last-good', '1h', '--quiet']);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^warning: Parameter Store unavailable; kept .*app\.env as last fetched/m);
    const json = await run(['write', '-m', m, '--keep-last-good', '1h', '--quiet', '--log-format', 'json']);
    expect(json.code).toBe(0);
    const events = json.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toMatchObject([{ level: 'warn', event: 'stale', degraded: true }]);
  });
});
