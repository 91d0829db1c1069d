/**
 * The IAM pieces of the fleet stack: the instance policy (`policy`'s own
 * output, with the account, region and partition left to CloudFormation),
 * and the two service roles of the change path: EventBridge may only start
 * the refresh runbook and hand it its role; Automation may only send the
 * write document to instances carrying the fleet's tag.
 */
import type { Manifest } from '../manifest.js';
import { buildPolicyForRegions } from '../iam/policy.js';
import { buildDenyPolicy, buildKeyPolicy } from '../iam/key-policy.js';

/** Stand-ins `policy` accepts, replaced by CloudFormation pseudo parameters. */
const ACCOUNT_STAND_IN = '000000000000';
const REGION_STAND_IN = 'zz-stackregion-1';
/** The instance role's name, a stack parameter. */
const INSTANCE_ROLE_STAND_IN = 'zz-stack-instance-role';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * The instance policy for the stack's account: `policy -m FILE` with
 * `${AWS::AccountId}` (and `${AWS::Region}` unless the manifest names its
 * region), each affected string wrapped in Fn::Sub. Parameter names cannot
 * contain `$` or `{`, so nothing else in a string is read as a substitution.
 */
export function instancePolicyDocument(manifest: Manifest, kmsKey: string | undefined): Json {
  const region = manifest.region ?? REGION_STAND_IN;
  const policy = buildPolicyForRegions(manifest, { account: ACCOUNT_STAND_IN, region, kmsKey, partition: 'aws' }, [region, ...manifest.fallbackRegions]);
  return substitute(JSON.parse(JSON.stringify(policy)) as Json);
}

/** The key policy (`policy --key-policy`) for a key the stack creates: the instance role is the stack's InstanceRoleName. */
export function keyPolicyDocument(manifest: Manifest, admins: string[]): Json {
  const region = manifest.region ?? REGION_STAND_IN;
  const users = [`arn:aws:iam::${ACCOUNT_STAND_IN}:role/${INSTANCE_ROLE_STAND_IN}`];
  const policy = buildKeyPolicy(manifest, {
    account: ACCOUNT_STAND_IN,
    region,
    partition: 'aws',
    users,
    admins,
    regions: [region, ...manifest.fallbackRegions],
  });
  return substitute(JSON.parse(JSON.stringify(policy)) as Json);
}

/** The explicit deny (`policy --deny-for`) for the broad roles named as a stack parameter. */
export function denyPolicyDocument(manifest: Manifest, kmsKey: string | undefined): Json {
  const region = manifest.region ?? REGION_STAND_IN;
  const policy = buildDenyPolicy(manifest, { account: ACCOUNT_STAND_IN, region, partition: 'aws', kmsKey, regions: [region, ...manifest.fallbackRegions] });
  return substitute(JSON.parse(JSON.stringify(policy)) as Json);
}

function substitute(node: Json): Json {
  if (node === ACCOUNT_STAND_IN) return { Ref: 'AWS::AccountId' };
  if (typeof node === 'string') {
    const replaced = node
      .replaceAll(`:${ACCOUNT_STAND_IN}:`, ':${AWS::AccountId}:')
      .replaceAll(`role/${INSTANCE_ROLE_STAND_IN}`, 'role/${InstanceRoleName}')
      .replaceAll(REGION_STAND_IN, '${AWS::Region}')
      .replace(/^arn:aws:/, 'arn:${AWS::Partition}:');
    return replaced === node ? node : { 'Fn::Sub': replaced };
  }
  if (Array.isArray(node)) return node.map(substitute);
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, substitute(v)]));
  return node;
}

const arn = (rest: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:${rest}` });

/** Only this account's EventBridge and Systems Manager may assume the roles (confused-deputy guard). */
function trust(service: string): Json {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ],
  };
}

/** EventBridge -> Automation: start this runbook, pass this role to Systems Manager. */
export function eventsRole(): Json {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: 'EventBridge starts the ssm-materialize refresh runbook when a parameter the manifest reads changes',
      AssumeRolePolicyDocument: trust('events.amazonaws.com'),
      Policies: [
        {
          PolicyName: 'StartRefreshRunbook',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'StartRunbook',
                Effect: 'Allow',
                Action: 'ssm:StartAutomationExecution',
                Resource: arn('ssm:${AWS::Region}:${AWS::AccountId}:automation-definition/${RunbookName}:*'),
              },
              {
                Sid: 'PassAutomationRole',
                Effect: 'Allow',
                Action: 'iam:PassRole',
                Resource: { 'Fn::GetAtt': ['AutomationRole', 'Arn'] },
                Condition: { StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } },
              },
            ],
          },
        },
      ],
    },
  };
}

/** Automation -> Run Command: the write document, on instances with the fleet's tag, and reading back its progress. */
export function automationRole(tagKey: string): Json {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: 'The ssm-materialize refresh runbook sends the write document to the tagged hosts',
      AssumeRolePolicyDocument: trust('ssm.amazonaws.com'),
      Policies: [
        {
          PolicyName: 'SendWriteDocument',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'WriteDocument',
                Effect: 'Allow',
                Action: 'ssm:SendCommand',
                Resource: arn('ssm:${AWS::Region}:${AWS::AccountId}:document/${WriteDocumentName}'),
              },
              {
                Sid: 'TaggedInstances',
                Effect: 'Allow',
                Action: 'ssm:SendCommand',
                Resource: arn('ec2:${AWS::Region}:${AWS::AccountId}:instance/*'),
                Condition: { StringEquals: { [`ssm:resourceTag/${tagKey}`]: { Ref: 'TargetTagValue' } } },
              },
              {
                // These read-only calls take no resource-level permissions.
                Sid: 'FollowCommand',
                Effect: 'Allow',
                Action: ['ssm:ListCommands', 'ssm:ListCommandInvocations', 'ssm:GetCommandInvocation', 'ssm:DescribeInstanceInformation'],
                Resource: '*',
              },
            ],
          },
        },
      ],
    },
  };
}
