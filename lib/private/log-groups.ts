import { createHash } from 'crypto';
import { ArnFormat, Aws, Fn, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { stackKeyOf } from './grants';

/** How the platform wants every log group the library creates: its retention, and a KMS key. */
export interface LogSettings {
  /** Overrides each log group's default retention (an explicit prop still wins). */
  readonly retention?: logs.RetentionDays;
  /** Encrypt each with the customer-managed key of its stack. */
  readonly encryption: boolean;
}

const LOG_KEY_ID = 'CdkMicroserviceLogKey';
/** The prefix of the names of the log groups the library names itself. */
const LOG_GROUP_PREFIX = '/cdk-microservice/';
/** CloudWatch Logs' limit on a log group name. */
const MAX_LOG_GROUP_NAME = 512;

/** The names of the log groups each stack's log key encrypts, as they are created. */
const ENCRYPTED_GROUPS = new WeakMap<Stack, string[]>();

/**
 * A log group the library creates: the explicit retention, else the platform's, else the default;
 * with encryption, the stack's log key (Control Tower wants the key in the log group's own stack),
 * which CloudWatch Logs may use for the log groups the library names in that stack only. Named
 * `/cdk-microservice/<stack id>/<construct path>` unless a name is given: a name the key policy
 * can state without a reference to the log group (which would be a cycle), and, with the stack's
 * own id (the UUID of `AWS::StackId`), one that a log group kept from a deleted stack never holds
 * when the stack is created again.
 */
export function createLogGroup(scope: Construct, id: string, settings: LogSettings,
  o: { readonly retention?: logs.RetentionDays; readonly defaultRetention: logs.RetentionDays; readonly removalPolicy: RemovalPolicy; readonly logGroupName?: string }): logs.LogGroup {
  const logGroupName = o.logGroupName ?? libraryLogGroupName(scope, id);
  return new logs.LogGroup(scope, id, {
    logGroupName,
    retention: o.retention ?? settings.retention ?? o.defaultRetention,
    removalPolicy: o.removalPolicy,
    encryptionKey: settings.encryption ? logKeyFor(scope, logGroupName) : undefined,
  });
}

/** `/cdk-microservice/<stack id>/<stack>/<path in the stack>/<id>`, in the characters a log group name allows. */
function libraryLogGroupName(scope: IConstruct, id: string): string {
  // The UUID that ends AWS::StackId: 36 characters.
  const path = `/${scope.node.path}/${id}`.replace(/[^A-Za-z0-9._\-/#]/g, '-');
  const room = MAX_LOG_GROUP_NAME - LOG_GROUP_PREFIX.length - 36;
  const suffix = path.length <= room ? path : `${path.slice(0, room - 9)}-${hashOf(path)}`;
  return Fn.join('', [LOG_GROUP_PREFIX, Fn.select(2, Fn.split('/', Aws.STACK_ID)), suffix]);
}

function hashOf(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 8);
}

/**
 * The stack's log key, for the log group `logGroupName` of the stack: the key's policy lets
 * CloudWatch Logs of the stack's region use it for that log group, among the stack's others, and
 * no other (CloudWatch Logs guide, "Encrypt log data in CloudWatch Logs using AWS KMS": the
 * `kms:EncryptionContext:aws:logs:arn` condition, the log group's ARN).
 */
function logKeyFor(scope: IConstruct, logGroupName: string): kms.Key {
  const stack = Stack.of(scope);
  const names = ENCRYPTED_GROUPS.get(stack) ?? [];
  ENCRYPTED_GROUPS.set(stack, names);
  names.push(logGroupName);
  return stackKeyOf(scope, LOG_KEY_ID, {
    description: `Encrypts the log groups of ${stack.stackName}`,
    removalPolicy: RemovalPolicy.RETAIN,
  }, (key) => key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: {
      ArnEquals: {
        'kms:EncryptionContext:aws:logs:arn': Lazy.uncachedList({
          produce: () => [...new Set(names)].map((name) => stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME })),
        }),
      },
    },
  })));
}
