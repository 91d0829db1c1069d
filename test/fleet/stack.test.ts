/**
 * The generated template as a stack on moto's CloudFormation (through the
 * AWS CLI), and its event patterns against "Parameter Store Change" events
 * with moto's own EventBridge matcher: each rule the stack created gets an
 * SQS queue as its target (moto cannot deliver to an Automation target), an
 * event per name goes through PutEvents, and the queue says which matched.
 * AWS::SSM::Association is not modelled by moto (accepted as a placeholder):
 * its properties are checked in template.test.ts against AWS's reference.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type Moto } from '../conformance/harness.js';
import { runMain } from '../helpers/main.js';
import { signedHeaders } from '../helpers/sign.js';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { parse } from 'yaml';

let moto: Moto;
/** Manifests and templates live as long as the file's stacks do. */
const scratch = mkdtempSync(join(tmpdir(), 'ssm-mat-fleet-'));
let dirs = 0;
const tempDir = () => {
  const d = join(scratch, String(++dirs));
  mkdirSync(d);
  return d;
};

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  botoServer?.stop();
  await moto?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * Calls through boto3 (installed with moto): CloudFormation and IAM speak the
 * query protocol, which boto3 reads for us. One python3 serves the whole file
 * (importing boto3 costs about a second of CPU each start), a line of JSON
 * calls in, a line of their results out, in the order sent.
 */
const BOTO_SERVER = [
  'import boto3, json, sys, traceback',
  'for line in sys.stdin:',
  '    out = []',
  '    try:',
  '        for service, method, params in json.loads(line):',
  '            client = boto3.client(service, endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")',
  '            out.append(getattr(client, method)(**params))',
  '        reply = {"results": out}',
  '    except Exception:',
  '        reply = {"error": traceback.format_exc()}',
  '    sys.stdout.write(json.dumps(reply, default=str) + "\\n")',
  '    sys.stdout.flush()',
].join('\n');

interface BotoReply {
  results?: any[];
  error?: string;
}

interface BotoServer {
  send(calls: string): Promise<BotoReply>;
  stop(): void;
}

let botoServer: BotoServer | undefined;

function startBoto(): BotoServer {
  const child = spawn('python3', ['-c', BOTO_SERVER, moto.url], { env: isolatedAwsEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  const waiting: Array<(reply: BotoReply) => void> = [];
  const exited = () => {
    for (const resolve of waiting.splice(0)) resolve({ error: `python3 exited: ${stderr}` });
  };
  child.on('error', (err) => (stderr += String(err)));
  child.on('close', exited);
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(JSON.parse(line) as BotoReply));
  return {
    send: (calls) =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve({ error: `python3 exited: ${stderr}` });
        waiting.push(resolve);
        child.stdin.write(`${calls}\n`);
      }),
    stop: () => child.stdin.end(),
  };
}

async function boto(calls: Array<[service: string, method: string, params: Record<string, unknown>]>): Promise<any[]> {
  botoServer ??= startBoto();
  const reply = await botoServer.send(JSON.stringify(calls));
  if (!reply.results) throw new Error(`boto3 ${calls.map((c) => c[1]).join(', ')} failed: ${reply.error}`);
  return reply.results;
}

/**
 * One JSON-protocol call to moto (EventBridge, SQS, SSM), straight over
 * HTTP: the many small calls of the matching tests, without an AWS CLI
 * start-up each.
 */
async function motoJson(service: 'events' | 'sqs' | 'ssm', operation: string, body: unknown): Promise<any> {
  const protocol = { events: ['AWSEvents', '1.1'], sqs: ['AmazonSQS', '1.0'], ssm: ['AmazonSSM', '1.1'] }[service];
  const text = JSON.stringify(body);
  const headers = await signedHeaders(moto.url, {
    service,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    headers: { 'content-type': `application/x-amz-json-${protocol[1]}`, 'x-amz-target': `${protocol[0]}.${operation}` },
    body: text,
  });
  const res = await fetch(`${moto.url}/`, { method: 'POST', headers, body: text });
  const raw = await res.text();
  if (!res.ok) throw new Error(`${service} ${operation}: ${res.status} ${raw.slice(0, 300)}`);
  return raw ? JSON.parse(raw) : {};
}

/** A manifest and the template `fleet` prints for it. */
async function generate(manifestText: string, extra: string[] = []): Promise<{ file: string; yaml: string; stderr: string }> {
  const dir = tempDir();
  mkdirSync(join(dir, 'out'));
  const file = join(dir, 'materialize.yaml');
  writeFileSync(file, manifestText);
  const r = await runMain(['fleet', '-m', file, '--target', 'tag:App=myapp', ...extra], { env: { PATH: process.env.PATH } });
  expect(r.code, r.stderr).toBe(0);
  return { file, yaml: r.stdout, stderr: r.stderr };
}

async function createStack(
  name: string,
  templateYaml: string,
  parameters: Record<string, string> = {},
): Promise<Map<string, { type: string; physical: string }>> {
  const Parameters = Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
  const [, described, listed] = await boto([
    ['cloudformation', 'create_stack', { StackName: name, TemplateBody: templateYaml, Capabilities: ['CAPABILITY_IAM'], Parameters }],
    ['cloudformation', 'describe_stacks', { StackName: name }],
    ['cloudformation', 'describe_stack_resources', { StackName: name }],
  ]);
  const stack = described.Stacks[0];
  expect([stack.StackStatus, stack.StackStatusReason]).toEqual(['CREATE_COMPLETE', undefined]);
  const resources = listed.StackResources as Array<Record<string, string>>;
  return new Map(resources.map((r) => [r.LogicalResourceId!, { type: r.ResourceType!, physical: r.PhysicalResourceId! }]));
}

/** Which of these parameter names the stack's rules match, by moto's matcher. */
async function matchedNames(stack: Map<string, { type: string; physical: string }>, names: string[], queueName: string): Promise<string[]> {
  const queueUrl = (await motoJson('sqs', 'CreateQueue', { QueueName: queueName })).QueueUrl as string;
  const queueArn = (await motoJson('sqs', 'GetQueueAttributes', { QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })).Attributes.QueueArn as string;
  for (const [, r] of stack) {
    if (r.type !== 'AWS::Events::Rule') continue;
    await motoJson('events', 'RemoveTargets', { Rule: r.physical, Ids: ['RefreshRunbook'] });
    await motoJson('events', 'PutTargets', { Rule: r.physical, Targets: [{ Id: 'queue', Arn: queueArn }] });
  }
  const events = names.map((name) => ({
    Source: 'aws.ssm',
    DetailType: 'Parameter Store Change',
    Detail: JSON.stringify({ operation: 'Update', name, type: 'String' }),
  }));
  // Plus look-alikes from elsewhere: another detail type, another source.
  events.push({ Source: 'aws.ssm', DetailType: 'Parameter Store Policy Action', Detail: JSON.stringify({ name: names[0], 'policy-type': 'Expiration' }) });
  events.push({ Source: 'my.app', DetailType: 'Parameter Store Change', Detail: JSON.stringify({ operation: 'Update', name: names[0] }) });
  for (let i = 0; i < events.length; i += 10) {
    expect((await motoJson('events', 'PutEvents', { Entries: events.slice(i, i + 10) })).FailedEntryCount).toBe(0);
  }
  const matched: string[] = [];
  for (;;) {
    const got = await motoJson('sqs', 'ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 10 });
    const messages = (got.Messages ?? []) as Array<{ Body: string; ReceiptHandle: string }>;
    if (!messages.length) break;
    for (const m of messages) {
      const event = JSON.parse(m.Body) as { source: string; 'detail-type': string; detail: { name: string } };
      expect([event.source, event['detail-type']]).toEqual(['aws.ssm', 'Parameter Store Change']);
      matched.push(event.detail.name);
      await motoJson('sqs', 'DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle });
    }
  }
  return matched.sort();
}

const MANIFEST = `version: 1
prefix: /myapp/prod
outputs:
  - path: out/app.env
    format: dotenv
    values:
      API_KEY: api-key
      DB_PASSWORD: /myapp/prod/db/password
      CERT: cert:3
      LABELLED: { parameter: tls/key:current }
      SHARED: arn:aws:ssm:us-east-1:111122223333:parameter/shared/token
      FROM_SECRETS: /aws/reference/secretsmanager/prod/db
      AMI: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
    paths:
      - { path: /myapp/prod/env, recursive: true }
      - { path: /myapp/common }
`;

describe('the fleet stack on moto', () => {
  let template: { yaml: string; stderr: string; file: string };
  let stack: Map<string, { type: string; physical: string }>;

  beforeAll(async () => {
    template = await generate(MANIFEST);
    stack = await createStack('fleet', template.yaml);
  });

  it('creates every resource under the stable logical ids', () => {
    expect([...stack.keys()].filter((k) => k !== undefined).sort()).toEqual(
      ['AutomationRole', 'CheckDocument', 'EventsRole', 'InstancePolicy', 'ParameterChangeRule', 'RefreshRunbook', 'WriteDocument'].sort(),
    );
  });

  it('the documents are stored as written, with their types, and the runbook as Automation', async () => {
    const t = parse(template.yaml) as Record<string, any>;
    for (const [id, type] of [
      ['WriteDocument', 'Command'],
      ['CheckDocument', 'Command'],
      ['RefreshRunbook', 'Automation'],
    ] as const) {
      const name = stack.get(id)!.physical;
      const doc = await motoJson('ssm', 'GetDocument', { Name: name, DocumentFormat: 'JSON' });
      expect([doc.DocumentType, doc.Status]).toEqual([type, 'Active']);
      // moto answers the content as an object; AWS as a JSON string.
      expect(typeof doc.Content === 'string' ? JSON.parse(doc.Content) : doc.Content).toEqual(t.Resources[id].Properties.Content);
    }
    expect(stack.get('WriteDocument')!.physical).toBe('ssm-materialize-write');
  });

  it("the instance policy is `policy`'s own output for the stack's account and region", async () => {
    const arn = stack.get('InstancePolicy')!.physical;
    const [got] = await boto([['iam', 'get_policy', { PolicyArn: arn }]]);
    const [version] = await boto([['iam', 'get_policy_version', { PolicyArn: arn, VersionId: got.Policy.DefaultVersionId }]]);
    const stored = version.PolicyVersion.Document;
    const document = typeof stored === 'string' ? JSON.parse(decodeURIComponent(stored)) : stored;
    const policy = await runMain(['policy', '-m', template.file, '--account', '123456789012', '--region', 'us-east-1'], { env: { PATH: process.env.PATH } });
    expect(policy.code, policy.stderr).toBe(0);
    expect(document).toEqual(JSON.parse(policy.stdout));
  });

  it('the rule matches every name the manifest reads and everything below its paths, and nothing else', async () => {
    const reads = [
      '/myapp/prod/api-key',
      '/myapp/prod/db/password',
      '/myapp/prod/cert',
      '/myapp/prod/tls/key',
      '/shared/token',
      '/myapp/prod/env/NODE_ENV',
      '/myapp/prod/env/mail/smtp/host',
      '/myapp/common/x',
    ];
    const nearMisses = [
      '/myapp/prod-old/x',
      '/myapp/prod/env',
      '/myapp/prod/envx/a',
      '/myapp/prod/env-old/a',
      '/myapp/commonx/y',
      '/myapp/prod/db/password2',
      '/myapp/prod/db/passwor',
      '/myapp/prod/api-key/child',
      '/myapp/prod',
      'myapp/prod/api-key',
      '/MYAPP/prod/api-key',
      '/aws/reference/secretsmanager/prod/db',
      '/other/app/key',
    ];
    expect(await matchedNames(stack, [...reads, ...nearMisses], 'fleet-events')).toEqual([...reads].sort());
  });

  it("says what it cannot match: Secrets Manager references, public parameters, another account's ARN", () => {
    const notes = (parse(template.yaml) as Record<string, any>).Metadata.SsmMaterialize.Notes.join('\n');
    for (const text of [notes, template.stderr]) {
      expect(text).toContain('Secrets Manager references (/aws/reference/secretsmanager/prod/db)');
      expect(text).toContain('CloudTrail');
      expect(text).toContain('AWS public parameters (/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64)');
      expect(text).toContain('(AWS RAM)');
    }
  });
});

describe('a manifest too long for one event pattern', () => {
  const longNames = (n: number) =>
    Array.from({ length: n }, (_, i) => `/myapp/prod/service-${i % 7}/component-with-a-long-descriptive-name-${String(i).padStart(4, '0')}`);
  const manifestOf = (names: string[]) =>
    `version: 1\noutputs:\n  - path: out/app.json\n    format: json\n    values:\n${names.map((n, i) => `      k${i}: ${n}`).join('\n')}\n`;

  it('is split into several rules of at most 2,048 characters that together match exactly its names', async () => {
    const names = longNames(60);
    const { yaml } = await generate(manifestOf(names), ['--name-prefix', 'split']);
    const t = parse(yaml) as Record<string, any>;
    const rules = Object.entries(t.Resources).filter(([, r]: [string, any]) => r.Type === 'AWS::Events::Rule');
    expect(rules.length).toBeGreaterThan(1);
    expect(rules.map(([id]) => id)).toEqual(rules.map((_, i) => (i === 0 ? 'ParameterChangeRule' : `ParameterChangeRule${i + 1}`)));
    for (const [, r] of rules as Array<[string, any]>) expect(JSON.stringify(r.Properties.EventPattern).length).toBeLessThanOrEqual(2048);
    const stack = await createStack('split', yaml);
    const misses = ['/myapp/prod/service-1/component-with-a-long-descriptive-name-9999', '/myapp/prod/service-8/x'];
    expect(await matchedNames(stack, [...names, ...misses], 'split-events')).toEqual([...names].sort());
  });

  it('past the rule limit, falls back to parent prefixes: every name still matches, and the template says it widened', async () => {
    const names = longNames(400);
    const { yaml, stderr } = await generate(manifestOf(names), ['--name-prefix', 'widened']);
    const t = parse(yaml) as Record<string, any>;
    const patterns = Object.values(t.Resources as Record<string, any>)
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => r.Properties.EventPattern);
    expect(patterns.length).toBeLessThanOrEqual(5);
    expect(patterns.flatMap((p) => p.detail.name)).toEqual(Array.from({ length: 7 }, (_, i) => ({ prefix: `/myapp/prod/service-${i}/` })));
    expect(stderr).toContain('matched by their parent paths');
    const stack = await createStack('widened', yaml);
    const sample = [names[0]!, names[399]!, '/myapp/prod/service-3/not-read'];
    expect(await matchedNames(stack, [...sample, '/myapp/prod/service-7/x', '/myapp/prod-old/service-1/x'], 'widened-events')).toEqual([...sample].sort());
  });
});

describe('the key and the explicit deny, in the stack', () => {
  it('--create-key makes the app key with the key policy of `policy --key-policy`; --deny-for attaches the deny of `policy --deny-for`', async () => {
    const admin = 'arn:aws:iam::123456789012:role/key-admins';
    const { yaml, file } = await generate(MANIFEST, ['--create-key', 'alias/myapp', '--key-admin', admin, '--deny-for', 'PowerUser', '--name-prefix', 'keyed']);
    await boto([
      ['iam', 'create_role', { RoleName: 'PowerUser', AssumeRolePolicyDocument: '{}' }],
      ['iam', 'create_role', { RoleName: 'myapp-instance', AssumeRolePolicyDocument: '{}' }],
    ]);
    const stack = await createStack('keyed', yaml, { InstanceRoleName: 'myapp-instance' });
    const keyId = stack.get('AppKey')!.physical;
    const [keyPolicy] = await boto([['kms', 'get_key_policy', { KeyId: keyId, PolicyName: 'default' }]]);
    const printed = await runMain(
      [
        'policy',
        '-m',
        file,
        '--account',
        '123456789012',
        '--region',
        'us-east-1',
        '--key-policy',
        '--instance-role',
        'arn:aws:iam::123456789012:role/myapp-instance',
        '--key-admin',
        admin,
      ],
      { env: { PATH: process.env.PATH } },
    );
    expect(printed.code, printed.stderr).toBe(0);
    // moto keeps a key policy given as an object as an object; AWS answers a JSON string.
    expect(typeof keyPolicy.Policy === 'string' ? JSON.parse(keyPolicy.Policy) : keyPolicy.Policy).toEqual(JSON.parse(printed.stdout));
    const denyArn = stack.get('DenyBroadRoles')!.physical;
    const [attached] = await boto([['iam', 'list_attached_role_policies', { RoleName: 'PowerUser' }]]);
    expect(attached.AttachedPolicies.map((p: { PolicyArn: string }) => p.PolicyArn)).toEqual([denyArn]);
    const [version] = await boto([['iam', 'get_policy_version', { PolicyArn: denyArn, VersionId: 'v1' }]]);
    const deny = await runMain(
      ['policy', '-m', file, '--account', '123456789012', '--region', 'us-east-1', '--deny-for', 'PowerUser', '--kms-key', 'alias/myapp'],
      { env: { PATH: process.env.PATH } },
    );
    expect(version.PolicyVersion.Document).toEqual(JSON.parse(deny.stdout));
  });
});
