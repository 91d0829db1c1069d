/**
 * The fleet's CloudFormation template: AWS's own engines drive the refresh,
 * this tool only runs on each host. A change to a parameter the manifest
 * reads -> an EventBridge rule -> the refresh runbook (waits for the burst
 * to settle) -> Run Command sends the write document to the tagged hosts,
 * MaxConcurrency hosts at a time. A State Manager association runs the
 * check document on a schedule and reports drift as compliance.
 *
 * Built offline from the manifest: account, region and partition are
 * CloudFormation pseudo parameters. Logical ids are fixed words, so an
 * update replaces nothing that did not change.
 */
import type { Manifest } from '../manifest.js';
import type { Rollout } from '../budget.js';
import { checkDocument, OPTIONAL_REQUEST_TIME, writeDocument, type DocumentDefaults } from './documents.js';
import type { ChangeMatching } from './events.js';
import { automationRole, denyPolicyDocument, eventsRole, instancePolicyDocument, keyPolicyDocument } from './iam.js';

export interface FleetSettings {
  tagKey: string;
  tagValue: string;
  schedule: string;
  /** Seconds the runbook waits before sending, so a burst of changes ends first. */
  settleSeconds: number;
  namePrefix: string;
  kmsKey: string | undefined;
  /** Create the app's KMS key under this alias (`alias/NAME`), with `policy --key-policy`'s key policy. */
  createKey: string | undefined;
  keyAdmins: string[];
  /** Broad roles to attach `policy --deny-for`'s explicit deny to. */
  denyFor: string[];
  documents: DocumentDefaults;
  rollout: Rollout;
  matching: ChangeMatching;
  /** Everything the operator should know that the template cannot express. */
  notes: string[];
}

/** Run Command keeps at most this many characters of a command's output in its API answers. */
export const OUTPUT_LIMIT_CHARS = 24_000;
const DOCUMENT_NAME = '^[a-zA-Z0-9_.-]{3,128}$';

export function fleetTemplate(manifest: Manifest, s: FleetSettings): Record<string, unknown> {
  const rules = s.matching.patterns.map((pattern, i) => [ruleId(i), changeRule(pattern, i)] as const);
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      `ssm-materialize fleet: refresh on change, check on schedule, for hosts tagged ${s.tagKey}. ${s.notes.length} note(s) in Metadata.SsmMaterialize.Notes.`.slice(
        0,
        1024,
      ),
    Metadata: {
      SsmMaterialize: { Notes: s.notes, Rollout: s.rollout },
    },
    Parameters: {
      WriteDocumentName: {
        Type: 'String',
        Default: `${s.namePrefix}-write`,
        AllowedPattern: DOCUMENT_NAME,
        Description: 'Name of the command document that runs ssm-materialize write',
      },
      CheckDocumentName: {
        Type: 'String',
        Default: `${s.namePrefix}-check`,
        AllowedPattern: DOCUMENT_NAME,
        Description: 'Name of the command document that runs ssm-materialize check',
      },
      RunbookName: {
        Type: 'String',
        Default: `${s.namePrefix}-refresh`,
        AllowedPattern: DOCUMENT_NAME,
        Description: 'Name of the Automation runbook started on a change',
      },
      TargetTagValue: {
        Type: 'String',
        Default: s.tagValue,
        Description: `Hosts whose tag ${s.tagKey} has this value are refreshed and checked (the key is fixed: IAM condition keys cannot be parameters)`,
      },
      CheckSchedule: { Type: 'String', Default: s.schedule, Description: 'How often every host runs check: rate(...) or cron(...)' },
      LockedVersions: {
        Type: 'String',
        Default: '',
        AllowedPattern: '^(/[A-Za-z0-9_./-]{0,1023})?$',
        Description: 'Rollback: a lock file on the hosts (written by write --lock); refreshes and checks then read exactly those versions. Empty: the latest',
      },
      InstanceRoleName: s.createKey
        ? { Type: 'String', MinLength: 1, Description: "The hosts' instance role: the instance policy is attached to it, and the key policy lets it decrypt" }
        : { Type: 'String', Default: '', Description: "The hosts' instance role, to attach the instance policy to (empty: attach it yourself)" },
      ...(s.denyFor.length
        ? {
            DeniedRoleNames: {
              Type: 'String',
              Default: s.denyFor.join(','),
              AllowedPattern: '^[A-Za-z0-9+=.@_-]{1,64}(,[A-Za-z0-9+=.@_-]{1,64})*$',
              Description: "Broad roles (e.g. with PowerUserAccess), comma-separated, denied the app's parameters and key",
            },
          }
        : {}),
    },
    Conditions: { AttachInstancePolicy: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'InstanceRoleName' }, ''] }] } },
    Resources: {
      WriteDocument: document('WriteDocumentName', writeDocument(s.documents)),
      CheckDocument: document('CheckDocumentName', checkDocument(s.documents)),
      RefreshRunbook: {
        Type: 'AWS::SSM::Document',
        Properties: { Name: { Ref: 'RunbookName' }, DocumentType: 'Automation', DocumentFormat: 'JSON', UpdateMethod: 'NewVersion', Content: runbook(s) },
      },
      ...Object.fromEntries(rules),
      CheckAssociation: checkAssociation(s),
      InstancePolicy: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          Description: 'Read exactly the parameters the ssm-materialize manifest names (ssm-materialize policy)',
          PolicyDocument: instancePolicyDocument(manifest, s.kmsKey),
          Roles: { 'Fn::If': ['AttachInstancePolicy', [{ Ref: 'InstanceRoleName' }], { Ref: 'AWS::NoValue' }] },
        },
      },
      AutomationRole: automationRole(s.tagKey),
      ...(s.createKey ? appKey(manifest, s.createKey, s.keyAdmins) : {}),
      ...(s.denyFor.length
        ? {
            DenyBroadRoles: {
              Type: 'AWS::IAM::ManagedPolicy',
              Properties: {
                Description: "Keeps broad roles from reading the app's parameters and using its key (ssm-materialize policy --deny-for)",
                PolicyDocument: denyPolicyDocument(manifest, s.kmsKey),
                // A String split here rather than a CommaDelimitedList: the same list, and moto reads it too.
                Roles: { 'Fn::Split': [',', { Ref: 'DeniedRoleNames' }] },
              },
            },
          }
        : {}),
      ...(rules.length ? { EventsRole: eventsRole() } : {}),
    },
    Outputs: {
      InstancePolicyArn: { Description: "Attach to the hosts' instance role", Value: { Ref: 'InstancePolicy' } },
      WriteDocument: { Value: { Ref: 'WriteDocument' } },
      CheckDocument: { Value: { Ref: 'CheckDocument' } },
      RefreshRunbook: { Value: { Ref: 'RefreshRunbook' } },
    },
  };
}

/** The app's customer managed key and its alias; the key policy separates administrators from the instance role, which only decrypts. */
function appKey(manifest: Manifest, alias: string, admins: string[]): Record<string, unknown> {
  return {
    AppKey: {
      Type: 'AWS::KMS::Key',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { Description: 'SecureString parameters read by ssm-materialize', EnableKeyRotation: true, KeyPolicy: keyPolicyDocument(manifest, admins) },
    },
    AppKeyAlias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: alias, TargetKeyId: { Ref: 'AppKey' } } },
  };
}

/** The first rule keeps the plain name; more rules (long manifests) are numbered. */
export function ruleId(i: number): string {
  return i === 0 ? 'ParameterChangeRule' : `ParameterChangeRule${i + 1}`;
}

function document(nameParameter: string, content: unknown): Record<string, unknown> {
  return {
    Type: 'AWS::SSM::Document',
    // NewVersion: an update adds a document version instead of replacing the document (and its name).
    Properties: {
      Name: { Ref: nameParameter },
      DocumentType: 'Command',
      DocumentFormat: 'JSON',
      TargetType: '/AWS::EC2::Instance',
      UpdateMethod: 'NewVersion',
      Content: content,
    },
  };
}

/**
 * The refresh: wait for a burst of changes to end, then the write document
 * on every tagged host, `max_concurrency` at a time. Every execution of a
 * burst sends, with the time of the change that started it: a host whose
 * last successful write began after that time skips without an API call,
 * so one write per host serves every change made before it began
 * (documents.ts). The time is the event's own (Automation's variables offer
 * no execution start time), passed by the rule's input transformer.
 */
function runbook(s: FleetSettings): Record<string, unknown> {
  return {
    schemaVersion: '0.3',
    description: 'ssm-materialize: refresh the hosts after a parameter the manifest reads changed',
    assumeRole: '{{ AutomationAssumeRole }}',
    parameters: {
      AutomationAssumeRole: {
        type: 'String',
        description: "The role Automation runs as (the stack's AutomationRole)",
        allowedPattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$',
      },
      WriteDocument: { type: 'String', description: 'The write command document', allowedPattern: DOCUMENT_NAME },
      TagValue: { type: 'String', description: `Hosts whose tag ${s.tagKey} has this value`, allowedPattern: '^[A-Za-z0-9 _.:/=+@-]{1,256}$' },
      Locked: { type: 'String', description: 'Rollback lock file on the hosts, or empty', default: '', allowedPattern: '^(/[A-Za-z0-9_./-]{0,1023})?$' },
      RequestTime: {
        type: 'String',
        description: "When the change happened (the event's time, ISO 8601 UTC), or empty: every host writes",
        default: '',
        allowedPattern: OPTIONAL_REQUEST_TIME,
      },
    },
    mainSteps: [
      { name: 'SettleBurst', action: 'aws:sleep', inputs: { Duration: `PT${s.settleSeconds}S` } },
      {
        name: 'RefreshHosts',
        action: 'aws:runCommand',
        inputs: {
          DocumentName: '{{ WriteDocument }}',
          Targets: [{ Key: `tag:${s.tagKey}`, Values: ['{{ TagValue }}'] }],
          Parameters: { Locked: ['{{ Locked }}'], RequestTime: ['{{ RequestTime }}'] },
          MaxConcurrency: String(s.rollout.max_concurrency),
          MaxErrors: String(s.rollout.max_errors),
          TimeoutSeconds: 900,
        },
        isEnd: true,
      },
    ],
  };
}

/** The event's field the input transformer places in the runbook's input, as `<time>`. */
const EVENT_TIME = 'time';

function changeRule(pattern: unknown, i: number): Record<string, unknown> {
  const input = JSON.stringify({
    AutomationAssumeRole: ['${AutomationRole.Arn}'],
    WriteDocument: ['${WriteDocumentName}'],
    TagValue: ['${TargetTagValue}'],
    Locked: ['${LockedVersions}'],
    RequestTime: [`<${EVENT_TIME}>`],
  });
  return {
    Type: 'AWS::Events::Rule',
    DependsOn: 'RefreshRunbook',
    Properties: {
      Description: `A parameter the ssm-materialize manifest reads changed (part ${i + 1})`,
      State: 'ENABLED',
      EventPattern: pattern,
      Targets: [
        {
          Id: 'RefreshRunbook',
          Arn: { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:automation-definition/${RunbookName}:$DEFAULT' },
          RoleArn: { 'Fn::GetAtt': ['EventsRole', 'Arn'] },
          InputTransformer: { InputPathsMap: { [EVENT_TIME]: `$.${EVENT_TIME}` }, InputTemplate: { 'Fn::Sub': input } },
        },
      ],
    },
  };
}

/**
 * SyncCompliance AUTO: State Manager records each run's result as
 * COMPLIANT or NON_COMPLIANT from the exit code, with no call from the host.
 * The cause (drift, a pending hook, a stale last-good file, a missing
 * parameter) is in the command's output; custom compliance items would add a
 * PutComplianceItems call per host per run and a write permission on the
 * instance role, for a distinction the output already makes.
 * MaxErrors 100%: drift on many hosts is what the check is for; a lower
 * threshold would stop checking the rest.
 */
function checkAssociation(s: FleetSettings): Record<string, unknown> {
  return {
    Type: 'AWS::SSM::Association',
    Properties: {
      Name: { Ref: 'CheckDocument' },
      Targets: [{ Key: `tag:${s.tagKey}`, Values: [{ Ref: 'TargetTagValue' }] }],
      ScheduleExpression: { Ref: 'CheckSchedule' },
      Parameters: { Locked: [{ Ref: 'LockedVersions' }] },
      MaxConcurrency: String(s.rollout.max_concurrency),
      MaxErrors: '100%',
      SyncCompliance: 'AUTO',
      ComplianceSeverity: 'HIGH',
    },
  };
}
