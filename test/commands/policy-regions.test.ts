/**
 * `policy --region R` on a manifest with `regions:`: the printed policy grants
 * every region a run may read from, checked in a closed loop: the policy,
 * loaded as the access rules of one emulator per region, lets the run read
 * from the fallback region while the first one is down.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import type { AccessRule } from '@ssm-materialize/emulator';
import { readDotenv } from '../helpers/consumers.js';
import { runAgainst, useCanaryRuns } from '../helpers/inproc.js';
import { startRegionProxy, type RegionProxy } from '../helpers/region-proxy.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'CANARY';
const POLICY_KEY = { access_key_id: 'AKIAPOLICY', secret_access_key: 'policy-secret' };
const keep = useCanaryRuns(CANARY);
const tempDir = useTempDir();
const closing: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of closing.splice(0)) await c.close();
});

interface Statement {
  Action: string | string[];
  Resource: string | string[];
}
const list = (x: string | string[]) => (Array.isArray(x) ? x : [x]);

async function regionsUnder(statements: Statement[], regions: string[]): Promise<RegionProxy> {
  const rules: AccessRule[] = statements.map((s) => ({ actions: list(s.Action), parameters: list(s.Resource) }));
  const emulators: RunningEmulator[] = await Promise.all(
    regions.map((region) =>
      startEmulator({
        port: 0,
        seed: {
          region,
          credentials: [{ ...POLICY_KEY, allow: rules }],
          parameters: [
            { name: '/app/a', type: 'SecureString', value: `${CANARY}-a-${region}` },
            { name: '/app/env/b', type: 'String', value: `${CANARY}-b-${region}` },
          ],
        },
      }),
    ),
  );
  closing.push(...emulators);
  const proxy = await startRegionProxy(Object.fromEntries(regions.map((r, i) => [r, emulators[i]!.url])));
  closing.unshift(proxy);
  return proxy;
}

describe('policy --region R on a manifest with regions:', () => {
  it('grants every region of the manifest, so the fallback region is readable while the first is down', async () => {
    const dir = tempDir();
    const m = join(dir, 'm.yaml');
    writeFileSync(
      m,
      'version: 1\nregions: [us-east-1, us-west-2]\noutputs:\n  - { path: app.env, format: dotenv, values: { A: /app/a }, paths: [/app/env] }\n',
    );
    const printed = keep(await runAgainst(['policy', '-m', m, '--account', '123456789012', '--region', 'us-east-1'], ''));
    expect(printed.code).toBe(0);
    const policy = JSON.parse(printed.stdout) as { Statement: Array<Statement & { Sid: string }> };
    const named = policy.Statement.find((s) => s.Sid === 'ReadNamedParameters')!;
    expect(list(named.Resource)).toEqual(['arn:aws:ssm:us-east-1:123456789012:parameter/app/a', 'arn:aws:ssm:us-west-2:123456789012:parameter/app/a']);

    const proxy = await regionsUnder(policy.Statement, ['us-east-1', 'us-west-2']);
    proxy.down.add('us-east-1');
    const env = { AWS_ACCESS_KEY_ID: POLICY_KEY.access_key_id, AWS_SECRET_ACCESS_KEY: POLICY_KEY.secret_access_key };
    const r = keep(await runAgainst(['write', '-m', m, '--max-attempts', '1'], proxy.url, env));
    expect(r.code).toBe(0);
    expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8'))).toEqual({ A: `${CANARY}-a-us-west-2`, B: `${CANARY}-b-us-west-2` });
  });

  it('a region given with --region that the manifest does not list is granted beside every listed one', async () => {
    const dir = tempDir();
    const m = join(dir, 'm.yaml');
    writeFileSync(m, 'version: 1\nregions: [us-east-1, us-west-2]\noutputs:\n  - { path: app.env, format: dotenv, values: { A: /app/a } }\n');
    const printed = keep(await runAgainst(['policy', '-m', m, '--account', '123456789012', '--region', 'eu-west-1'], ''));
    expect(printed.code).toBe(0);
    const policy = JSON.parse(printed.stdout) as { Statement: Array<Statement & { Sid: string }> };
    expect(list(policy.Statement.find((s) => s.Sid === 'ReadNamedParameters')!.Resource).map((arn) => arn.split(':')[3])).toEqual([
      'eu-west-1',
      'us-east-1',
      'us-west-2',
    ]);
  });
});
