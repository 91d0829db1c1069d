/** Every operation and its error cases, through the real SDK over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
  type Parameter,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { startEmulator, type RunningEmulator } from '../src/index.js';
import { ACCOUNT, REGION, baseSeed, client, expectSsmError } from './helpers.js';

let emulator: RunningEmulator;
let ssm: SSMClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, seed: baseSeed() });
  ssm = client(emulator);
});
afterAll(async () => {
  ssm?.destroy();
  await emulator?.close();
});

const arn = (name: string): string => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${name.replace(/^\//, '')}`;
const names = (ps: Parameter[] | undefined): string[] => (ps ?? []).map((p) => p.Name ?? '?');

describe('GetParameter', () => {
  it('returns the latest version with every field AWS sends', async () => {
    const { Parameter: p } = await ssm.send(new GetParameterCommand({ Name: '/myapp/prod/cert' }));
    expect(p).toMatchObject({ Name: '/myapp/prod/cert', Type: 'String', Value: 'v3', Version: 3, ARN: arn('/myapp/prod/cert'), DataType: 'text' });
    expect(p?.LastModifiedDate).toBeInstanceOf(Date);
    expect(Math.abs(p!.LastModifiedDate!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(p).not.toHaveProperty('Selector');
  });

  it('decrypts a SecureString only when asked; otherwise returns opaque base64 ciphertext', async () => {
    const plain = await ssm.send(new GetParameterCommand({ Name: '/myapp/prod/db/password', WithDecryption: true }));
    expect(plain.Parameter?.Value).toBe('s3cr3t');
    const cipher = await ssm.send(new GetParameterCommand({ Name: '/myapp/prod/db/password' }));
    const value = cipher.Parameter?.Value ?? '';
    expect(value).not.toContain('s3cr3t');
    expect(value).toMatch(/^AQICAH[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(value, 'base64').toString('latin1')).not.toContain('s3cr3t');
  });

  it('selects versions and labels with name:N and name:label, and says which in Selector', async () => {
    const v1 = await ssm.send(new GetParameterCommand({ Name: '/myapp/prod/cert:1' }));
    expect(v1.Parameter).toMatchObject({ Name: '/myapp/prod/cert', Value: 'v1', Version: 1, Selector: ':1' });
    const stable = await ssm.send(new GetParameterCommand({ Name: '/myapp/prod/cert:stable' }));
    expect(stable.Parameter).toMatchObject({ Value: 'v2', Version: 2, Selector: ':stable' });
  });

  it('raises ParameterNotFound with an empty message, and ParameterVersionNotFound for a missing version', async () => {
    const err = await expectSsmError(ssm.send(new GetParameterCommand({ Name: '/nope' })), 'ParameterNotFound');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    await expectSsmError(
      ssm.send(new GetParameterCommand({ Name: '/myapp/prod/cert:9' })),
      'ParameterVersionNotFound',
      'Systems Manager could not find version 9 of /myapp/prod/cert. Verify the version and try again.',
    );
    await expectSsmError(ssm.send(new GetParameterCommand({ Name: '/myapp/prod/cert:nolabel' })), 'ParameterNotFound');
  });

  it('treats /Name and Name as the same single-level parameter', async () => {
    const a = await ssm.send(new GetParameterCommand({ Name: '/TopLevel' }));
    const b = await ssm.send(new GetParameterCommand({ Name: 'TopLevel' }));
    expect(a.Parameter).toMatchObject({ Name: '/TopLevel', Value: 'top', ARN: arn('TopLevel') });
    expect(b.Parameter).toMatchObject({ Name: 'TopLevel', Value: 'top', ARN: arn('TopLevel') });
  });
});

describe('GetParameters', () => {
  it('returns found parameters sorted by name and the rest in InvalidParameters verbatim', async () => {
    const out = await ssm.send(
      new GetParametersCommand({
        Names: ['/myapp/prod/env/NODE_ENV', '/nope', '/myapp/prod/cert:7', '/myapp/prod/cert:nolabel', '/myapp/prod/cert'],
        WithDecryption: true,
      }),
    );
    expect(names(out.Parameters)).toEqual(['/myapp/prod/cert', '/myapp/prod/env/NODE_ENV']);
    expect(out.InvalidParameters).toEqual(['/nope', '/myapp/prod/cert:7', '/myapp/prod/cert:nolabel']);
  });

  it('always sends both arrays, even when empty', async () => {
    const allMissing = await rawCallSigned(['/nope1', '/nope2']);
    expect(allMissing).toEqual({ Parameters: [], InvalidParameters: ['/nope1', '/nope2'] });
    const allFound = await rawCallSigned(['/myapp/prod/env/NODE_ENV']);
    expect(allFound.InvalidParameters).toEqual([]);
  });

  it('collapses duplicate names', async () => {
    const out = await ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert', '/myapp/prod/cert', '/nope', '/nope'] }));
    expect(names(out.Parameters)).toEqual(['/myapp/prod/cert']);
    expect(out.InvalidParameters).toEqual(['/nope']);
  });

  it("accepts 10 names and refuses 0 or 11 with AWS's validation message", async () => {
    const ten = Array.from({ length: 10 }, (_, i) => `/p${i}`);
    const out = await ssm.send(new GetParametersCommand({ Names: ten }));
    expect(out.InvalidParameters).toHaveLength(10);
    await expectSsmError(
      ssm.send(new GetParametersCommand({ Names: [...ten, '/p10'] })),
      'ValidationException',
      /^1 validation error detected: Value '\[\/p0, .*\/p10\]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10$/,
    );
    await expectSsmError(ssm.send(new GetParametersCommand({ Names: [] })), 'ValidationException', /Member must have length greater than or equal to 1/);
  });

  it('fails the whole call on one malformed name', async () => {
    for (const bad of ['a/b', '/a//b', '/a b', '/a/']) {
      await expectSsmError(ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/cert', bad] })), 'ValidationException');
    }
  });

  it('handles selectors: Selector only when used, last colon separates', async () => {
    const out = await ssm.send(
      new GetParametersCommand({
        Names: ['/myapp/prod/cert:1', '/myapp/prod/cert:stable', '/myapp/prod/cert', '/myapp/prod/db/password:prod'],
        WithDecryption: true,
      }),
    );
    const byKey = Object.fromEntries((out.Parameters ?? []).map((p) => [`${p.Name}${p.Selector ?? ''}`, p]));
    expect(byKey['/myapp/prod/cert:1']).toMatchObject({ Value: 'v1', Version: 1, Selector: ':1' });
    expect(byKey['/myapp/prod/cert:stable']).toMatchObject({ Value: 'v2', Version: 2, Selector: ':stable' });
    expect(byKey['/myapp/prod/cert']).toMatchObject({ Value: 'v3', Version: 3 });
    expect(byKey['/myapp/prod/cert']).not.toHaveProperty('Selector');
    expect(byKey['/myapp/prod/db/password:prod']).toMatchObject({ Value: 's3cr3t', Selector: ':prod' });
    await expectSsmError(ssm.send(new GetParametersCommand({ Names: ['/a:b:1'] })), 'ValidationException');
  });

  it('returns a StringList as one comma-joined string', async () => {
    const out = await ssm.send(new GetParametersCommand({ Names: ['/myapp/prod/env/FLAGS'] }));
    expect(out.Parameters?.[0]).toMatchObject({ Type: 'StringList', Value: 'a,b,c' });
  });
});

/** GetParameters through the SDK but returning the raw body shape. */
async function rawCallSigned(list: string[]): Promise<Record<string, unknown>> {
  const out = await ssm.send(new GetParametersCommand({ Names: list }));
  return { Parameters: out.Parameters, InvalidParameters: out.InvalidParameters };
}

describe('GetParametersByPath', () => {
  async function all(path: string, recursive: boolean, max?: number): Promise<{ names: string[]; pages: number }> {
    const found: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: recursive, NextToken: token, ...(max ? { MaxResults: max } : {}) }));
      pages += 1;
      found.push(...names(out.Parameters));
      token = out.NextToken;
    } while (token);
    return { names: found, pages };
  }

  it('lists one level, or everything below with Recursive, sorted by name', async () => {
    expect((await all('/myapp/prod', false)).names).toEqual(['/myapp/prod/cert']);
    expect((await all('/myapp/prod/env', false)).names).toEqual(['/myapp/prod/env/FLAGS', '/myapp/prod/env/NODE_ENV']);
    expect((await all('/myapp/prod', true)).names).toEqual([
      '/myapp/prod/cert',
      '/myapp/prod/db/password',
      '/myapp/prod/env/FLAGS',
      '/myapp/prod/env/NODE_ENV',
      '/myapp/prod/env/deep/x',
    ]);
  });

  it('treats /a and /a/ alike, and does not put /ab under /a', async () => {
    expect((await all('/myapp/prod/', true)).names).toEqual((await all('/myapp/prod', true)).names);
    expect((await all('/myapp/prod', true)).names).not.toContain('/myapp/prodx/other');
  });

  it('returns [] and no error for a path with nothing below', async () => {
    const out = await ssm.send(new GetParametersByPathCommand({ Path: '/nothing/here', Recursive: true }));
    expect(out.Parameters).toEqual([]);
    expect(out.NextToken).toBeUndefined();
  });

  it('pages with MaxResults 1..10 and NextToken, visiting each parameter once', async () => {
    const expected = (await all('/myapp', true)).names;
    expect(expected.length).toBe(6);
    for (let max = 1; max <= 10; max++) {
      const { names: got, pages } = await all('/myapp', true, max);
      expect(got, `MaxResults ${max}`).toEqual(expected);
      expect(pages).toBe(Math.max(1, Math.ceil(expected.length / max)));
    }
  });

  it('refuses MaxResults 11 and 0, a bad token, and a path not starting with /', async () => {
    await expectSsmError(
      ssm.send(new GetParametersByPathCommand({ Path: '/myapp', MaxResults: 11 })),
      'ValidationException',
      /Member must have value less than or equal to 10/,
    );
    await expectSsmError(ssm.send(new GetParametersByPathCommand({ Path: '/myapp', MaxResults: 0 })), 'ValidationException', /greater than or equal to 1/);
    await expectSsmError(ssm.send(new GetParametersByPathCommand({ Path: '/myapp', NextToken: 'garbage' })), 'InvalidNextToken');
    await expectSsmError(ssm.send(new GetParametersByPathCommand({ Path: 'myapp' })), 'ValidationException', /must begin with a forward slash/);
  });

  it('decrypts below a path only WithDecryption', async () => {
    const out = await ssm.send(new GetParametersByPathCommand({ Path: '/myapp/prod/db', WithDecryption: true }));
    expect(out.Parameters?.[0]?.Value).toBe('s3cr3t');
    const raw = await ssm.send(new GetParametersByPathCommand({ Path: '/myapp/prod/db' }));
    expect(raw.Parameters?.[0]?.Value).not.toBe('s3cr3t');
  });

  it('filters by Label, returning the labelled version', async () => {
    const out = await ssm.send(
      new GetParametersByPathCommand({ Path: '/myapp/prod', ParameterFilters: [{ Key: 'Label', Option: 'Equals', Values: ['stable'] }] }),
    );
    expect(out.Parameters?.map((p) => [p.Name, p.Version, p.Value])).toEqual([['/myapp/prod/cert', 2, 'v2']]);
    await expectSsmError(ssm.send(new GetParametersByPathCommand({ Path: '/myapp', ParameterFilters: [{ Key: 'Name', Values: ['x'] }] })), 'InvalidFilterKey');
  });

  it('filters by Type, with short pages that still carry a NextToken', async () => {
    const out = await ssm.send(
      new GetParametersByPathCommand({ Path: '/myapp', Recursive: true, MaxResults: 2, ParameterFilters: [{ Key: 'Type', Values: ['SecureString'] }] }),
    );
    expect(out.NextToken).toBeDefined();
    expect((out.Parameters ?? []).every((p) => p.Type === 'SecureString')).toBe(true);
  });
});

describe('PutParameter', () => {
  it('creates version 1, refuses to overwrite by default, and adds a version with Overwrite', async () => {
    expect(await ssm.send(new PutParameterCommand({ Name: '/put/a', Value: 'one', Type: 'String' }))).toMatchObject({ Version: 1, Tier: 'Standard' });
    await expectSsmError(
      ssm.send(new PutParameterCommand({ Name: '/put/a', Value: 'two', Type: 'String' })),
      'ParameterAlreadyExists',
      'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
    );
    expect(await ssm.send(new PutParameterCommand({ Name: '/put/a', Value: 'two', Overwrite: true }))).toMatchObject({ Version: 2 });
    const out = await ssm.send(new GetParametersCommand({ Names: ['/put/a', '/put/a:1'] }));
    expect((out.Parameters ?? []).map((p) => p.Value).sort()).toEqual(['one', 'two']);
  });

  it('rejects empty values, values over 4096 characters in Standard tier, and accepts 4096', async () => {
    await expectSsmError(
      ssm.send(new PutParameterCommand({ Name: '/put/empty', Value: '', Type: 'String' })),
      'ValidationException',
      /length greater than or equal to 1/,
    );
    await expectSsmError(
      ssm.send(new PutParameterCommand({ Name: '/put/big', Value: 'x'.repeat(4097), Type: 'String' })),
      'ValidationException',
      /maximum parameter value of 4096 characters/,
    );
    expect((await ssm.send(new PutParameterCommand({ Name: '/put/big', Value: 'x'.repeat(4096), Type: 'String' }))).Version).toBe(1);
    expect((await ssm.send(new PutParameterCommand({ Name: '/put/adv', Value: 'x'.repeat(5000), Type: 'String', Tier: 'Advanced' }))).Tier).toBe('Advanced');
    // Characters, not UTF-16 units: 4096 emoji fit.
    expect((await ssm.send(new PutParameterCommand({ Name: '/put/emoji', Value: '👋'.repeat(4096), Type: 'String' }))).Version).toBe(1);
    await expectSsmError(ssm.send(new PutParameterCommand({ Name: '/put/emoji2', Value: '👋'.repeat(4097), Type: 'String' })), 'ValidationException');
  });

  it('rejects the reserved aws and ssm prefixes', async () => {
    for (const name of ['aws-thing', 'ssm', '/ssm/x', 'AWSfoo', '/SSMfoo']) {
      await expectSsmError(ssm.send(new PutParameterCommand({ Name: name, Value: 'v', Type: 'String' })), 'ValidationException', /prefixed with/);
    }
    await expectSsmError(
      ssm.send(new PutParameterCommand({ Name: '/aws/x/y', Value: 'v', Type: 'String' })),
      'AccessDeniedException',
      'No access to reserved parameter name: /aws/x/y.',
    );
  });

  it('rejects malformed names, a missing type, an unknown KMS key, and Tags with Overwrite', async () => {
    await expectSsmError(
      ssm.send(new PutParameterCommand({ Name: 'a/b', Value: 'v', Type: 'String' })),
      'ValidationException',
      'Parameter name must be a fully qualified name.',
    );
    await expectSsmError(
      ssm.send(new PutParameterCommand({ Name: '/put/notype', Value: 'v' })),
      'ValidationException',
      'A parameter type is required when you create a parameter.',
    );
    await expectSsmError(
      ssm.send(new PutParameterCommand({ Name: '/put/k', Value: 'v', Type: 'SecureString', KeyId: 'alias/Nope' })),
      'InvalidKeyId',
      /^Alias arn:aws:kms:us-east-1:123456789012:alias\/Nope is not found\./,
    );
    await expectSsmError(
      ssm.send(new PutParameterCommand({ Name: '/put/k', Value: 'v', Type: 'SecureString', KeyId: '99999999-12ab-34cd-56ef-1234567890ab' })),
      'InvalidKeyId',
    );
    await expectSsmError(
      ssm.send(new PutParameterCommand({ Name: '/put/k', Value: 'v', Type: 'SecureString', KeyId: 'alias/has space' })),
      'ValidationException',
      /at 'keyId' failed to satisfy constraint/,
    );
    await expectSsmError(
      ssm.send(new PutParameterCommand({ Name: '/put/tags', Value: 'v', Type: 'String', Overwrite: true, Tags: [{ Key: 'a', Value: 'b' }] })),
      'ValidationException',
      /tags and overwrite can't be used together/,
    );
    const deep = '/' + Array.from({ length: 16 }, (_, i) => `l${i}`).join('/');
    await expectSsmError(ssm.send(new PutParameterCommand({ Name: deep, Value: 'v', Type: 'String' })), 'HierarchyLevelLimitExceededException');
  });

  it('stores a SecureString under any KeyId form and decrypts it', async () => {
    const forms = [
      'alias/MyApplicationKey',
      '1234abcd-12ab-34cd-56ef-1234567890ab',
      `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      `arn:aws:kms:${REGION}:${ACCOUNT}:alias/MyApplicationKey`,
    ];
    for (const [i, KeyId] of forms.entries()) {
      await ssm.send(new PutParameterCommand({ Name: `/put/sec${i}`, Value: `secret-${i}`, Type: 'SecureString', KeyId }));
      const out = await ssm.send(new GetParameterCommand({ Name: `/put/sec${i}`, WithDecryption: true }));
      expect(out.Parameter?.Value).toBe(`secret-${i}`);
    }
  });

  it('keeps 100 versions, dropping the oldest, unless a label pins it', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/put/many', Value: 'v1', Type: 'String' }));
    for (let i = 2; i <= 101; i++) await ssm.send(new PutParameterCommand({ Name: '/put/many', Value: `v${i}`, Overwrite: true }));
    const out = await ssm.send(new GetParametersCommand({ Names: ['/put/many:1', '/put/many:2', '/put/many'] }));
    expect(out.InvalidParameters).toEqual(['/put/many:1']);
    expect((out.Parameters ?? []).map((p) => p.Version).sort((a, b) => a! - b!)).toEqual([2, 101]);
    await ssm.send(new LabelParameterVersionCommand({ Name: '/put/many', ParameterVersion: 2, Labels: ['pinned'] }));
    await expectSsmError(ssm.send(new PutParameterCommand({ Name: '/put/many', Value: 'v102', Overwrite: true })), 'ParameterMaxVersionLimitExceeded');
  });
});

describe('LabelParameterVersion', () => {
  it('labels the latest or a given version, moves labels, and reports invalid ones', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/lab/a', Value: '1', Type: 'String' }));
    await ssm.send(new PutParameterCommand({ Name: '/lab/a', Value: '2', Type: 'String', Overwrite: true }));
    expect(await ssm.send(new LabelParameterVersionCommand({ Name: '/lab/a', Labels: ['live'] }))).toMatchObject({ ParameterVersion: 2, InvalidLabels: [] });
    expect((await ssm.send(new GetParameterCommand({ Name: '/lab/a:live' }))).Parameter?.Value).toBe('2');
    const moved = await ssm.send(new LabelParameterVersionCommand({ Name: '/lab/a', ParameterVersion: 1, Labels: ['live', '1bad', 'awsx', 'ok.label-1_'] }));
    expect(moved).toMatchObject({ ParameterVersion: 1, InvalidLabels: ['1bad', 'awsx'] });
    expect((await ssm.send(new GetParameterCommand({ Name: '/lab/a:live' }))).Parameter?.Value).toBe('1');
    await expectSsmError(ssm.send(new LabelParameterVersionCommand({ Name: '/lab/a', ParameterVersion: 5, Labels: ['x'] })), 'ParameterVersionNotFound');
    await expectSsmError(ssm.send(new LabelParameterVersionCommand({ Name: '/lab/none', Labels: ['x'] })), 'ParameterNotFound');
  });

  it('allows at most 10 labels per version', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/lab/b', Value: '1', Type: 'String' }));
    await ssm.send(new LabelParameterVersionCommand({ Name: '/lab/b', Labels: Array.from({ length: 10 }, (_, i) => `l${i}`) }));
    await expectSsmError(ssm.send(new LabelParameterVersionCommand({ Name: '/lab/b', Labels: ['one-more'] })), 'ParameterVersionLabelLimitExceeded');
  });
});

describe('DeleteParameter', () => {
  it('deletes, then says ParameterNotFound', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/del/a', Value: '1', Type: 'String' }));
    await ssm.send(new DeleteParameterCommand({ Name: '/del/a' }));
    await expectSsmError(ssm.send(new GetParameterCommand({ Name: '/del/a' })), 'ParameterNotFound');
    await expectSsmError(ssm.send(new DeleteParameterCommand({ Name: '/del/a' })), 'ParameterNotFound');
  });
});

describe('DescribeParameters', () => {
  it('lists metadata without values, filtered and paged', async () => {
    const out = await ssm.send(
      new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Path', Option: 'Recursive', Values: ['/myapp/prod'] }], MaxResults: 50 }),
    );
    expect(names(out.Parameters)).toEqual([
      '/myapp/prod/cert',
      '/myapp/prod/db/password',
      '/myapp/prod/env/FLAGS',
      '/myapp/prod/env/NODE_ENV',
      '/myapp/prod/env/deep/x',
    ]);
    const pw = out.Parameters?.find((p) => p.Name === '/myapp/prod/db/password');
    expect(pw).toMatchObject({ Type: 'SecureString', KeyId: 'alias/MyApplicationKey', Version: 1, Tier: 'Standard', DataType: 'text' });
    expect(JSON.stringify(out)).not.toContain('s3cr3t');
    const typed = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Type', Values: ['StringList'] }] }));
    expect(names(typed.Parameters)).toEqual(['/myapp/prod/env/FLAGS']);
    const byName = await ssm.send(new DescribeParametersCommand({ Filters: [{ Key: 'Name', Values: ['/myapp/prod/env'] }] }));
    expect(names(byName.Parameters)).toEqual(['/myapp/prod/env/FLAGS', '/myapp/prod/env/NODE_ENV', '/myapp/prod/env/deep/x']);
    await expectSsmError(
      ssm.send(new DescribeParametersCommand({ Filters: [{ Key: 'Name', Values: ['x'] }], ParameterFilters: [{ Key: 'Type', Values: ['String'] }] })),
      'ValidationException',
    );
    const first = await ssm.send(new DescribeParametersCommand({ MaxResults: 1 }));
    expect(first.Parameters).toHaveLength(1);
    expect(first.NextToken).toBeDefined();
  });
});
