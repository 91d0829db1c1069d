/**
 * Listing cost: a GetParametersByPath or DescribeParameters page looks at
 * about what it returns, whatever the store's size. Measured by the
 * `scanned` counter (parameters looked at), through the real SDK over HTTP.
 */
import {
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  paginateGetParametersByPath,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator, type SeedParameter } from '../src/index.js';
import { client } from './helpers.js';

let emulator: RunningEmulator | undefined;
let ssm: SSMClient | undefined;
afterEach(async () => {
  ssm?.destroy();
  await emulator?.close();
});

async function seeded(parameters: SeedParameter[]): Promise<SSMClient> {
  emulator = await startEmulator({ port: 0, seed: { parameters } });
  ssm = client(emulator);
  return ssm;
}

const named = (n: number, name: (i: number) => string): SeedParameter[] => Array.from({ length: n }, (_, i) => ({ name: name(i), value: `v${i}` }));

/** Lists `path` to the end, 10 a page; returns the names and the pages. */
async function listAll(c: SSMClient, path: string, recursive: boolean): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let pages = 0;
  for await (const page of paginateGetParametersByPath({ client: c, pageSize: 10 }, { Path: path, Recursive: recursive })) {
    pages += 1;
    names.push(...(page.Parameters ?? []).map((p) => p.Name as string));
  }
  return { names, pages };
}

describe('listing looks at what a page returns, not at the whole store', () => {
  it('2,000 parameters under one path: every page looks at 11 at most (its 10 and the next one)', async () => {
    const c = await seeded(named(2_000, (i) => `/big/p${String(i).padStart(5, '0')}`));
    const { names, pages } = await listAll(c, '/big', false);
    expect(names).toHaveLength(2_000);
    expect(names).toEqual([...names].sort());
    expect(pages).toBe(200);
    // Linear in the parameters listed, where a scan of the whole store per page would be quadratic.
    expect(emulator!.counters().scanned).toBeLessThanOrEqual(pages * 11);
  });

  it('the same page costs the same in a store ten times larger', async () => {
    const perPage: number[] = [];
    for (const size of [1_000, 10_000]) {
      const c = await seeded([...named(size, (i) => `/other/p${i}`), ...named(100, (i) => `/app/k${String(i).padStart(3, '0')}`)]);
      const { names, pages } = await listAll(c, '/app', true);
      expect(names).toHaveLength(100);
      perPage.push(emulator!.counters().scanned / pages);
      ssm?.destroy();
      await emulator?.close();
      emulator = undefined;
      ssm = undefined;
    }
    expect(perPage[1]).toBe(perPage[0]);
    expect(perPage[0]).toBeLessThanOrEqual(11);
  });

  it('not recursive, a deep subtree is jumped over, not walked', async () => {
    const c = await seeded([{ name: '/app/a', value: 'a' }, ...named(5_000, (i) => `/app/deep/x${i}`), { name: '/app/z', value: 'z' }]);
    const { names } = await listAll(c, '/app', false);
    expect(names).toEqual(['/app/a', '/app/z']);
    expect(emulator!.counters().scanned).toBeLessThanOrEqual(5);
  });

  it('DescribeParameters pages look at what they return too', async () => {
    const c = await seeded(named(5_000, (i) => `/d/p${String(i).padStart(4, '0')}`));
    let token: string | undefined;
    let pages = 0;
    const names: string[] = [];
    do {
      const page = await c.send(new DescribeParametersCommand({ MaxResults: 50, NextToken: token }));
      names.push(...(page.Parameters ?? []).map((p) => p.Name as string));
      token = page.NextToken;
      pages += 1;
    } while (token);
    expect(names).toHaveLength(5_000);
    expect(new Set(names).size).toBe(5_000);
    expect(emulator!.counters().scanned).toBeLessThanOrEqual(pages * 51);
  });

  it('a parameter put or deleted between pages is listed or not, in order', async () => {
    const c = await seeded(named(30, (i) => `/live/p${String(i).padStart(2, '0')}`));
    const first = await c.send(new GetParametersByPathCommand({ Path: '/live', MaxResults: 10 }));
    await c.send(new PutParameterCommand({ Name: '/live/p15a', Value: 'new', Type: 'String' }));
    await c.send(new DeleteParameterCommand({ Name: '/live/p20' }));
    await c.send(new PutParameterCommand({ Name: '/live/p05a', Value: 'behind the cursor', Type: 'String' }));
    const rest: string[] = [];
    let token = first.NextToken;
    while (token) {
      const page = await c.send(new GetParametersByPathCommand({ Path: '/live', MaxResults: 10, NextToken: token }));
      rest.push(...(page.Parameters ?? []).map((p) => p.Name as string));
      token = page.NextToken;
    }
    expect(rest).toContain('/live/p15a');
    expect(rest).not.toContain('/live/p20');
    expect(rest).not.toContain('/live/p05a');
    expect(rest).toEqual([...rest].sort());
    expect(rest).toHaveLength(20);
  });

  it('a forged NextToken cannot move a listing outside its path', async () => {
    const c = await seeded([
      { name: '/a/x', value: 'outside' },
      { name: '/app/k', value: 'inside' },
      { name: '/apz/y', value: 'outside' },
      { name: '/b/z', value: 'outside' },
    ]);
    const token = (after: string) => Buffer.from(JSON.stringify({ after, scope: 'path:app:true' })).toString('base64url');
    const before = await c.send(new GetParametersByPathCommand({ Path: '/app', Recursive: true, NextToken: token('a') }));
    expect((before.Parameters ?? []).map((p) => p.Name)).toEqual(['/app/k']);
    const past = await c.send(new GetParametersByPathCommand({ Path: '/app', Recursive: true, NextToken: token('app/k') }));
    expect(past.Parameters).toEqual([]);
    expect(past.NextToken).toBeUndefined();
  });
});
