/**
 * One list of request scenarios, run against the emulator and against moto.
 * Each scenario reduces its responses to the fields that matter (its "view");
 * the two views must be equal. Where moto is known to differ from real AWS,
 * the scenario says so in `motoDiffers`: the emulator must give the `aws`
 * view and moto the `moto` view, both asserted, so a change on either side
 * is noticed.
 *
 * Names are written with `{p}` (a per-scenario path prefix such as
 * `/conf12`) or `{P}` (the same without its slash); responses are mapped
 * back the same way before comparison.
 */
import { expect } from 'vitest';
import type { Outcome } from './harness.js';

export type Call = (op: string, body: Record<string, unknown>) => Promise<Outcome>;

export interface MotoDifference {
  /** What moto does differently from real AWS (see test/conformance/README.md). */
  reason: string;
  aws: unknown;
  moto: unknown;
}

export interface Scenario {
  name: string;
  /** Calls that set the scene; each must succeed on both servers. */
  given?: [op: string, body: Record<string, unknown>][];
  /** The calls compared, reduced to a view. */
  run: (call: Call) => Promise<unknown>;
  motoDiffers?: MotoDifference;
}

// --- views -----------------------------------------------------------------

const messageOf = (o: Outcome): unknown => o.body.message ?? o.body.Message;
/** An error by status and type. */
const err = (o: Outcome) => ({ status: o.status, type: o.body.__type });
/** An error with its message too (only where both sides are expected to agree on it). */
const errMessage = (o: Outcome) => ({ ...err(o), message: messageOf(o) });

type Wire = Record<string, unknown>;
/** The fields of a Parameter that clients use; the timestamp by its JSON type. */
function param(p: unknown) {
  const w = p as Wire;
  const out: Wire = {
    Name: w.Name,
    Type: w.Type,
    Value: w.Value,
    Version: w.Version,
    ARN: w.ARN,
    DataType: w.DataType,
    LastModifiedDate: typeof w.LastModifiedDate,
  };
  if ('Selector' in w) out.Selector = w.Selector;
  return out;
}
const params = (o: Outcome): Wire[] => ((o.body.Parameters as unknown[] | undefined) ?? []).map(param);
const ok = (o: Outcome, view: (o: Outcome) => unknown = (x) => x.body) => (o.status === 200 ? { status: 200, body: view(o) } : err(o));

/** What a SecureString read without decryption reveals. */
function secrecy(value: unknown, plaintext: string): string {
  if (typeof value !== 'string') return `not a string: ${String(value)}`;
  if (value === plaintext) return 'plaintext';
  if (value.includes(plaintext)) return 'contains the plaintext';
  return /^[A-Za-z0-9+/]+=*$/.test(value) ? 'opaque base64' : 'other';
}

const put = (name: string, value: string, extra: Wire = {}): [string, Wire] => ['PutParameter', { Name: name, Value: value, Type: 'String', ...extra }];
const putSecure = (name: string, value: string): [string, Wire] => ['PutParameter', { Name: name, Value: value, Type: 'SecureString' }];
const overwrite = (name: string, value: string): [string, Wire] => ['PutParameter', { Name: name, Value: value, Overwrite: true }];

/** Every page of a GetParametersByPath listing. */
async function listAll(call: Call, body: Wire): Promise<{ names: string[]; pageSizes: number[]; error?: unknown }> {
  const names: string[] = [];
  const pageSizes: number[] = [];
  let token: unknown;
  for (let i = 0; i < 50; i++) {
    const o = await call('GetParametersByPath', { ...body, ...(token ? { NextToken: token } : {}) });
    if (o.status !== 200) return { names, pageSizes, error: err(o) };
    const page = params(o);
    pageSizes.push(page.length);
    names.push(...page.map((p) => String(p.Name)));
    token = o.body.NextToken;
    if (!token) break;
  }
  return { names, pageSizes };
}

/** Every page of a DescribeParameters listing: filtered pages may be short or empty, like AWS's. */
async function describeAll(call: Call, body: Wire): Promise<{ status: number; list: Wire[] }> {
  const list: Wire[] = [];
  let token: unknown;
  for (let i = 0; i < 200; i++) {
    const o = await call('DescribeParameters', { ...body, ...(token ? { NextToken: token } : {}) });
    if (o.status !== 200) return { status: o.status, list };
    list.push(...((o.body.Parameters as Wire[] | undefined) ?? []));
    token = o.body.NextToken;
    if (!token) break;
  }
  return { status: 200, list };
}

/** The view of the single-level parameter `{P}-single` (value "one") under the Name a server reports. */
const singleLevel = (name: string): Wire => ({
  Name: name,
  Type: 'String',
  Value: 'one',
  Version: 1,
  // Responses map `/confN` back to `{p}`, so `parameter/confN-single` reads `parameter{p}-single`.
  ARN: 'arn:aws:ssm:us-east-1:123456789012:parameter{p}-single',
  DataType: 'text',
  LastModifiedDate: 'number',
});

const TREE: [string, Wire][] = [
  // Inserted out of order: neither server may rely on insertion order.
  put('{p}/a/z', '1'),
  put('{p}/a/b', '2'),
  put('{p}/a/sub/c', '3'),
  put('{p}/a/sub/deep/d', '4'),
  put('{p}/ab/x', '5'),
  put('{p}/a/m', '6'),
];

// --- the scenarios ---------------------------------------------------------

export const scenarios: Scenario[] = [
  // GetParameter
  {
    name: 'GetParameter: a String parameter, every wire field',
    given: [put('{p}/str', 'hello')],
    run: async (call) => ok(await call('GetParameter', { Name: '{p}/str' }), (o) => param(o.body.Parameter)),
  },
  {
    name: 'GetParameter: missing parameter',
    run: async (call) => errMessage(await call('GetParameter', { Name: '{p}/missing' })),
    motoDiffers: {
      reason: 'real AWS sends ParameterNotFound with an empty message; moto writes "Parameter <name> not found."',
      aws: { status: 400, type: 'ParameterNotFound', message: '' },
      moto: { status: 400, type: 'ParameterNotFound', message: 'Parameter {p}/missing not found.' },
    },
  },
  {
    name: 'GetParameter: version selector',
    given: [put('{p}/v', 'one'), overwrite('{p}/v', 'two')],
    run: async (call) => ok(await call('GetParameter', { Name: '{p}/v:1' }), (o) => param(o.body.Parameter)),
    motoDiffers: {
      reason: 'AWS adds Selector ":1" when a selector was used; moto omits it',
      aws: {
        status: 200,
        body: {
          Name: '{p}/v',
          Type: 'String',
          Value: 'one',
          Version: 1,
          ARN: 'arn:aws:ssm:us-east-1:123456789012:parameter{p}/v',
          DataType: 'text',
          LastModifiedDate: 'number',
          Selector: ':1',
        },
      },
      moto: {
        status: 200,
        body: {
          Name: '{p}/v',
          Type: 'String',
          Value: 'one',
          Version: 1,
          ARN: 'arn:aws:ssm:us-east-1:123456789012:parameter{p}/v',
          DataType: 'text',
          LastModifiedDate: 'number',
        },
      },
    },
  },
  {
    name: 'GetParameter: unknown version',
    given: [put('{p}/v', 'one')],
    run: async (call) => errMessage(await call('GetParameter', { Name: '{p}/v:7' })),
  },
  {
    name: 'GetParameter: SecureString with decryption',
    given: [putSecure('{p}/s', 'plain-secret')],
    run: async (call) => ok(await call('GetParameter', { Name: '{p}/s', WithDecryption: true }), (o) => param(o.body.Parameter)),
  },
  {
    name: 'GetParameter: SecureString without decryption',
    given: [putSecure('{p}/s', 'plain-secret')],
    run: async (call) => {
      const o = await call('GetParameter', { Name: '{p}/s', WithDecryption: false });
      return { status: o.status, value: secrecy((o.body.Parameter as Wire | undefined)?.Value, 'plain-secret') };
    },
    motoDiffers: {
      reason: 'AWS returns opaque base64 ciphertext; moto returns "kms:<key>:<plaintext>"',
      aws: { status: 200, value: 'opaque base64' },
      moto: { status: 200, value: 'contains the plaintext' },
    },
  },

  // GetParameters
  {
    name: 'GetParameters: one found, one missing',
    given: [put('{p}/a', 'A')],
    run: async (call) =>
      ok(await call('GetParameters', { Names: ['{p}/a', '{p}/missing'] }), (o) => ({ Parameters: params(o), InvalidParameters: o.body.InvalidParameters })),
  },
  {
    name: 'GetParameters: found parameters are sorted by name',
    given: [put('{p}/c', 'C'), put('{p}/a', 'A'), put('{p}/b', 'B'), put('{p}/e', 'E'), put('{p}/d', 'D')],
    run: async (call) => {
      const o = await call('GetParameters', { Names: ['{p}/d', '{p}/b', '{p}/e', '{p}/a', '{p}/c'] });
      return params(o).map((p) => p.Name);
    },
    motoDiffers: {
      reason: 'AWS sorts found parameters by name; moto returns them in set order',
      aws: ['{p}/a', '{p}/b', '{p}/c', '{p}/d', '{p}/e'],
      moto: expect.toSatisfy(
        (names: unknown) => Array.isArray(names) && [...names].sort().join() === ['{p}/a', '{p}/b', '{p}/c', '{p}/d', '{p}/e'].join(),
        'the same five names, any order',
      ),
    },
  },
  {
    name: 'GetParameters: 10 names are accepted',
    run: async (call) =>
      ok(await call('GetParameters', { Names: Array.from({ length: 10 }, (_, i) => `{p}/n${i}`) }), (o) => ({
        found: params(o).length,
        invalid: (o.body.InvalidParameters as unknown[]).length,
      })),
  },
  {
    name: 'GetParameters: 11 names are a ValidationException',
    run: async (call) => err(await call('GetParameters', { Names: Array.from({ length: 11 }, (_, i) => `{p}/n${i}`) })),
  },
  {
    name: 'GetParameters: no names',
    run: async (call) => err(await call('GetParameters', { Names: [] })),
    motoDiffers: {
      reason: 'AWS enforces Names length >= 1; moto answers with two empty arrays',
      aws: { status: 400, type: 'ValidationException' },
      moto: { status: 200, type: undefined },
    },
  },
  {
    name: 'GetParameters: duplicate names are collapsed',
    given: [put('{p}/a', 'A')],
    run: async (call) =>
      ok(await call('GetParameters', { Names: ['{p}/a', '{p}/a', '{p}/missing', '{p}/missing'] }), (o) => ({
        found: params(o).map((p) => p.Name),
        InvalidParameters: o.body.InvalidParameters,
      })),
    motoDiffers: {
      reason: 'moto collapses found duplicates but repeats missing ones in InvalidParameters',
      aws: { status: 200, body: { found: ['{p}/a'], InvalidParameters: ['{p}/missing'] } },
      moto: { status: 200, body: { found: ['{p}/a'], InvalidParameters: ['{p}/missing', '{p}/missing'] } },
    },
  },
  ...['{P}/b', '{p}//b', '{p}/has space'].map((bad): Scenario => ({
    name: `GetParameters: malformed name ${JSON.stringify(bad)} fails the whole call`,
    given: [put('{p}/a', 'A')],
    run: async (call) => err(await call('GetParameters', { Names: ['{p}/a', bad] })),
    motoDiffers: {
      reason: 'AWS validates names and fails the call; moto does not validate names on read and lists the name as invalid',
      aws: { status: 400, type: 'ValidationException' },
      moto: { status: 200, type: undefined },
    },
  })),
  {
    name: 'GetParameters: selectors by version and label',
    given: [put('{p}/v', 'one'), overwrite('{p}/v', 'two'), ['LabelParameterVersion', { Name: '{p}/v', ParameterVersion: 1, Labels: ['old'] }]],
    run: async (call) => {
      const o = await call('GetParameters', { Names: ['{p}/v:old', '{p}/v:2', '{p}/v:9', '{p}/v:nolabel'] });
      const found = params(o)
        .map((p) => `${String(p.Value)}@${String(p.Version)}${'Selector' in p ? ' ' + String(p.Selector) : ''}`)
        .sort();
      return { status: o.status, found, invalid: o.body.InvalidParameters };
    },
    motoDiffers: {
      reason: 'AWS adds Selector to parameters fetched with a selector; moto omits it',
      aws: { status: 200, found: ['one@1 :old', 'two@2 :2'], invalid: ['{p}/v:9', '{p}/v:nolabel'] },
      moto: { status: 200, found: ['one@1', 'two@2'], invalid: ['{p}/v:9', '{p}/v:nolabel'] },
    },
  },
  {
    name: 'GetParameters: with decryption',
    given: [putSecure('{p}/s', 'plain-secret'), put('{p}/t', 'text')],
    run: async (call) =>
      ok(await call('GetParameters', { Names: ['{p}/s', '{p}/t'], WithDecryption: true }), (o) =>
        params(o)
          .map((p) => [p.Name, p.Type, p.Value])
          .sort(),
      ),
  },
  {
    name: 'GetParameters: without decryption',
    given: [putSecure('{p}/s', 'plain-secret')],
    run: async (call) => {
      const o = await call('GetParameters', { Names: ['{p}/s'], WithDecryption: false });
      return { status: o.status, value: secrecy(params(o)[0]?.Value, 'plain-secret') };
    },
    motoDiffers: {
      reason: 'AWS returns opaque base64 ciphertext; moto returns "kms:<key>:<plaintext>"',
      aws: { status: 200, value: 'opaque base64' },
      moto: { status: 200, value: 'contains the plaintext' },
    },
  },

  // GetParametersByPath
  {
    name: 'GetParametersByPath: one level',
    given: TREE,
    run: async (call) => {
      const r = await listAll(call, { Path: '{p}/a', Recursive: false });
      return { ...r, names: [...r.names].sort(), pageSizes: undefined };
    },
  },
  {
    name: 'GetParametersByPath: recursive',
    given: TREE,
    run: async (call) => {
      const r = await listAll(call, { Path: '{p}/a', Recursive: true });
      return { ...r, names: [...r.names].sort(), pageSizes: undefined };
    },
  },
  ...['{p}/a', '{p}/a/', '{p}/ab'].map((path): Scenario => ({
    name: `GetParametersByPath: ${path} (with /a, /a/, /ab in the tree)`,
    given: TREE,
    run: async (call) => [...(await listAll(call, { Path: path, Recursive: true })).names].sort(),
  })),
  ...Array.from({ length: 10 }, (_, i) => i + 1).map((max): Scenario => ({
    name: `GetParametersByPath: pagination with MaxResults ${max}`,
    given: TREE,
    run: async (call) => {
      const r = await listAll(call, { Path: '{p}', Recursive: true, MaxResults: max });
      return {
        error: r.error,
        names: [...r.names].sort(),
        distinct: new Set(r.names).size === r.names.length,
        pagesWithinMax: r.pageSizes.every((n) => n <= max),
      };
    },
  })),
  {
    name: 'GetParametersByPath: MaxResults 11 is a ValidationException',
    given: TREE,
    run: async (call) => err(await call('GetParametersByPath', { Path: '{p}', MaxResults: 11 })),
  },
  {
    name: 'GetParametersByPath: nothing below the path is [] without error',
    run: async (call) => ok(await call('GetParametersByPath', { Path: '{p}/nothing', Recursive: true })),
  },
  {
    name: 'GetParametersByPath: a path must start with /',
    given: TREE,
    run: async (call) => err(await call('GetParametersByPath', { Path: '{P}/a' })),
    motoDiffers: {
      reason: 'AWS refuses a path without a leading slash; moto lists nothing',
      aws: { status: 400, type: 'ValidationException' },
      moto: { status: 200, type: undefined },
    },
  },

  // PutParameter
  {
    name: 'PutParameter: create',
    run: async (call) => ok(await call('PutParameter', { Name: '{p}/new', Value: 'v', Type: 'String' })),
  },
  {
    name: 'PutParameter: existing without Overwrite',
    given: [put('{p}/x', 'v')],
    run: async (call) => errMessage(await call('PutParameter', { Name: '{p}/x', Value: 'w', Type: 'String' })),
  },
  {
    name: 'PutParameter: Overwrite makes a new version',
    given: [put('{p}/x', 'v')],
    run: async (call) => {
      const o = await call('PutParameter', { Name: '{p}/x', Value: 'w', Overwrite: true });
      const g = await call('GetParameter', { Name: '{p}/x' });
      return { put: ok(o), get: ok(g, (r) => param(r.body.Parameter)) };
    },
  },
  {
    name: 'PutParameter: empty value',
    run: async (call) => errMessage(await call('PutParameter', { Name: '{p}/e', Value: '', Type: 'String' })),
  },
  {
    name: 'PutParameter: 4096 characters fit the Standard tier',
    run: async (call) => ok(await call('PutParameter', { Name: '{p}/big', Value: 'x'.repeat(4096), Type: 'String' })),
  },
  {
    name: 'PutParameter: 4097 characters do not fit the Standard tier',
    run: async (call) => err(await call('PutParameter', { Name: '{p}/big', Value: 'x'.repeat(4097), Type: 'String' })),
    motoDiffers: {
      reason: 'AWS limits Standard-tier values to 4096 characters; moto stores any length',
      aws: { status: 400, type: 'ValidationException' },
      moto: { status: 200, type: undefined },
    },
  },
  ...['aws-key', 'ssm', 'SSMthing', '/ssm/x'].map((name): Scenario => ({
    name: `PutParameter: reserved name ${name}`,
    run: async (call) => errMessage(await call('PutParameter', { Name: name, Value: 'v', Type: 'String' })),
  })),
  {
    name: 'PutParameter: reserved path /aws/...',
    run: async (call) => errMessage(await call('PutParameter', { Name: '/aws/x{p}', Value: 'v', Type: 'String' })),
  },
  {
    name: 'PutParameter: name with a slash but no leading slash',
    run: async (call) => err(await call('PutParameter', { Name: '{P}/b', Value: 'v', Type: 'String' })),
    motoDiffers: {
      reason: 'AWS requires a fully qualified name; moto does not validate names',
      aws: { status: 400, type: 'ValidationException' },
      moto: { status: 200, type: undefined },
    },
  },
  {
    name: 'PutParameter: unknown KMS key',
    run: async (call) => err(await call('PutParameter', { Name: '{p}/k', Value: 'v', Type: 'SecureString', KeyId: 'alias/DoesNotExist' })),
    motoDiffers: {
      reason: 'AWS checks the key (InvalidKeyId); moto accepts any KeyId',
      aws: { status: 400, type: 'InvalidKeyId' },
      moto: { status: 200, type: undefined },
    },
  },
  {
    name: 'PutParameter: Tags with Overwrite',
    run: async (call) =>
      errMessage(await call('PutParameter', { Name: '{p}/t', Value: 'v', Type: 'String', Overwrite: true, Tags: [{ Key: 'k', Value: 'v' }] })),
  },
  {
    name: 'PutParameter: no Type on create',
    run: async (call) => errMessage(await call('PutParameter', { Name: '{p}/nt', Value: 'v' })),
  },

  // LabelParameterVersion
  {
    name: 'LabelParameterVersion: label the latest, move a label, report invalid ones',
    given: [put('{p}/l', 'one'), overwrite('{p}/l', 'two')],
    run: async (call) => {
      const first = await call('LabelParameterVersion', { Name: '{p}/l', Labels: ['live'] });
      const moved = await call('LabelParameterVersion', { Name: '{p}/l', ParameterVersion: 1, Labels: ['live', '9lives', 'awsome', 'fine'] });
      const get = await call('GetParameter', { Name: '{p}/l:live' });
      return { first: ok(first), moved: ok(moved), value: (get.body.Parameter as Wire | undefined)?.Value };
    },
  },
  {
    name: 'LabelParameterVersion: unknown version',
    given: [put('{p}/l', 'one')],
    run: async (call) => errMessage(await call('LabelParameterVersion', { Name: '{p}/l', ParameterVersion: 4, Labels: ['x'] })),
  },
  {
    name: 'LabelParameterVersion: unknown parameter',
    run: async (call) => err(await call('LabelParameterVersion', { Name: '{p}/none', Labels: ['x'] })),
  },

  // DeleteParameter
  {
    name: 'DeleteParameter: delete, then it is gone',
    given: [put('{p}/d', 'v')],
    run: async (call) => ({ del: ok(await call('DeleteParameter', { Name: '{p}/d' })), get: err(await call('GetParameter', { Name: '{p}/d' })) }),
  },
  {
    name: 'DeleteParameter: unknown parameter',
    run: async (call) => errMessage(await call('DeleteParameter', { Name: '{p}/none' })),
    motoDiffers: {
      reason: 'real AWS sends ParameterNotFound with an empty message here too (seen in botocore tracebacks); moto writes "Parameter <name> not found."',
      aws: { status: 400, type: 'ParameterNotFound', message: '' },
      moto: { status: 400, type: 'ParameterNotFound', message: 'Parameter {p}/none not found.' },
    },
  },
  {
    name: 'LabelParameterVersion on a missing parameter leaves nothing behind',
    run: async (call) => ({
      label: err(await call('LabelParameterVersion', { Name: '{p}/ghost', Labels: ['x'] })),
      get: err(await call('GetParameters', { Names: ['{p}/ghost'] })),
      describe: err(await call('DescribeParameters', {})),
      del: err(await call('DeleteParameter', { Name: '{p}/ghost' })),
    }),
    motoDiffers: {
      reason:
        'moto leaves an empty entry for the name: GetParameters and DescribeParameters then crash (HTTP 500, HTML body) and DeleteParameter succeeds, until the name is created',
      aws: {
        label: { status: 400, type: 'ParameterNotFound' },
        get: { status: 200, type: undefined },
        describe: { status: 200, type: undefined },
        del: { status: 400, type: 'ParameterNotFound' },
      },
      moto: {
        label: { status: 400, type: 'ParameterNotFound' },
        get: { status: 500, type: undefined },
        describe: { status: 500, type: undefined },
        del: { status: 200, type: undefined },
      },
    },
  },

  {
    name: 'PutParameter: Overwrite without Type keeps the type',
    given: [['PutParameter', { Name: '{p}/sl', Value: 'a,b', Type: 'StringList' }]],
    run: async (call) => {
      const o = await call('PutParameter', { Name: '{p}/sl', Value: 'a,b,c', Overwrite: true });
      return { put: ok(o), get: ok(await call('GetParameter', { Name: '{p}/sl' }), (r) => param(r.body.Parameter)) };
    },
  },
  {
    name: 'PutParameter: Advanced tier holds more than 4096 characters',
    run: async (call) => ok(await call('PutParameter', { Name: '{p}/adv', Value: 'y'.repeat(5000), Type: 'String', Tier: 'Advanced' })),
  },
  {
    name: 'PutParameter: 100 versions are kept, the oldest dropped',
    given: [put('{p}/h', 'v1'), ...Array.from({ length: 100 }, (_, i) => overwrite('{p}/h', `v${i + 2}`))],
    run: async (call) => {
      const o = await call('GetParameters', { Names: ['{p}/h:1', '{p}/h:2', '{p}/h'] });
      return {
        found: params(o)
          .map((p) => p.Version)
          .sort((a, b) => Number(a) - Number(b)),
        invalid: o.body.InvalidParameters,
      };
    },
  },
  {
    name: 'PutParameter: a label on the oldest of 100 versions blocks a new one',
    given: [
      put('{p}/h', 'v1'),
      ...Array.from({ length: 99 }, (_, i) => overwrite('{p}/h', `v${i + 2}`)),
      ['LabelParameterVersion', { Name: '{p}/h', ParameterVersion: 1, Labels: ['first'] }],
    ],
    run: async (call) => errMessage(await call('PutParameter', { Name: '{p}/h', Value: 'v101', Overwrite: true })),
  },
  {
    name: 'GetParameter: /Name and Name are the same single-level parameter',
    given: [put('{P}-single', 'one')],
    run: async (call) => {
      const slash = await call('GetParameter', { Name: '/{P}-single' });
      const bare = await call('GetParameter', { Name: '{P}-single' });
      const view = (o: Outcome) => (o.status === 200 ? param(o.body.Parameter) : err(o));
      return { slash: view(slash), bare: view(bare) };
    },
    motoDiffers: {
      reason: 'AWS returns Name as the caller wrote it; moto returns the name the parameter was created with',
      aws: { slash: singleLevel('{p}-single'), bare: singleLevel('{P}-single') },
      moto: { slash: singleLevel('{P}-single'), bare: singleLevel('{P}-single') },
    },
  },
  {
    name: 'LabelParameterVersion: at most 10 labels per version',
    given: [put('{p}/l', 'one'), ['LabelParameterVersion', { Name: '{p}/l', Labels: Array.from({ length: 10 }, (_, i) => `l${i}`) }]],
    run: async (call) => err(await call('LabelParameterVersion', { Name: '{p}/l', Labels: ['eleventh'] })),
  },
  {
    name: 'DescribeParameters: the metadata carries the ARN',
    given: [put('{p}/t', 'text')],
    run: async (call) => (await describeAll(call, { ParameterFilters: [{ Key: 'Name', Values: ['{p}/t'] }] })).list.map((p) => p.ARN),
    motoDiffers: {
      reason: 'ParameterMetadata has an ARN member in the AWS API model; moto leaves it out',
      aws: ['arn:aws:ssm:us-east-1:123456789012:parameter{p}/t'],
      moto: [undefined],
    },
  },

  // DescribeParameters
  {
    name: 'DescribeParameters: by name, metadata without values',
    given: [putSecure('{p}/s', 'plain-secret'), put('{p}/t', 'text', { Description: 'a text' })],
    run: async (call) => {
      const o = await describeAll(call, { ParameterFilters: [{ Key: 'Name', Values: ['{p}/s', '{p}/t'] }] });
      const list = o.list.map((p) => ({
        Name: p.Name,
        Type: p.Type,
        KeyId: p.KeyId,
        Version: p.Version,
        Tier: p.Tier,
        DataType: p.DataType,
        Description: p.Description,
        LastModifiedDate: typeof p.LastModifiedDate,
        Value: p.Value,
      }));
      return { status: o.status, list: list.sort((a, b) => String(a.Name).localeCompare(String(b.Name))) };
    },
  },
  {
    name: 'DescribeParameters: Path filter, recursive',
    given: TREE,
    run: async (call) => {
      const o = await describeAll(call, { ParameterFilters: [{ Key: 'Path', Option: 'Recursive', Values: ['{p}/a'] }], MaxResults: 50 });
      return { status: o.status, names: o.list.map((p) => p.Name).sort() };
    },
  },
  {
    name: 'DescribeParameters: Type filter',
    given: [putSecure('{p}/s', 'x'), put('{p}/t', 'y')],
    run: async (call) => {
      const o = await describeAll(call, {
        ParameterFilters: [
          { Key: 'Type', Values: ['SecureString'] },
          { Key: 'Name', Option: 'BeginsWith', Values: ['{p}/'] },
        ],
      });
      return { status: o.status, names: o.list.map((p) => p.Name) };
    },
  },
];
