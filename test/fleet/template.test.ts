/**
 * The template's structure, where moto cannot judge it: the properties of
 * AWS::SSM::Association (not modelled by moto) and of aws:runCommand
 * against AWS's own reference, every reference resolving inside the
 * template, least-privilege roles, stable logical ids, the rollout numbers
 * from budget.rollout, offline generation, and examples/fleet/ regenerated.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { rollout, DEFAULT_HEADROOM, DEFAULT_RUN_SECONDS } from '../../src/budget.js';
import { CLI } from '../helpers/cli.js';
import { runMain } from '../helpers/main.js';
import { runCommand } from '../helpers/spawn.js';

const ROOT = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'ssm-mat-fleet-template-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const MANIFEST = `version: 1
prefix: /myapp/prod
outputs:
  - path: ${scratch}/app.env
    format: dotenv
    values:
      A: a
      B: /myapp/prod/b
    paths:
      - { path: env }
`;

async function generate(
  extra: string[] = [],
  manifest = MANIFEST,
  target = ['--target', 'tag:Role=web'],
): Promise<{ t: Record<string, any>; stdout: string; stderr: string; code: number }> {
  const file = join(scratch, `m-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, manifest);
  const r = await runMain(['fleet', '-m', file, ...target, ...extra], { env: { PATH: process.env.PATH } });
  return { t: r.code === 0 ? (parse(r.stdout) as Record<string, any>) : {}, ...r };
}

let t: Record<string, any>;
beforeAll(async () => {
  const g = await generate(['--hosts', '500']);
  expect(g.code, g.stderr).toBe(0);
  t = g.t;
});

/** CloudFormation pseudo parameters a template may use without declaring them. */
const PSEUDO = ['AWS::AccountId', 'AWS::Region', 'AWS::Partition', 'AWS::NoValue', 'AWS::StackName', 'AWS::URLSuffix'];

function references(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => references(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'Ref') out.push(String(v));
      else if (k === 'Fn::GetAtt') out.push(String((v as string[])[0]));
      else if (k === 'Fn::Sub') for (const m of String(v).matchAll(/\$\{([^}!]+)\}/g)) out.push(m[1]!.split('.')[0]!);
      else if (k === 'Fn::If') out.push(`condition:${(v as unknown[])[0]}`);
      references(v, out);
    }
  }
  return out;
}

describe('the fleet template', () => {
  it('every Ref, GetAtt, Sub variable and condition resolves inside the template, with and without the key and the deny', async () => {
    const keyed = await generate(['--create-key', 'alias/myapp', '--key-admin', 'arn:aws:iam::123456789012:role/admins', '--deny-for', 'PowerUser']);
    expect(keyed.code, keyed.stderr).toBe(0);
    expect(Object.keys(keyed.t.Resources)).toEqual(expect.arrayContaining(['AppKey', 'AppKeyAlias', 'DenyBroadRoles']));
    for (const template of [t, keyed.t]) {
      const declared = new Set([
        ...Object.keys(template.Parameters),
        ...Object.keys(template.Resources),
        ...PSEUDO,
        ...Object.keys(template.Conditions).map((c) => `condition:${c}`),
      ]);
      const refs = references({ Resources: template.Resources, Outputs: template.Outputs, Conditions: template.Conditions });
      expect(refs.filter((r) => !declared.has(r))).toEqual([]);
    }
  });

  it('documents update in place (UpdateMethod NewVersion), as JSON content of the right schema', () => {
    const docs = Object.values(t.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::SSM::Document');
    expect(docs).toHaveLength(3);
    for (const d of docs)
      expect([d.Properties.UpdateMethod, d.Properties.DocumentFormat, typeof d.Properties.Content]).toEqual(['NewVersion', 'JSON', 'object']);
    for (const id of ['WriteDocument', 'CheckDocument']) {
      const c = t.Resources[id].Properties.Content;
      expect([t.Resources[id].Properties.DocumentType, c.schemaVersion, c.mainSteps[0].action]).toEqual(['Command', '2.2', 'aws:runShellScript']);
    }
    expect(t.Resources.RefreshRunbook.Properties.DocumentType).toBe('Automation');
  });

  it("the runbook waits, then runs the write document on the tagged hosts with the budget's MaxConcurrency and MaxErrors", () => {
    const r = rollout(2, { tps: 40, headroom: DEFAULT_HEADROOM, runSeconds: DEFAULT_RUN_SECONDS, hosts: 500 });
    const content = t.Resources.RefreshRunbook.Properties.Content;
    expect(content.schemaVersion).toBe('0.3');
    expect(content.mainSteps.map((s: any) => s.action)).toEqual(['aws:sleep', 'aws:runCommand']);
    expect(content.mainSteps[0].inputs).toEqual({ Duration: 'PT60S' });
    const send = content.mainSteps[1].inputs;
    // aws:runCommand takes SendCommand's parameters (Systems Manager user guide, "aws:runCommand").
    const sendCommandInputs = [
      'DocumentName',
      'InstanceIds',
      'Targets',
      'Parameters',
      'CloudWatchOutputConfig',
      'Comment',
      'DocumentHash',
      'DocumentHashType',
      'DocumentVersion',
      'MaxConcurrency',
      'MaxErrors',
      'NotificationConfig',
      'OutputS3BucketName',
      'OutputS3KeyPrefix',
      'ServiceRoleArn',
      'TimeoutSeconds',
    ];
    expect(Object.keys(send).filter((k) => !sendCommandInputs.includes(k))).toEqual([]);
    expect([send.MaxConcurrency, send.MaxErrors]).toEqual([String(r.max_concurrency), String(r.max_errors)]);
    expect(send.Targets).toEqual([{ Key: 'tag:Role', Values: ['{{ TagValue }}'] }]);
    expect(t.Metadata.SsmMaterialize.Rollout).toEqual(r);
    // Every runbook parameter without a default is given by the rule's input, and nothing else is.
    const required = Object.entries(content.parameters as Record<string, any>)
      .filter(([, p]) => p.default === undefined)
      .map(([k]) => k);
    const transformer = t.Resources.ParameterChangeRule.Properties.Targets[0].InputTransformer;
    // The change's own time reaches the hosts: the event's "time" field, through the input transformer.
    expect(transformer.InputPathsMap).toEqual({ time: '$.time' });
    const input = JSON.parse(transformer.InputTemplate['Fn::Sub'].replace(/\$\{[^}]+\}/g, 'x')) as Record<string, string[]>;
    expect(input.RequestTime).toEqual(['<time>']);
    expect(content.mainSteps[1].inputs.Parameters.RequestTime).toEqual(['{{ RequestTime }}']);
    expect(required.every((k) => k in input)).toBe(true);
    expect(Object.keys(input).every((k) => k in content.parameters)).toBe(true);
    const used = [...JSON.stringify(content.mainSteps).matchAll(/\{\{ ?([A-Za-z]+) ?\}\}/g)].map((m) => m[1]);
    expect(used.every((k) => k! in content.parameters)).toBe(true);
  });

  it('the check association: documented properties only, explicit MaxConcurrency, every host checked (MaxErrors 100%), AUTO compliance', () => {
    const a = t.Resources.CheckAssociation;
    expect(a.Type).toBe('AWS::SSM::Association');
    // AWS CloudFormation reference, AWS::SSM::Association.
    const documented = [
      'ApplyOnlyAtCronInterval',
      'AssociationName',
      'AutomationTargetParameterName',
      'CalendarNames',
      'ComplianceSeverity',
      'DocumentVersion',
      'InstanceId',
      'MaxConcurrency',
      'MaxErrors',
      'Name',
      'OutputLocation',
      'Parameters',
      'ScheduleExpression',
      'ScheduleOffset',
      'SyncCompliance',
      'Targets',
      'WaitForSuccessTimeoutSeconds',
    ];
    expect(Object.keys(a.Properties).filter((k) => !documented.includes(k))).toEqual([]);
    expect(a.Properties.MaxConcurrency).toBe(String(t.Metadata.SsmMaterialize.Rollout.max_concurrency));
    expect([a.Properties.MaxErrors, a.Properties.SyncCompliance, a.Properties.ComplianceSeverity]).toEqual(['100%', 'AUTO', 'HIGH']);
    expect(a.Properties.ScheduleExpression).toEqual({ Ref: 'CheckSchedule' });
    expect(t.Parameters.CheckSchedule.Default).toBe('rate(1 hour)');
  });

  it('least privilege: EventBridge may start only the runbook and pass only the automation role; Automation may send only the write document, only to tagged instances', () => {
    const events = t.Resources.EventsRole.Properties;
    expect(events.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'events.amazonaws.com' });
    const es = events.Policies[0].PolicyDocument.Statement;
    expect(es.map((s: any) => [s.Action, s.Resource])).toEqual([
      ['ssm:StartAutomationExecution', { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:automation-definition/${RunbookName}:*' }],
      ['iam:PassRole', { 'Fn::GetAtt': ['AutomationRole', 'Arn'] }],
    ]);
    expect(es[1].Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } });
    const auto = t.Resources.AutomationRole.Properties;
    expect(auto.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'ssm.amazonaws.com' });
    expect(auto.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    const as = auto.Policies[0].PolicyDocument.Statement;
    const send = as.filter((s: any) => s.Action === 'ssm:SendCommand');
    expect(send.map((s: any) => s.Resource)).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/${WriteDocumentName}' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*' },
    ]);
    expect(send[1].Condition).toEqual({ StringEquals: { 'ssm:resourceTag/Role': { Ref: 'TargetTagValue' } } });
    const wildcard = as.filter((s: any) => s.Resource === '*').flatMap((s: any) => s.Action);
    expect(wildcard.every((a: string) => /^ssm:(List|Get|Describe)/.test(a))).toBe(true);
  });

  it('logical ids and parameter names do not depend on the manifest (an update replaces nothing needlessly)', async () => {
    const other = await generate(['--hosts', '3'], `version: 1\noutputs:\n  - path: ${scratch}/x.json\n    format: json\n    values:\n      k: /other/name\n`);
    expect(Object.keys(other.t.Resources)).toEqual(Object.keys(t.Resources));
    expect(Object.keys(other.t.Parameters)).toEqual(Object.keys(t.Parameters));
  });

  it('bad flags are usage errors, all reported at once, before the manifest is read', async () => {
    const r = await generate(['--schedule', 'rate(5 minutes)', '--headroom', '1', '--jitter', '-1', '--name-prefix', 'aws-x'], 'not: [valid', [
      '--target',
      'App=web',
    ]);
    expect(r.code).toBe(2);
    for (const text of ['--target "App=web"', 'at most every 30 minutes', '--headroom', '--jitter', '--name-prefix']) expect(r.stderr).toContain(text);
    const twice = await generate([], MANIFEST, ['--target', 'tag:A=1', '--target', 'tag:B=2']);
    expect([twice.code, twice.stderr]).toEqual([2, expect.stringContaining('--target: give it once')]);
  });

  it('is generated offline: no connection to the SSM endpoint or instance metadata, no credentials needed', async () => {
    let connections = 0;
    const server: Server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const file = join(scratch, 'offline.yaml');
    writeFileSync(file, MANIFEST);
    const r = await runCommand(process.execPath, [CLI, 'fleet', '-m', file, '--target', 'tag:Role=web'], {
      env: { PATH: process.env.PATH, AWS_ENDPOINT_URL_SSM: url, AWS_EC2_METADATA_SERVICE_ENDPOINT: `${url}/`, AWS_ENDPOINT_URL: url },
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('AWSTemplateFormatVersion');
    expect(connections).toBe(0);
  });
});

describe('examples/fleet/', () => {
  it('template.yaml is exactly what the command in its README prints', async () => {
    const readme = readFileSync(join(ROOT, 'examples', 'fleet', 'README.md'), 'utf8');
    const line = readme.split('\n').find((l) => l.startsWith('STAGE='));
    expect(line).toBeDefined();
    const words = line!.replace(/ > .*$/, '').split(' ');
    const env = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split('=') as [string, string]));
    const argv = words.slice(words.indexOf('ssm-materialize') + 1).map((w) => (w === 'examples/materialize.yaml' ? join(ROOT, w) : w));
    const r = await runMain(argv, { env: { PATH: process.env.PATH, ...env } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(ROOT, 'examples', 'fleet', 'template.yaml'), 'utf8'));
  });
});

describe('plan --hosts and fleet share one rollout', () => {
  it('the same calls, quota and headroom give the same MaxConcurrency, MaxErrors and wall time', async () => {
    const g = await generate(['--hosts', '1000', '--calls-per-host', '7', '--quota', '100', '--headroom', '0.5']);
    expect(g.t.Metadata.SsmMaterialize.Rollout).toEqual(rollout(7, { tps: 100, headroom: 0.5, runSeconds: 1, hosts: 1000 }));
    expect(g.t.Metadata.SsmMaterialize.Rollout).toMatchObject({ max_concurrency: 7, waves: 143, wall_seconds: 143 });
  });
});
