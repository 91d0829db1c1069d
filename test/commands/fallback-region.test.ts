/**
 * Fallback region (`regions:` / `--fallback-region`) end to end: one emulator
 * per region behind a proxy that can take a region down. When the first
 * region is unavailable every parameter comes from the next one (never a
 * mix), loudly; a denial or a missing parameter never falls back; `policy`
 * covers every region.
 */
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { readDotenv } from '../helpers/consumers.js';
import { runAgainst, useCanaryRuns } from '../helpers/inproc.js';
import { runMain } from '../helpers/main.js';
import { startRegionProxy, type RegionProxy } from '../helpers/region-proxy.js';
import { useTempDir } from '../helpers/tmp.js';
import { DEMO_CREDENTIAL } from '@ssm-materialize/emulator';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';

const CANARY = 'CANARY';
const LIMITED = { access_key_id: 'AKIALIMITED', secret_access_key: 'limited-secret' };
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
          credentials: [DEMO_CREDENTIAL, { ...LIMITED, allow: { actions: ['ssm:GetParameters'], parameters: ['arn:aws:ssm:*:123456789012:parameter/other'] } }],
          // Replicated by the user: same names, each region's own values (and versions).
          parameters: [
            { name: '/app/a', type: 'SecureString', value: `${CANARY}-a-${region}` },
            { name: '/app/env/b', type: 'String', value: `${CANARY}-b-${region}` },
            ...(region === 'us-west-2' ? [] : [{ name: '/app/only-east', type: 'String' as const, value: `${CANARY}-east` }]),
          ],
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

/** Store commands without retries: a region that is down fails at once. */
const run = async (args: string[], env: Record<string, string> = {}) =>
  keep(await runAgainst(args[0] === 'write' ? [...args, '--max-attempts', '1'] : args, proxy.url, env));

/** A new version of one parameter in one region only (straight to its emulator, as a regional write would be). */
async function putIn(region: string, name: string, value: string): Promise<void> {
  const endpoint = emulators[REGIONS.indexOf(region)]!.url;
  const client = new SSMClient({
    endpoint,
    region,
    credentials: { accessKeyId: DEMO_CREDENTIAL.access_key_id, secretAccessKey: DEMO_CREDENTIAL.secret_access_key },
  });
  try {
    await client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));
  } finally {
    client.destroy();
  }
}

function manifest(dir: string, regions = 'regions: [us-east-1, us-west-2]', values = 'A: /app/a'): string {
  const file = join(dir, 'm.yaml');
  writeFileSync(file, `version: 1\n${regions}\noutputs:\n  - path: app.env\n    format: dotenv\n    values: { ${values} }\n    paths: [/app/env]\n`);
  return file;
}

describe('fallback region', () => {
  it('reads from the first region while it is up, and every parameter from the next when it is down, loudly', async () => {
    const dir = tempDir();
    const m = manifest(dir);
    expect((await run(['write', '-m', m])).code).toBe(0);
    expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8'))).toEqual({ A: `${CANARY}-a-us-east-1`, B: `${CANARY}-b-us-east-1` });

    proxy.down.add('us-east-1');
    try {
      proxy.seen.clear();
      const r = await run(['write', '-m', m, '--log-format', 'json']);
      expect(r.code).toBe(0);
      const events = r.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(events.filter((e) => e.event === 'region_fallback')).toMatchObject([{ level: 'warn', from: 'us-east-1', to: 'us-west-2' }]);
      expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8'))).toEqual({ A: `${CANARY}-a-us-west-2`, B: `${CANARY}-b-us-west-2` });
      expect(proxy.seen.get('us-west-2')).toBe(2); // GetParameters + GetParametersByPath, all from the fallback

      const text = await run(['write', '-m', m]);
      expect(text.stderr).toMatch(/warning: Parameter Store in us-east-1 is unavailable; reading every parameter from us-west-2 instead/);
    } finally {
      proxy.down.delete('us-east-1');
    }
  });

  it('--fallback-region works without regions: in the manifest; every region down is exit 5', async () => {
    const dir = tempDir();
    const m = manifest(dir, 'region: us-east-1');
    proxy.down.add('us-east-1');
    try {
      expect((await run(['write', '-m', m])).code).toBe(5);
      expect((await run(['write', '-m', m, '--fallback-region', 'us-west-2'])).code).toBe(0);
      proxy.down.add('us-west-2');
      const both = await run(['write', '-m', m, '--fallback-region', 'us-west-2']);
      expect(both.code).toBe(5);
    } finally {
      proxy.down.clear();
    }
  });

  it('a parameter missing in the first region, or denied there, never falls back (exit 3 / 4)', async () => {
    const dir = tempDir();
    const missing = await run(['write', '-m', manifest(dir, undefined, 'A: /app/not-anywhere')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).not.toMatch(/us-west-2/);
    proxy.seen.clear();
    const denied = await run(['write', '-m', manifest(dir)], { AWS_ACCESS_KEY_ID: LIMITED.access_key_id, AWS_SECRET_ACCESS_KEY: LIMITED.secret_access_key });
    expect(denied.code).toBe(4);
    expect(proxy.seen.get('us-west-2')).toBeUndefined();
  });

  it('validate refuses region with regions, and a repeated region; policy grants every region', async () => {
    const dir = tempDir();
    const bad = await run(['validate', '-m', manifest(dir, 'region: us-east-1\nregions: [us-east-1, us-east-1]')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/:3: regions: give `region` or `regions`, not both/);
    expect(bad.stderr).toMatch(/:3: regions: a region is listed twice/);

    const p = await run(['policy', '-m', manifest(dir), '--account', '123456789012', '--kms-key', 'alias/MyKey']);
    expect(p.code).toBe(0);
    const policy = JSON.parse(p.stdout) as {
      Statement: Array<{ Sid: string; Resource: string | string[]; Condition?: Record<string, Record<string, unknown>> }>;
    };
    const sid = (s: string) => policy.Statement.find((x) => x.Sid === s)!;
    expect(sid('ReadNamedParameters').Resource).toEqual([
      'arn:aws:ssm:us-east-1:123456789012:parameter/app/a',
      'arn:aws:ssm:us-west-2:123456789012:parameter/app/a',
    ]);
    expect(sid('ReadParametersByPath').Resource).toContain('arn:aws:ssm:us-west-2:123456789012:parameter/app/env/*');
    expect(sid('DecryptParameters').Condition?.StringEquals).toEqual({ 'kms:ViaService': ['ssm.us-east-1.amazonaws.com', 'ssm.us-west-2.amazonaws.com'] });
  });

  it('plan --locked after a fallback asks the region the run read from for the latest versions, never the one that is down', async () => {
    const dir = tempDir();
    const m = manifest(dir);
    const lockPath = join(dir, 'lock.json');
    proxy.down.add('us-east-1');
    try {
      expect((await run(['write', '-m', m, '--lock', lockPath])).code).toBe(0);
      await putIn('us-west-2', '/app/env/b', `${CANARY}-b-us-west-2-again`);
      proxy.seen.clear();
      const plan = await run(['plan', '-m', m, '--locked', lockPath, '--max-attempts', '1']);
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain('locked /app/env/b: version 1, latest: version 2');
      expect(plan.stdout).toContain('1 parameter moved on since the lock');
      expect(proxy.seen.get('us-west-2')).toBeGreaterThan(0);
    } finally {
      proxy.down.delete('us-east-1');
    }
  });

  it('when the profile chooses the region, the run says which one it read from (the fetched event)', async () => {
    const dir = tempDir();
    const m = manifest(dir, '');
    const config = join(dir, 'aws-config');
    writeFileSync(config, '[default]\nregion = us-west-2\n');
    proxy.seen.clear();
    // The region comes from the config file alone.
    const env = isolatedAwsEnv({ HOME: dir, AWS_CONFIG_FILE: config, AWS_REGION: undefined });
    const r = keep(await runMain(['write', '-m', m, '--endpoint-url', proxy.url, '--log-format', 'json', '--verbose'], { env }));
    expect(r.code).toBe(0);
    const events = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.filter((e) => e.event === 'fetched')).toMatchObject([{ region: 'us-west-2' }]);
    expect(proxy.seen.get('us-west-2')).toBe(2);
    expect(proxy.seen.get('us-east-1')).toBeUndefined();
  });
});
